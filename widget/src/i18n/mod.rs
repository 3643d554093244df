//! Languages: which one the payer reads, its words, and how it writes numbers.
//!
//! The locale comes from the `locale` option, else the host page's `<html lang>`, else the
//! browser's languages, else English. Arabic is laid out right to left. Amounts are shown with
//! the locale's digits and decimal sign; what the copy buttons copy stays in the form wallets
//! read (`15.5`).

mod locales;

use shim_api::InvoiceStatus;

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

    /// Its words.
    pub fn text(self) -> Text {
        match self {
            Locale::En => locales::EN,
            Locale::Hi => locales::HI,
            Locale::Ru => locales::RU,
            Locale::Es => locales::ES,
            Locale::Pt => locales::PT,
            Locale::Fr => locales::FR,
            Locale::De => locales::DE,
            Locale::Tr => locales::TR,
            Locale::Zh => locales::ZH,
            Locale::Id => locales::ID,
            Locale::Vi => locales::VI,
            Locale::Ar => locales::AR,
        }
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

/// The widget's words in one language. Templates hold `{0}`, `{1}` for values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// Before the invoice arrives.
    pub loading: &'static str,
    /// The invoice does not exist.
    pub not_found: &'static str,
    /// A live connection failed while the invoice is shown.
    pub reconnecting: &'static str,
    /// The invoice could not be loaded at all yet.
    pub load_failed: &'static str,
    /// Label of the amount row.
    pub amount: &'static str,
    /// Label of the address row.
    pub address: &'static str,
    /// A copy button.
    pub copy: &'static str,
    /// A copy button after copying.
    pub copied: &'static str,
    /// A copy button where the page may not copy.
    pub copy_unavailable: &'static str,
    /// The amount's copy button, for screen readers.
    pub copy_amount: &'static str,
    /// The address's copy button, for screen readers.
    pub copy_address: &'static str,
    /// `{0}`: the order's price and currency.
    pub order_total: &'static str,
    /// `{0}`: coin, `{1}`: network.
    pub send_only: &'static str,
    /// `{0}`: received so far, `{1}`: still due (each with the coin).
    pub received_due: &'static str,
    /// The QR code's text alternative; `{0}`: amount and coin, `{1}`: address.
    pub qr_label: &'static str,
    /// The link opening a wallet app.
    pub open_wallet: &'static str,
    /// `{0}`: the countdown.
    pub time_left: &'static str,
    /// The link back to the shop.
    pub return_to_shop: &'static str,
    /// `{0}`: seconds before going back to the shop.
    pub redirecting: &'static str,
    /// Title of the coin picker.
    pub choose_coin: &'static str,
    /// While the coins load.
    pub loading_coins: &'static str,
    /// The coins could not be loaded.
    pub coins_failed: &'static str,
    /// The gateway offers no coin.
    pub no_coins: &'static str,
    /// Try a failed request again.
    pub retry: &'static str,
    /// Close the picker, keeping the coin.
    pub keep_coin: &'static str,
    /// Open the picker to change the coin.
    pub change_coin: &'static str,
    /// A coin button, for screen readers; `{0}`: coin, `{1}`: network.
    pub pay_with: &'static str,
    /// A request failed for lack of connection.
    pub network_error: &'static str,
    /// Deposit mode: the card's title.
    pub deposit_title: &'static str,
    /// Deposit mode: what to send and how often ({0} coin, {1} network).
    pub deposit_hint: &'static str,
    /// Deposit mode: what the customer has been credited ({0} amount with its coin).
    pub credited: &'static str,
    /// Deposit mode: the heading of the deposits list.
    pub deposits: &'static str,
    /// Deposit mode: nothing arrived yet.
    pub no_deposits: &'static str,
    /// Deposit mode: a deposit still confirming.
    pub deposit_confirming: &'static str,
    /// Deposit mode: a deposit credited.
    pub deposit_credited: &'static str,
    /// Deposit mode: the address takes no more deposits.
    pub wallet_blocked: &'static str,
    /// The headline of each status, in [`InvoiceStatus::ALL`] order.
    pub titles: [&'static str; 12],
    /// What happens next, per status in the same order; empty where the title says it all.
    pub details: [&'static str; 12],
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

    #[test]
    fn every_locale_says_everything() {
        for locale in Locale::ALL {
            let text = locale.text();
            for status in InvoiceStatus::ALL {
                assert!(!text.title(status).is_empty(), "{locale:?} {status:?}");
                assert_eq!(
                    text.detail(status).is_some(),
                    Locale::En.text().detail(status).is_some(),
                    "{locale:?} {status:?}"
                );
            }
            if locale != Locale::En {
                assert_ne!(text, Locale::En.text(), "{locale:?} is translated");
                assert_ne!(
                    text.title(InvoiceStatus::Paid),
                    Locale::En.text().title(InvoiceStatus::Paid)
                );
            }
            let filled = fill(text.send_only, &["USDT", "TRON"]);
            assert!(
                filled.contains("USDT") && filled.contains("TRON"),
                "{locale:?}: {filled}"
            );
            assert!(!filled.contains('{'), "{locale:?}: {filled}");
        }
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
