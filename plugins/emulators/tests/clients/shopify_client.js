// Shopify's official libraries against the emulator and our signatures:
//   node shopify_client.js URL DOMAIN TOKEN SECRET SIGNED_JSON
// - @shopify/admin-api-client reads an order and marks it paid through the emulator's Admin
//   GraphQL API (which it reaches over https only, so its fetch is pointed at URL), twice, then
//   once more past the emulator's small bucket, and once with a wrong token;
// - @shopify/shopify-api validates a webhook and an app proxy request signed by the shim
//   (SIGNED_JSON: {"body", "hmac", "proxy"}), and signs a body of its own for the shim to check.
require("@shopify/shopify-api/adapters/node");
const { createAdminApiClient } = require("@shopify/admin-api-client");
const { shopifyApi, ApiVersion } = require("@shopify/shopify-api");
const { createSHA256HMAC, HashFormat } = require("@shopify/shopify-api/runtime");

const [url, domain, token, secret, signedJson] = process.argv.slice(2);
const signed = JSON.parse(signedJson);

const client = (accessToken) =>
  createAdminApiClient({
    storeDomain: domain,
    apiVersion: "2025-10",
    accessToken,
    logger: () => {},
    customFetchApi: (target, init) => {
      const path = new URL(target);
      return fetch(url + path.pathname + path.search, init);
    },
  });

const ORDER = `query Order($id: ID!) { order(id: $id) { id name displayFinancialStatus
  totalOutstandingSet { presentmentMoney { amount currencyCode } } } }`;
const MARK_PAID = `mutation MarkPaid($input: OrderMarkAsPaidInput!) { orderMarkAsPaid(input: $input) {
  order { id displayFinancialStatus } userErrors { field message } } }`;

(async () => {
  const admin = client(token);
  const id = "gid://shopify/Order/5";
  const order = await admin.request(ORDER, { variables: { id } });
  const paid = await admin.request(MARK_PAID, { variables: { input: { id } } });
  const again = await admin.request(MARK_PAID, { variables: { input: { id } } });
  const throttled = await admin.request(MARK_PAID, { variables: { input: { id } } });
  const refused = await client("shpat_wrong").request(ORDER, { variables: { id } });

  const shopify = shopifyApi({
    apiKey: "emulator-key",
    apiSecretKey: secret,
    hostName: "localhost",
    apiVersion: ApiVersion.October25,
    isEmbeddedApp: false,
    logger: { level: 0 },
  });
  const headers = {
    "content-type": "application/json",
    "x-shopify-hmac-sha256": signed.hmac,
    "x-shopify-topic": "app/uninstalled",
    "x-shopify-shop-domain": domain,
    "x-shopify-api-version": "2025-10",
    "x-shopify-webhook-id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
  };
  const webhook = await shopify.webhooks.validate({
    rawBody: signed.body,
    rawRequest: { headers, method: "POST", url: "/v1/shopify/webhooks" },
    rawResponse: {},
  });
  const tampered = await shopify.webhooks.validate({
    rawBody: signed.body + " ",
    rawRequest: { headers, method: "POST", url: "/v1/shopify/webhooks" },
    rawResponse: {},
  });
  const proxy = await shopify.utils.validateHmac(signed.proxy, { signator: "appProxy" });
  const theirs = await createSHA256HMAC(secret, signed.body, HashFormat.Base64);

  console.log(
    JSON.stringify({
      order: { data: order.data, cost: order.extensions && order.extensions.cost, errors: order.errors },
      paid: paid.data,
      again: again.data,
      throttled: throttled.errors,
      refused: refused.errors && refused.errors.networkStatusCode,
      webhook,
      tampered,
      proxy,
      theirs,
    }),
  );
})().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
