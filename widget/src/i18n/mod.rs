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

/// A language the widget speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    /// English.
    En,
    /// Hindi.
    Hi,
    /// Russian.
    Ru,
    /// Spanish.
    Es,
    /// Portuguese.
    Pt,
    /// French.
    Fr,
    /// German.
    De,
    /// Turkish.
    Tr,
    /// Chinese, simplified.
    Zh,
    /// Indonesian.
    Id,
    /// Vietnamese.
    Vi,
    /// Arabic, right to left.
    Ar,
}

impl Locale {
    /// Every locale.
    pub const ALL: [Locale; 12] = [
        Locale::En,
        Locale::Hi,
        Locale::Ru,
        Locale::Es,
        Locale::Pt,
        Locale::Fr,
        Locale::De,
        Locale::Tr,
        Locale::Zh,
        Locale::Id,
        Locale::Vi,
        Locale::Ar,
    ];

    /// The BCP 47 tag, for `lang` attributes.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Hi => "hi",
            Locale::Ru => "ru",
            Locale::Es => "es",
            Locale::Pt => "pt",
            Locale::Fr => "fr",
            Locale::De => "de",
            Locale::Tr => "tr",
            Locale::Zh => "zh-CN",
            Locale::Id => "id",
            Locale::Vi => "vi",
            Locale::Ar => "ar",
        }
    }

    /// The locale for a language tag (`pt-BR`, `zh-Hans-CN`, `AR`), if the widget speaks it.
    /// Traditional Chinese is not simplified Chinese: `zh-TW`, `zh-HK` and `zh-Hant` are `None`.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let tag = tag.trim().to_ascii_lowercase().replace('_', "-");
        let mut parts = tag.split('-');
        let language = parts.next()?;
        if language == "zh" {
            let traditional = tag
                .split('-')
                .any(|p| matches!(p, "hant" | "tw" | "hk" | "mo"));
            return (!traditional).then_some(Locale::Zh);
        }
        Some(match language {
            "en" => Locale::En,
            "hi" => Locale::Hi,
            "ru" => Locale::Ru,
            "es" => Locale::Es,
            "pt" => Locale::Pt,
            "fr" => Locale::Fr,
            "de" => Locale::De,
            "tr" => Locale::Tr,
            "id" | "in" => Locale::Id,
            "vi" => Locale::Vi,
            "ar" => Locale::Ar,
            _ => return None,
        })
    }

    /// The first of `tags` the widget speaks, else English.
    pub fn negotiate<'a>(tags: impl IntoIterator<Item = &'a str>) -> Locale {
        tags.into_iter()
            .find_map(Locale::from_tag)
            .unwrap_or(Locale::En)
    }

    /// Whether the language is written right to left.
    pub fn is_rtl(self) -> bool {
        self == Locale::Ar
    }

    /// Its words: English's until its file has loaded ([`Locale::load`]).
    pub fn text(self) -> Text {
        LOADED
            .with_borrow(|loaded| {
                loaded
                    .iter()
                    .find(|(locale, _)| *locale == self)
                    .map(|(_, text)| text.clone())
            })
            .unwrap_or(locales::EN)
    }

    /// Whether its words are at hand: English, or a language whose file has loaded.
    pub fn is_loaded(self) -> bool {
        self == Locale::En || LOADED.with_borrow(|loaded| loaded.iter().any(|(l, _)| *l == self))
    }

    /// Its file, relative to the widget's files (`locales/de.<hash>.json`); `None` for English.
    /// The hash is the one `cargo xtask build-widget` puts in the name, computed here from the
    /// same bytes at compile time, so a new translation is a new name.
    pub fn file(self) -> Option<String> {
        let hash = match self {
            Locale::En => return None,
            Locale::Hi => HASHES[0],
            Locale::Ru => HASHES[1],
            Locale::Es => HASHES[2],
            Locale::Pt => HASHES[3],
            Locale::Fr => HASHES[4],
            Locale::De => HASHES[5],
            Locale::Tr => HASHES[6],
            Locale::Zh => HASHES[7],
            Locale::Id => HASHES[8],
            Locale::Vi => HASHES[9],
            Locale::Ar => HASHES[10],
        };
        Some(format!("locales/{}.{:010x}.json", self.tag(), hash >> 24))
    }

    /// Fetches its words from `assets` (where the widget's files are served, without a trailing
    /// slash), once per page. English, or a file that cannot be had, leaves English's.
    pub async fn load(self, assets: &str) {
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

    /// Takes its words from `json` (a parsed file of `widget/locales/`); `false`, leaving
    /// English's, if it lacks any.
    pub fn install(self, json: &JsValue) -> bool {
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

    /// A decimal string (`"15.5"`) as this locale writes it: its decimal sign and digits.
    pub fn number(self, decimal: &str) -> String {
        let comma = matches!(
            self,
            Locale::Ru
                | Locale::Es
                | Locale::Pt
                | Locale::Fr
                | Locale::De
                | Locale::Tr
                | Locale::Id
                | Locale::Vi
        );
        decimal
            .chars()
            .map(|c| match (self, c) {
                (Locale::Ar, '0'..='9') => {
                    char::from_u32(0x0660 + (c as u32 - '0' as u32)).unwrap_or(c)
                }
                (Locale::Ar, '.') => '\u{066B}',
                (_, '.') if comma => ',',
                _ => c,
            })
            .collect()
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
const HASHES: [u64; 11] = [
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
}

/// `template` with `{0}`, `{1}`, ... replaced by `values`.
pub fn fill(template: &str, values: &[&str]) -> String {
    let mut out = template.to_owned();
    for (i, value) in values.iter().enumerate() {
        out = out.replace(&format!("{{{i}}}"), value);
    }
    out
}

fn index(status: InvoiceStatus) -> usize {
    InvoiceStatus::ALL
        .iter()
        .position(|s| *s == status)
        .unwrap_or(0)
}

impl Text {
    /// The headline for `status`.
    pub fn title(&self, status: InvoiceStatus) -> &'static str {
        self.titles[index(status)]
    }

    /// What happens next for `status`, if the title does not say it all.
    pub fn detail(&self, status: InvoiceStatus) -> Option<&'static str> {
        Some(self.details[index(status)]).filter(|d| !d.is_empty())
    }

    /// A coin button's label.
    pub fn pay_with(&self, coin: &str, network: &str) -> String {
        fill(self.pay_with, &[coin, network])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_find_their_locale() {
        assert_eq!(Locale::from_tag("pt-BR"), Some(Locale::Pt));
        assert_eq!(Locale::from_tag("zh-Hans-CN"), Some(Locale::Zh));
        assert_eq!(Locale::from_tag("zh_CN"), Some(Locale::Zh));
        assert_eq!(
            Locale::from_tag("zh-TW"),
            None,
            "traditional is another script"
        );
        assert_eq!(Locale::from_tag("AR"), Some(Locale::Ar));
        assert_eq!(Locale::from_tag("nl"), None);
        assert_eq!(Locale::negotiate(["nl-NL", "de-AT", "en"]), Locale::De);
        assert_eq!(Locale::negotiate([""]), Locale::En);
    }

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

    #[test]
    fn numbers_are_written_the_locales_way() {
        assert_eq!(Locale::En.number("15.5"), "15.5");
        assert_eq!(Locale::De.number("0.00025"), "0,00025");
        assert_eq!(Locale::Ar.number("15.5"), "١٥٫٥");
        assert_eq!(Locale::Zh.number("3:07"), "3:07");
    }

    #[test]
    fn only_arabic_is_right_to_left() {
        assert_eq!(
            Locale::ALL
                .iter()
                .filter(|l| l.is_rtl())
                .collect::<Vec<_>>(),
            [&Locale::Ar]
        );
    }
}
