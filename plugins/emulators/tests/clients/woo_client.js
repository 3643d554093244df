// WooCommerce's official JavaScript client against the emulator: node woo_client.js URL KEY SECRET
const Api = require("@woocommerce/woocommerce-rest-api").default;
const [url, consumerKey, consumerSecret] = process.argv.slice(2);
const api = new Api({ url, consumerKey, consumerSecret, version: "wc/v3" });
(async () => {
  const order = (await api.get("orders/1")).data;
  const paid = (await api.put("orders/1", { set_paid: true, transaction_id: "tx-js" })).data;
  const note = (await api.post("orders/1/notes", { note: "from node", customer_note: false })).data;
  const notes = (await api.get("orders/1/notes")).data;
  let refused = null;
  try {
    await new Api({ url, consumerKey, consumerSecret: "cs_wrong", version: "wc/v3" }).get("orders/1");
  } catch (e) {
    refused = [e.response.status, e.response.data];
  }
  console.log(JSON.stringify({ order, paid, note, notes, refused }));
})().catch((e) => {
  console.error(e.response ? JSON.stringify([e.response.status, e.response.data]) : String(e));
  process.exit(1);
});
