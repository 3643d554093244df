//! Languages: which one the payer reads, its words, and how it writes numbers.
//!
//! The locale comes from the `locale` option, else the host page's `<html lang>`, else the
//! browser's languages, else English. Arabic is laid out right to left. Amounts are shown with
//! the locale's digits and decimal sign; what the copy buttons copy stays in the form wallets
//! read (`15.5`).
//!
//! English is built in. Each other language is a JSON file in `widget/locales/`, served beside the
//! widget under a content-hashed name (`locales/de.<hash>.json`, cached for a year) and fetched
//! only by the payers who read it, while the invoice loads: eleven languages would otherwise add
//! a tenth to every payer's download. A file that cannot be fetched or read leaves English.

mod locales;

use shim_api::InvoiceStatus;
use std::cell::RefCell;
use wasm_bindgen::{JsCast as _, JsValue};

pub use shim_api::Locale;
pub use shim_api::locale::fill;

/// The widget's side of a [`Locale`]: its words, and fetching them.
pub trait Words {
    /// Its words: English's until its file has loaded ([`Words::load`]).
    fn text(self) -> Text;
    /// Whether its words are at hand: English, or a language whose file has loaded.
    fn is_loaded(&self) -> bool;
    /// Its file, relative to the widget's files (`locales/de.<hash>.json`); `None` for English.
    fn file(self) -> Option<String>;
    /// Fetches its words from `assets` (where the widget's files are served, without a trailing
    /// slash), once per page. English, or a file that cannot be had, leaves English's.
    fn load(self, assets: &str) -> impl std::future::Future<Output = ()>;
    /// Takes its words from `json` (a parsed file of `widget/locales/`); `false`, leaving
    /// English's, if it lacks any.
    fn install(self, json: &JsValue) -> bool;
}

impl Words for Locale {
    fn text(self) -> Text {
        LOADED
            .with_borrow(|loaded| {
                loaded
                    .iter()
                    .find(|(locale, _)| *locale == self)
                    .map(|(_, text)| text.clone())
            })
            .unwrap_or(locales::EN)
    }

    fn is_loaded(&self) -> bool {
        *self == Locale::En || LOADED.with_borrow(|loaded| loaded.iter().any(|(l, _)| l == self))
    }

    fn file(self) -> Option<String> {
        let hash = HASHES[self.index().checked_sub(1)?];
        Some(format!("locales/{}.{:010x}.json", self.tag(), hash >> 24))
    }

    async fn load(self, assets: &str) {
        let Some(file) = self.file().filter(|_| !self.is_loaded()) else {
            return;
        };
        let url = format!("{assets}/{file}");
        match crate::api::fetch_asset_json(&url).await {
            Some(json) if self.install(&json) => {}
            _ => {
                web_sys::console::warn_1(&JsValue::from_str(&format!(
                    "checkout widget: could not load {url}; showing English"
                )));
            }
        }
    }

    fn install(self, json: &JsValue) -> bool {
        let string = |key: &str| {
            js_sys::Reflect::get(json, &JsValue::from_str(key))
                .ok()?
                .as_string()
        };
        let list = |key: &str| {
            let list: js_sys::Array = js_sys::Reflect::get(json, &JsValue::from_str(key))
                .ok()?
                .dyn_into()
                .ok()?;
            list.iter().map(|item| item.as_string()).collect()
        };
        let Some(text) = Text::from_fields(string, list) else {
            return false;
        };
        // Two widgets on a page may both have fetched it; the first one's words stay.
        if !self.is_loaded() {
            LOADED.with_borrow_mut(|loaded| loaded.push((self, text)));
        }
        true
    }
}

thread_local! {
    /// The languages whose files have loaded. A page shows one or two: their words live as long
    /// as the page.
    static LOADED: RefCell<Vec<(Locale, Text)>> = const { RefCell::new(Vec::new()) };
}

/// FNV-1a, 64 bits: `cargo xtask build-widget`'s content hash for file names.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    let mut i = 0;
    while i < bytes.len() {
        hash = (hash ^ bytes[i] as u64).wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

/// The content hash of each translation, in [`Locale::ALL`] order after English. Only the
/// hashes are compiled in, not the files.
const HASHES: [u64; 31] = [
    fnv1a(include_bytes!("../../locales/hi.json")),
    fnv1a(include_bytes!("../../locales/ru.json")),
    fnv1a(include_bytes!("../../locales/es.json")),
    fnv1a(include_bytes!("../../locales/pt.json")),
    fnv1a(include_bytes!("../../locales/fr.json")),
    fnv1a(include_bytes!("../../locales/de.json")),
    fnv1a(include_bytes!("../../locales/tr.json")),
    fnv1a(include_bytes!("../../locales/zh-CN.json")),
    fnv1a(include_bytes!("../../locales/id.json")),
    fnv1a(include_bytes!("../../locales/vi.json")),
    fnv1a(include_bytes!("../../locales/ar.json")),
    fnv1a(include_bytes!("../../locales/uk.json")),
    fnv1a(include_bytes!("../../locales/pl.json")),
    fnv1a(include_bytes!("../../locales/it.json")),
    fnv1a(include_bytes!("../../locales/nl.json")),
    fnv1a(include_bytes!("../../locales/ro.json")),
    fnv1a(include_bytes!("../../locales/cs.json")),
    fnv1a(include_bytes!("../../locales/el.json")),
    fnv1a(include_bytes!("../../locales/sv.json")),
    fnv1a(include_bytes!("../../locales/hu.json")),
    fnv1a(include_bytes!("../../locales/ja.json")),
    fnv1a(include_bytes!("../../locales/ko.json")),
    fnv1a(include_bytes!("../../locales/zh-TW.json")),
    fnv1a(include_bytes!("../../locales/th.json")),
    fnv1a(include_bytes!("../../locales/ms.json")),
    fnv1a(include_bytes!("../../locales/fil.json")),
    fnv1a(include_bytes!("../../locales/bn.json")),
    fnv1a(include_bytes!("../../locales/ur.json")),
    fnv1a(include_bytes!("../../locales/fa.json")),
    fnv1a(include_bytes!("../../locales/he.json")),
    fnv1a(include_bytes!("../../locales/sw.json")),
];

/// Keeps a loaded word for the rest of the page (see [`LOADED`]).
fn keep(word: String) -> &'static str {
    Box::leak(word.into_boxed_str())
}

/// Declares [`Text`] and how it is read from a language's file, from one list of its words.
macro_rules! text {
    ($( $(#[$doc:meta])* $word:ident, )*) => {
        /// The widget's words in one language. Templates hold `{0}`, `{1}` for values.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct Text {
            $( $(#[$doc])* pub $word: &'static str, )*
            /// The headline of each status, in [`InvoiceStatus::ALL`] order.
            pub titles: [&'static str; 12],
            /// What happens next, per status in the same order; empty where the title says it all.
            pub details: [&'static str; 12],
        }

        impl Text {
            /// A language's words from its file (`widget/locales/<tag>.json`): `string` reads a
            /// word, `list` the twelve of `titles` and of `details`. `None` if any is missing.
            pub fn from_fields(
                string: impl Fn(&str) -> Option<String>,
                list: impl Fn(&str) -> Option<Vec<String>>,
            ) -> Option<Text> {
                const WORDS: &[&str] = &[$( stringify!($word) ),*];
                let twelve = |key: &str| -> Option<[&'static str; 12]> {
                    list(key)?.into_iter().map(keep).collect::<Vec<_>>().try_into().ok()
                };
                // One loop over the names rather than a read per word: smaller WebAssembly.
                let words: Vec<&'static str> =
                    WORDS.iter().map(|key| string(key).map(keep)).collect::<Option<_>>()?;
                let mut words = words.into_iter();
                Some(Text {
                    $( $word: words.next()?, )*
                    titles: twelve("titles")?,
                    details: twelve("details")?,
                })
            }
        }
    };
}

text! {
    /// Before the invoice arrives.
    loading,
    /// The invoice does not exist.
    not_found,
    /// A live connection failed while the invoice is shown.
    reconnecting,
    /// The invoice could not be loaded at all yet.
    load_failed,
    /// Label of the amount row.
    amount,
    /// Label of the address row.
    address,
    /// A copy button.
    copy,
    /// A copy button after copying.
    copied,
    /// A copy button where the page may not copy.
    copy_unavailable,
    /// The amount's copy button, for screen readers.
    copy_amount,
    /// The address's copy button, for screen readers.
    copy_address,
    /// `{0}`: the order's price and currency.
    order_total,
    /// `{0}`: coin, `{1}`: network.
    send_only,
    /// `{0}`: received so far, `{1}`: still due (each with the coin).
    received_due,
    /// The QR code's text alternative; `{0}`: amount and coin, `{1}`: address.
    qr_label,
    /// The link opening a wallet app.
    open_wallet,
    /// `{0}`: the countdown.
    time_left,
    /// The link back to the shop.
    return_to_shop,
    /// `{0}`: seconds before going back to the shop.
    redirecting,
    /// Title of the coin picker.
    choose_coin,
    /// While the coins load.
    loading_coins,
    /// The coins could not be loaded.
    coins_failed,
    /// The gateway offers no coin.
    no_coins,
    /// Try a failed request again.
    retry,
    /// Close the picker, keeping the coin.
    keep_coin,
    /// Open the picker to change the coin.
    change_coin,
    /// A coin button, for screen readers; `{0}`: coin, `{1}`: network.
    pay_with,
    /// A request failed for lack of connection.
    network_error,
    /// Deposit mode: the card's title.
    deposit_title,
    /// Deposit mode: what to send and how often ({0} coin, {1} network).
    deposit_hint,
    /// Deposit mode: what the customer has been credited ({0} amount with its coin).
    credited,
    /// Deposit mode: the heading of the deposits list.
    deposits,
    /// Deposit mode: nothing arrived yet.
    no_deposits,
    /// Deposit mode: a deposit still confirming.
    deposit_confirming,
    /// Deposit mode: a deposit credited.
    deposit_credited,
    /// Deposit mode: the address takes no more deposits.
    wallet_blocked,
    /// Next to the network warning for tokens: the network fee is paid in `{0}`, the chain's own
    /// coin (TRX for TRC-20 tokens), which the payer needs beside the token.
    network_fee,
    /// After copying the address: compare its first and last characters in the wallet (a
    /// clipboard hijacker swaps a copied address for its own).
    check_address,
    /// On the paid screen: the link to the receipt.
    receipt,
}

impl Text {
    /// The headline for `status`.
    pub fn title(&self, status: InvoiceStatus) -> &'static str {
        self.titles[status.position()]
    }

    /// What happens next for `status`, if the title does not say it all.
    pub fn detail(&self, status: InvoiceStatus) -> Option<&'static str> {
        Some(self.details[status.position()]).filter(|d| !d.is_empty())
    }

    /// A coin button's label.
    pub fn pay_with(&self, coin: &str, network: &str) -> String {
        fill(self.pay_with, &[coin, network])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A language's words, read from its file as the widget reads them.
    fn from_file(locale: Locale) -> Text {
        let path = format!(
            "{}/locales/{}.json",
            env!("CARGO_MANIFEST_DIR"),
            locale.tag()
        );
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect(&path);
        let string = |key: &str| json[key].as_str().map(str::to_owned);
        let list = |key: &str| {
            json[key]
                .as_array()?
                .iter()
                .map(|item| item.as_str().map(str::to_owned))
                .collect()
        };
        Text::from_fields(string, list).unwrap_or_else(|| panic!("{path} lacks a word"))
    }

    /// The `{n}` a template holds.
    fn slots(template: &str) -> Vec<&str> {
        let mut slots: Vec<&str> = ["{0}", "{1}"]
            .into_iter()
            .filter(|slot| template.contains(slot))
            .collect();
        slots.sort_unstable();
        slots
    }

    #[test]
    fn english_built_in_is_its_file() {
        // The shim's own pages read `en.json`; the widget carries the same words compiled in.
        assert_eq!(from_file(Locale::En), locales::EN);
    }

    #[test]
    fn every_locale_says_everything() {
        let english = Locale::En.text();
        for locale in Locale::ALL.into_iter().filter(|l| *l != Locale::En) {
            let text = from_file(locale);
            for status in InvoiceStatus::ALL {
                assert!(!text.title(status).is_empty(), "{locale:?} {status:?}");
                assert_eq!(
                    text.detail(status).is_some(),
                    english.detail(status).is_some(),
                    "{locale:?} {status:?}"
                );
            }
            assert_ne!(text, english, "{locale:?} is translated");
            assert_ne!(
                text.title(InvoiceStatus::Paid),
                english.title(InvoiceStatus::Paid)
            );
            // Every value English shows, the translation shows too.
            let pairs = [
                (text.order_total, english.order_total),
                (text.send_only, english.send_only),
                (text.received_due, english.received_due),
                (text.qr_label, english.qr_label),
                (text.time_left, english.time_left),
                (text.redirecting, english.redirecting),
                (text.pay_with, english.pay_with),
                (text.deposit_hint, english.deposit_hint),
                (text.credited, english.credited),
            ];
            for (translated, original) in pairs {
                assert_eq!(
                    slots(translated),
                    slots(original),
                    "{locale:?}: {translated}"
                );
            }
            let filled = fill(text.send_only, &["USDT", "TRON"]);
            assert!(!filled.contains('{'), "{locale:?}: {filled}");
        }
    }

    #[test]
    fn copy_buttons_are_named_with_their_visible_word() {
        // WCAG 2.5.3 (label in name): a button showing "Copy" is named "Copy address", so that
        // a payer speaking to their device can say what they see.
        for locale in Locale::ALL {
            let text = if locale == Locale::En {
                locales::EN
            } else {
                from_file(locale)
            };
            for name in [text.copy_amount, text.copy_address] {
                assert!(
                    name.to_lowercase().contains(&text.copy.to_lowercase()),
                    "{locale:?}: {name:?} does not hold {:?}",
                    text.copy
                );
            }
        }
    }

    #[test]
    fn translations_are_fetched_by_their_content_hash() {
        // The names `cargo xtask build-widget` gives the files (FNV-1a of their bytes, as there).
        for (locale, hash) in Locale::ALL[1..].iter().zip(HASHES) {
            let path = format!(
                "{}/locales/{}.json",
                env!("CARGO_MANIFEST_DIR"),
                locale.tag()
            );
            let bytes = std::fs::read(&path).expect(&path);
            assert_eq!(hash, fnv1a(&bytes), "{path}");
            assert_eq!(
                locale.file(),
                Some(format!("locales/{}.{:010x}.json", locale.tag(), hash >> 24))
            );
        }
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(
            fnv1a(b"a"),
            0xaf63_dc4c_8601_ec8c,
            "FNV-1a's published value"
        );
        assert_eq!(Locale::En.file(), None, "English is built in");
        assert!(Locale::En.is_loaded());
        assert!(!Locale::De.is_loaded());
        assert_eq!(
            Locale::De.text(),
            Locale::En.text(),
            "English until it loads"
        );
    }
}
