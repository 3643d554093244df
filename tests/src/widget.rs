//! Scripts for [`crate::webdriver::Browser`] that read or work the checkout widget of a page.

/// The payment address the widget shows (`null` until it shows one).
pub const ADDRESS: &str = "return document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelector('.ckw-address')?.textContent ?? null";

/// Clicks the widget's button for USDT on TRON.
pub const PICK_USDT_ON_TRON: &str = "const buttons = [...document.querySelector('[data-checkout-widget]').shadowRoot.querySelectorAll('.ckw-coin')]; \
     buttons.find(b => b.textContent.includes('USDT') && b.textContent.includes('TRON')).click(); return true";
