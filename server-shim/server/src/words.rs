//! The words of the pages the shim renders for payers (the pay and deposit pages as plain HTML,
//! for browsers that run no WebAssembly, and the receipt), in every [`Locale`].
//!
//! They share the widget's translations (`widget/locales/<tag>.json`: statuses, the network
//! warning, labels) and add their own (`server-shim/server/locales/<tag>.json`), both compiled
//! into the binary. Every file is complete (the tests check it), so a page is always in one
//! language; should a file ever fail to read, that language falls back to English.

use serde::Deserialize;
pub use shim_api::locale::fill;
use shim_api::{InvoiceStatus, Locale};
use std::sync::LazyLock;

/// The widget's words the pages use (its files hold more).
#[derive(Debug, Clone, Deserialize)]
pub struct WidgetWords {
    pub amount: String,
    pub address: String,
    pub order_total: String,
    pub send_only: String,
    pub network_fee: String,
    pub received_due: String,
    pub qr_label: String,
    pub open_wallet: String,
    pub time_left: String,
    pub return_to_shop: String,
    pub choose_coin: String,
    pub pay_with: String,
    pub receipt: String,
    pub deposit_title: String,
    pub deposit_hint: String,
    pub credited: String,
    pub deposits: String,
    pub no_deposits: String,
    pub deposit_confirming: String,
    pub deposit_credited: String,
    pub wallet_blocked: String,
    pub check_address: String,
    titles: [String; 12],
    details: [String; 12],
}

/// The pages' own words (`server-shim/server/locales/<tag>.json`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageWords {
    pub pay_title: String,
    pub deposit_page_title: String,
    pub refreshes: String,
    pub refresh_now: String,
    pub not_found_title: String,
    pub not_found: String,
    pub deposit_not_found_title: String,
    pub deposit_not_found: String,
    pub unavailable_title: String,
    pub unavailable: String,
    pub choose_coin_here: String,
    pub receipt_title: String,
    pub merchant: String,
    pub order: String,
    pub payment_id: String,
    pub price: String,
    pub paid: String,
    pub network: String,
    pub status: String,
    pub transactions: String,
    pub view_transaction: String,
    pub paid_on: String,
    pub print: String,
    pub back_to_payment: String,
    pub no_receipt_yet: String,
    pub receipt_note: String,
}

/// Everything a page says, in one language.
#[derive(Debug, Clone)]
pub struct Words {
    /// The language.
    pub locale: Locale,
    /// Shared with the widget.
    pub widget: WidgetWords,
    /// The pages' own.
    pub page: PageWords,
}

impl Words {
    /// The words of `locale`.
    pub fn of(locale: Locale) -> &'static Words {
        &ALL[locale.index()]
    }

    /// The headline of `status`.
    pub fn title(&self, status: InvoiceStatus) -> &str {
        &self.widget.titles[status.position()]
    }

    /// What happens next for `status`, if the title does not say it all.
    pub fn detail(&self, status: InvoiceStatus) -> Option<&str> {
        Some(self.widget.details[status.position()].as_str()).filter(|d| !d.is_empty())
    }

    /// `decimal` with this language's digits and decimal sign.
    pub fn number(&self, decimal: &str) -> String {
        self.locale.number(decimal)
    }
}

/// Each language's two files, in [`Locale::ALL`] order.
macro_rules! files {
    ($($tag:literal),* $(,)?) => {
        [$((
            include_str!(concat!("../../../widget/locales/", $tag, ".json")),
            include_str!(concat!("../locales/", $tag, ".json")),
        )),*]
    };
}

const FILES: [(&str, &str); 32] = files![
    "en", "hi", "ru", "es", "pt", "fr", "de", "tr", "zh-CN", "id", "vi", "ar", "uk", "pl", "it",
    "nl", "ro", "cs", "el", "sv", "hu", "ja", "ko", "zh-TW", "th", "ms", "fil", "bn", "ur", "fa",
    "he", "sw",
];

/// One language's words from its files.
fn parse(locale: Locale) -> Result<Words, serde_json::Error> {
    let (widget, page) = FILES[locale.index()];
    Ok(Words {
        locale,
        widget: serde_json::from_str(widget)?,
        page: serde_json::from_str(page)?,
    })
}

static ALL: LazyLock<Vec<Words>> = LazyLock::new(|| {
    let english = parse(Locale::En);
    Locale::ALL
        .into_iter()
        .map(|locale| match (parse(locale), &english) {
            (Ok(words), _) => words,
            (Err(error), Ok(english)) => {
                tracing::error!(locale = locale.tag(), %error, "a translation does not read; English instead");
                Words {
                    locale: Locale::En,
                    ..english.clone()
                }
            }
            // The tests read every file: a build whose English does not read never ships.
            (Err(error), Err(_)) => unreachable!("English words do not read: {error}"),
        })
        .collect()
});

#[cfg(test)]
mod tests {
    use super::*;

    /// The `{n}` a template holds.
    fn slots(template: &str) -> Vec<String> {
        let mut slots: Vec<String> = (0..3)
            .map(|i| format!("{{{i}}}"))
            .filter(|slot| template.contains(slot.as_str()))
            .collect();
        slots.sort();
        slots
    }

    #[test]
    fn every_language_reads_with_every_word_and_its_placeholders() {
        let english: serde_json::Value = serde_json::from_str(FILES[0].1).unwrap();
        let english = english.as_object().unwrap();
        for locale in Locale::ALL {
            let words = parse(locale).unwrap_or_else(|e| panic!("{}: {e}", locale.tag()));
            let page: serde_json::Value = serde_json::from_str(FILES[locale.index()].1).unwrap();
            let page = page.as_object().unwrap();
            assert_eq!(
                page.keys().collect::<Vec<_>>(),
                english.keys().collect::<Vec<_>>(),
                "{}: the same words in the same order as English",
                locale.tag()
            );
            for (key, original) in english {
                let translated = page[key].as_str().unwrap();
                assert!(!translated.trim().is_empty(), "{} {key}", locale.tag());
                assert_eq!(
                    slots(translated),
                    slots(original.as_str().unwrap()),
                    "{} {key}: {translated}",
                    locale.tag()
                );
            }
            if locale != Locale::En {
                assert_ne!(
                    words.page.receipt_title,
                    Words::of(Locale::En).page.receipt_title
                );
            }
            assert_eq!(Words::of(locale).locale, locale, "{} read", locale.tag());
        }
    }

    #[test]
    fn words_are_the_languages_own() {
        let arabic = Words::of(Locale::Ar);
        assert_eq!(arabic.number("15.5"), "١٥٫٥");
        assert_eq!(
            Words::of(Locale::De).title(InvoiceStatus::Paid),
            "Zahlung abgeschlossen"
        );
    }
}
