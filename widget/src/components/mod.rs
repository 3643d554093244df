//! The widget's components, one per file.

mod checkout;
mod coin_picker;
mod copy_button;
mod deposit;
mod invoice_card;
mod qr;

pub use checkout::{Checkout, CheckoutProps, DEFAULT_REDIRECT_SECONDS, Theme};
pub use coin_picker::{CoinPicker, CoinPickerProps};
pub use copy_button::{CopyButton, CopyButtonProps};
pub use deposit::{Deposit, DepositProps};
pub use invoice_card::{InvoiceCard, InvoiceCardProps};
pub use qr::{QR_MARK, qr};

use crate::i18n::{Locale, Words as _};
use yew::prelude::*;

/// How long the widget waits for its language's words before it shows English (and switches
/// when they come): a slow server of the widget's files must not keep a payer from paying.
const LANGUAGE_WAIT_MS: u32 = 2_500;

/// The language to show the payer in: `None` while `locale`'s words are on their way from
/// `assets` (where the widget's files are); English for now when they are late (after
/// [`LANGUAGE_WAIT_MS`]) or cannot be had; `locale` once they are at hand.
#[hook]
fn use_language(locale: Locale, assets: AttrValue) -> Option<Locale> {
    let shown = use_state_eq(|| locale.is_loaded().then_some(locale));
    {
        let shown = shown.clone();
        use_effect_with(locale, move |locale| {
            let locale = *locale;
            // Set once the words are in: a wait that ends after them must not undo them.
            let arrived = std::rc::Rc::new(std::cell::Cell::new(false));
            let late = (!locale.is_loaded()).then(|| {
                let (shown, arrived) = (shown.clone(), arrived.clone());
                gloo_timers::callback::Timeout::new(LANGUAGE_WAIT_MS, move || {
                    if !arrived.get() {
                        shown.set(Some(Locale::En));
                    }
                })
            });
            wasm_bindgen_futures::spawn_local(async move {
                locale.load(&assets).await;
                arrived.set(true);
                shown.set(Some(if locale.is_loaded() {
                    locale
                } else {
                    Locale::En
                }));
            });
            move || drop(late)
        });
    }
    *shown
}
