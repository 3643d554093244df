// What both targets share, kept free of Shopify's globals so that it can be tested with `node`.

/** The app proxy path (shopify.app.toml: [app_proxy] prefix and subpath). */
export const PROXY_PATH = "/apps/crypto-checkout/pay";

/**
 * The "Pay with crypto" link of an order: through the shop's app proxy, which signs it for the
 * shim. The confirmation number is what proves the buyer's right to pay this order.
 *
 * @param {{storefrontUrl?: string, myshopifyDomain: string}} shop `shopify.shop`
 * @param {string | undefined} orderId `gid://shopify/Order/123`
 * @param {string | undefined} confirmationNumber as the thank-you page shows it
 * @returns {string | null} null when the order cannot be paid this way
 */
export function payLink(shop, orderId, confirmationNumber) {
  const match = /^gid:\/\/shopify\/Order\/([0-9]{1,20})$/.exec(orderId || "");
  if (!match || !confirmationNumber || !/^[A-Za-z0-9]{1,32}$/.test(confirmationNumber)) {
    return null;
  }
  const base = (shop.storefrontUrl || `https://${shop.myshopifyDomain}`).replace(/\/+$/, "");
  const query = new URLSearchParams({ order: match[1], confirmation: confirmationNumber });
  return `${base}${PROXY_PATH}?${query}`;
}

/**
 * Whether the buyer chose a manual payment method: crypto is one, set up by the merchant under
 * Settings > Payments > Manual payment methods.
 *
 * @param {Array<{type: string}> | undefined} options `shopify.selectedPaymentOptions.value`
 */
export function paysManually(options) {
  return (options || []).some((option) => option.type === "manualPayment");
}
