// The thank-you page, right after checkout: for an order placed with the manual payment method,
// a button to pay it in crypto now.
import "@shopify/ui-extensions/preact";
import { render } from "preact";
import { payLink, paysManually } from "./payLink.js";

export default async () => {
  render(<Extension />, document.body);
};

function Extension() {
  const confirmation = shopify.orderConfirmation.value;
  const link = payLink(shopify.shop, confirmation.order.id, confirmation.number);
  if (!link || !paysManually(shopify.selectedPaymentOptions.value)) {
    return null;
  }
  return (
    <s-stack gap="base">
      <s-text>{shopify.i18n.translate("instructions")}</s-text>
      <s-button href={link} variant="primary">
        {shopify.i18n.translate("pay")}
      </s-button>
    </s-stack>
  );
}
