"""prestapyt (PyPI), PrestaShop's Webservice client, against the emulator:
python3 presta_client.py URL KEY"""
import json
import sys
import warnings

from prestapyt import PrestaShopWebServiceDict, PrestaShopAuthenticationError

# The emulator announces a version prestapyt supports: its compatibility warning fails the check.
warnings.filterwarnings("error", message="This library may not be compatible")
url, key = sys.argv[1:3]
ps = PrestaShopWebServiceDict(url + "/api", key)
order = ps.get("orders", 3)["order"]
currency = ps.get("currencies", int(order["id_currency"]))["currency"]
history = ps.add("order_histories", {"order_history": {"id_order": 3, "id_order_state": 2}})
message = ps.add("messages", {"message": {"id_order": 3, "message": "from prestapyt", "private": 1}})
try:
    PrestaShopWebServiceDict(url + "/api", "WRONGKEY").get("orders", 3)
    refused = False
except PrestaShopAuthenticationError:
    refused = True
print(json.dumps({
    "order": order, "currency": currency,
    "history": history["prestashop"]["order_history"],
    "message": message["prestashop"]["message"], "refused": refused,
}))
