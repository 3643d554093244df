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

use crate::i18n::{Locale, Text};
use crate::state::LoadError;
use yew::prelude::*;

const STYLE: &str = include_str!("../style.css");

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

/// The frame both modes show their card in: the page's hooks (`data-status`, `data-theme`), the
/// language and its direction, the styles; a spinner until the words are at hand, then what went
/// wrong with the last load, if anything, above the card (or above "loading" while there is none).
struct Frame<'a> {
    status: &'static str,
    theme: Theme,
    locale: Locale,
    /// `None` while the payer's words are on their way.
    text: Option<&'a Text>,
    error: Option<&'a LoadError>,
}

impl Frame<'_> {
    fn render(self, card: Option<Html>) -> Html {
        let Frame {
            status,
            theme,
            locale,
            text,
            error,
        } = self;
        html! {
            <div class="ckw" data-status={status} data-theme={theme.as_str()} lang={locale.tag()} dir={if locale.is_rtl() { "rtl" } else { "ltr" }}>
                <style>{ STYLE }</style>
                if let Some(text) = text {
                    if let Some(message) = banner(error, card.is_some(), text) {
                        <p class="ckw-banner" role="alert">{ message }</p>
                    }
                    if let Some(card) = card {
                        { card }
                    } else if error.is_none() {
                        <p class="ckw-loading" role="status">{ text.loading }</p>
                    }
                } else {
                    <p class="ckw-loading" role="status" aria-busy="true">{ "…" }</p>
                }
            </div>
        }
    }
}

/// What the banner says of the last load's `error`, if any: once something is shown
/// (`loaded`), a failure is only a lost connection.
fn banner(error: Option<&LoadError>, loaded: bool, text: &Text) -> Option<&'static str> {
    match (error, loaded) {
        (Some(LoadError::NotFound), _) => Some(text.not_found),
        (Some(_), true) => Some(text.reconnecting),
        (Some(_), false) => Some(text.load_failed),
        (None, _) => None,
    }
}
