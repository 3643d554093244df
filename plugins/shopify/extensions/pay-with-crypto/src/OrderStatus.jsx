// The order status page, where the buyer comes back from the confirmation email: the same link,
// until the order is cancelled (a paid order's link leads back here).
import "@shopify/ui-extensions/preact";
import { render } from "preact";
import { payLink } from "./payLink.js";

export default async () => {
  render(<Extension />, document.body);
};

function Extension() {
  const order = shopify.order.value;
  const link = order && !order.cancelledAt && payLink(shopify.shop, order.id, order.confirmationNumber);
  if (!link) {
    return null;
  }
  return (
    <s-stack gap="base">
      <s-text>{shopify.i18n.translate("instructions")}</s-text>
      <s-link href={link}>{shopify.i18n.translate("pay")}</s-link>
    </s-stack>
  );
}
