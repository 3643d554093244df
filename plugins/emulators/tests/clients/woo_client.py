"""WooCommerce's official Python client against the emulator: python3 woo_client.py URL KEY SECRET"""
import json
import sys

from woocommerce import API

url, key, secret = sys.argv[1:4]
api = API(url=url, consumer_key=key, consumer_secret=secret, version="wc/v3", timeout=10)
order = api.get("orders/2").json()
paid = api.put("orders/2", {"set_paid": True, "transaction_id": "tx-py"}).json()
note = api.post("orders/2/notes", {"note": "from python", "customer_note": False}).json()
wrong = API(url=url, consumer_key=key, consumer_secret="cs_wrong", version="wc/v3", timeout=10)
refused = wrong.get("orders/2")
print(json.dumps({
    "order": order, "paid": paid, "note": note,
    "refused": [refused.status_code, refused.json()],
}))
