//! The languages payers read: which ones there are, how a browser's language tag picks one, which
//! way each is written, and how each writes numbers. The widget and the shim's own pages (the pay
//! page without WebAssembly, the receipt) share this list; their words are files of
//! `widget/locales/` and `server-shim/server/locales/`, one per [`Locale::tag`].

/// A language the payer's pages speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Locale {
    /// English, the fallback.
    En,
    /// Hindi.
    Hi,
    /// Russian.
    Ru,
    /// Spanish.
    Es,
    /// Portuguese (Brazil).
    Pt,
    /// French.
    Fr,
    /// German.
    De,
    /// Turkish.
    Tr,
    /// Chinese, simplified script.
    Zh,
    /// Indonesian.
    Id,
    /// Vietnamese.
    Vi,
    /// Arabic, right to left, Arabic-Indic digits.
    Ar,
    /// Ukrainian.
    Uk,
    /// Polish.
    Pl,
    /// Italian.
    It,
    /// Dutch.
    Nl,
    /// Romanian.
    Ro,
    /// Czech.
    Cs,
    /// Greek.
    El,
    /// Swedish.
    Sv,
    /// Hungarian.
    Hu,
    /// Japanese.
    Ja,
    /// Korean.
    Ko,
    /// Chinese, traditional script (Taiwan).
    ZhTw,
    /// Thai.
    Th,
    /// Malay.
    Ms,
    /// Filipino.
    Fil,
    /// Bengali, Bengali digits.
    Bn,
    /// Urdu, right to left.
    Ur,
    /// Persian, right to left, Persian digits.
    Fa,
    /// Hebrew, right to left.
    He,
    /// Swahili.
    Sw,
}

/// How a locale is tagged and writes: `(tag, right to left, decimal sign, digit zero)`, in
/// [`Locale::ALL`] order. Digits and decimal signs are CLDR's defaults for the language.
const INFO: [(&str, bool, char, char); 32] = [
    ("en", false, '.', '0'),
    ("hi", false, '.', '0'),
    ("ru", false, ',', '0'),
    ("es", false, ',', '0'),
    ("pt", false, ',', '0'),
    ("fr", false, ',', '0'),
    ("de", false, ',', '0'),
    ("tr", false, ',', '0'),
    ("zh-CN", false, '.', '0'),
    ("id", false, ',', '0'),
    ("vi", false, ',', '0'),
    ("ar", true, '\u{066B}', '\u{0660}'),
    ("uk", false, ',', '0'),
    ("pl", false, ',', '0'),
    ("it", false, ',', '0'),
    ("nl", false, ',', '0'),
    ("ro", false, ',', '0'),
    ("cs", false, ',', '0'),
    ("el", false, ',', '0'),
    ("sv", false, ',', '0'),
    ("hu", false, ',', '0'),
    ("ja", false, '.', '0'),
    ("ko", false, '.', '0'),
    ("zh-TW", false, '.', '0'),
    ("th", false, '.', '0'),
    ("ms", false, '.', '0'),
    ("fil", false, '.', '0'),
    ("bn", false, '.', '\u{09E6}'),
    ("ur", true, '.', '0'),
    ("fa", true, '\u{066B}', '\u{06F0}'),
    ("he", true, '.', '0'),
    ("sw", false, '.', '0'),
];

impl Locale {
    /// Every locale, English first.
    pub const ALL: [Locale; 32] = [
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
        Locale::Uk,
        Locale::Pl,
        Locale::It,
        Locale::Nl,
        Locale::Ro,
        Locale::Cs,
        Locale::El,
        Locale::Sv,
        Locale::Hu,
        Locale::Ja,
        Locale::Ko,
        Locale::ZhTw,
        Locale::Th,
        Locale::Ms,
        Locale::Fil,
        Locale::Bn,
        Locale::Ur,
        Locale::Fa,
        Locale::He,
        Locale::Sw,
    ];

    /// Its place in [`Locale::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    fn info(self) -> (&'static str, bool, char, char) {
        INFO[self.index()]
    }

    /// The BCP 47 tag, for `lang` attributes and the names of its files.
    pub fn tag(self) -> &'static str {
        self.info().0
    }

    /// The locale for a language tag (`pt-BR`, `zh-Hans-CN`, `AR`, `iw`), if there is one for it.
    /// Chinese is split by script: `zh-TW`, `zh-HK`, `zh-MO` and `zh-Hant` are traditional.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let tag = tag.trim().to_ascii_lowercase().replace('_', "-");
        let language = tag.split('-').next()?;
        if language == "zh" {
            let traditional = tag
                .split('-')
                .any(|p| matches!(p, "hant" | "tw" | "hk" | "mo"));
            return Some(if traditional {
                Locale::ZhTw
            } else {
                Locale::Zh
            });
        }
        // Older or alternative codes browsers still send.
        let language = match language {
            "in" => "id",
            "iw" => "he",
            "tl" => "fil",
            other => other,
        };
        Locale::ALL
            .into_iter()
            .find(|locale| locale.tag() == language)
    }

    /// The first of `tags` there is a locale for, else English.
    pub fn negotiate<'a>(tags: impl IntoIterator<Item = &'a str>) -> Locale {
        tags.into_iter()
            .find_map(Locale::from_tag)
            .unwrap_or(Locale::En)
    }

    /// Whether it is written right to left.
    pub fn is_rtl(self) -> bool {
        self.info().1
    }

    /// A decimal string (`"15.5"`) or a countdown (`"3:07"`) as this locale writes it: its digits
    /// and decimal sign. What a payer copies into a wallet stays in the plain form.
    pub fn number(self, decimal: &str) -> String {
        let (_, _, point, zero) = self.info();
        decimal
            .chars()
            .map(|c| match c {
                '0'..='9' => char::from_u32(zero as u32 + (c as u32 - '0' as u32)).unwrap_or(c),
                '.' => point,
                _ => c,
            })
            .collect()
    }
}

/// `template` with `{0}`, `{1}`, ... replaced by `values`: each language's words put the values
/// where its grammar wants them.
pub fn fill(template: &str, values: &[&str]) -> String {
    let mut out = template.to_owned();
    for (i, value) in values.iter().enumerate() {
        out = out.replace(&format!("{{{i}}}"), value);
    }
    out
}

/// A decimal string without trailing zeros: `"15.000000"` → `"15"`, `"0.00100"` → `"0.001"`.
/// The value is unchanged, so copying it is safe.
pub fn amount(decimal: &str) -> String {
    match decimal.split_once('.') {
        Some((whole, fraction)) => {
            let fraction = fraction.trim_end_matches('0');
            if fraction.is_empty() {
                whole.to_owned()
            } else {
                format!("{whole}.{fraction}")
            }
        }
        None => decimal.to_owned(),
    }
}

/// Time left as `59:07`, or `1:02:03` past an hour.
pub fn countdown(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, (seconds % 3600) / 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::{Locale, amount, countdown, fill};

    #[test]
    fn amounts_lose_only_trailing_zeros() {
        assert_eq!(amount("15.000000"), "15");
        assert_eq!(amount("0.00100"), "0.001");
        assert_eq!(amount("100"), "100");
        assert_eq!(amount("10.50"), "10.5");
    }

    #[test]
    fn countdowns_read_naturally() {
        assert_eq!(countdown(0), "0:00");
        assert_eq!(countdown(59), "0:59");
        assert_eq!(countdown(3599), "59:59");
        assert_eq!(countdown(3723), "1:02:03");
    }

    #[test]
    fn templates_fill_every_place() {
        assert_eq!(
            fill("{0} on {1}, {0}", &["USDT", "TRON"]),
            "USDT on TRON, USDT"
        );
        assert_eq!(fill("{1} {0}", &["a"]), "{1} a");
    }

    #[test]
    fn tags_find_their_locale() {
        assert_eq!(Locale::from_tag("pt-BR"), Some(Locale::Pt));
        assert_eq!(Locale::from_tag("zh-Hans-CN"), Some(Locale::Zh));
        assert_eq!(Locale::from_tag("zh_CN"), Some(Locale::Zh));
        assert_eq!(Locale::from_tag("zh-TW"), Some(Locale::ZhTw));
        assert_eq!(Locale::from_tag("zh-Hant-HK"), Some(Locale::ZhTw));
        assert_eq!(Locale::from_tag("AR"), Some(Locale::Ar));
        assert_eq!(Locale::from_tag("iw-IL"), Some(Locale::He));
        assert_eq!(Locale::from_tag("tl"), Some(Locale::Fil));
        assert_eq!(Locale::from_tag("fil-PH"), Some(Locale::Fil));
        assert_eq!(Locale::from_tag("nl-BE"), Some(Locale::Nl));
        assert_eq!(Locale::from_tag("f"), None);
        assert_eq!(Locale::from_tag("xx"), None);
        assert_eq!(Locale::negotiate(["xx-XX", "de-AT", "en"]), Locale::De);
        assert_eq!(Locale::negotiate([""]), Locale::En);
    }

    #[test]
    fn every_locale_has_its_own_tag_and_place() {
        for (i, locale) in Locale::ALL.into_iter().enumerate() {
            assert_eq!(locale.index(), i);
            assert_eq!(Locale::from_tag(locale.tag()), Some(locale), "{locale:?}");
        }
    }

    #[test]
    fn numbers_are_written_the_locales_way() {
        assert_eq!(Locale::En.number("15.5"), "15.5");
        assert_eq!(Locale::De.number("0.00025"), "0,00025");
        assert_eq!(Locale::Ar.number("15.5"), "١٥٫٥");
        assert_eq!(Locale::Fa.number("15.5"), "۱۵٫۵");
        assert_eq!(Locale::Bn.number("0.25"), "০.২৫");
        assert_eq!(Locale::Ur.number("15.5"), "15.5");
        assert_eq!(Locale::Zh.number("3:07"), "3:07");
        assert_eq!(Locale::Ar.number("3:07"), "٣:٠٧");
    }

    #[test]
    fn right_to_left_are_arabic_urdu_persian_and_hebrew() {
        let rtl: Vec<_> = Locale::ALL.into_iter().filter(|l| l.is_rtl()).collect();
        assert_eq!(rtl, [Locale::Ar, Locale::Ur, Locale::Fa, Locale::He]);
    }
}
