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
pub use qr::{Qr, QrProps};

use crate::i18n::Locale;
use yew::prelude::*;

/// Whether `locale`'s words are at hand; if they are not, fetches them from `assets` (where the
/// widget's files are) and renders again when they are (or when English has to do).
#[hook]
fn use_language(locale: Locale, assets: AttrValue) -> bool {
    let ready = use_state_eq(|| locale.is_loaded());
    {
        let ready = ready.clone();
        use_effect_with(locale, move |locale| {
            let locale = *locale;
            wasm_bindgen_futures::spawn_local(async move {
                locale.load(&assets).await;
                ready.set(true);
            });
        });
    }
    *ready
}
