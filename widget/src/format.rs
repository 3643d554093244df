//! Formatting for people: amounts without noise, countdowns, network names. Words are in
//! [`crate::i18n`].

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

/// `59:07`, or `1:02:03` past an hour.
pub fn countdown(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, (seconds % 3600) / 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A network code as people know it.
pub fn network_name(code: &str) -> String {
    match code {
        "tron" => "TRON (TRC-20)".into(),
        "eth" => "Ethereum (ERC-20)".into(),
        "bsc" => "BNB Smart Chain (BEP-20)".into(),
        "polygon" => "Polygon".into(),
        "arbitrum" => "Arbitrum One".into(),
        "btc" => "Bitcoin".into(),
        "ltc" => "Litecoin".into(),
        other => other.to_ascii_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
