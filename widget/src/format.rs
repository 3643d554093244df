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

/// The payment URI schemes the shim builds (BIP21, EIP-681, and TRON's), the only ones the
/// widget links to: whatever else reaches it (a bare address, a `javascript:` or `data:` URI from
/// a compromised answer) is shown as a QR code and text, never made a link.
const WALLET_SCHEMES: [&str; 4] = ["bitcoin:", "litecoin:", "ethereum:", "tron:"];

/// `uri` as the "open in wallet" link, if it is a payment URI of a known scheme.
pub fn wallet_link(uri: &str) -> Option<String> {
    let known = WALLET_SCHEMES.iter().any(|scheme| {
        uri.get(..scheme.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
    });
    let plain = uri
        .bytes()
        .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\'' | b'<' | b'>' | b'`'));
    (known && plain && uri.len() > 8).then(|| uri.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_payment_uris_of_known_schemes_become_links() {
        for uri in [
            "bitcoin:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4?amount=0.00025",
            "litecoin:ltc1qw508d6qejxtdg4y5r3zarvary0c5xw7kgmn4n9",
            "ethereum:0xdAC17F958D2ee523a2206206994597C13D831ec7@1/transfer?address=0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed&uint256=15000000",
            "tron:TQrZ9wBzNaBxDoQhVxuDn5k1WpSdTa7bEu",
        ] {
            assert_eq!(wallet_link(uri).as_deref(), Some(uri));
        }
        for uri in [
            "TQrZ9wBzNaBxDoQhVxuDn5k1WpSdTa7bEu",
            "javascript:alert(1)",
            "JavaScript:alert(1)//bitcoin:",
            "data:text/html,<script>alert(1)</script>",
            "https://evil.example/bitcoin:",
            "bitcoin:\"><img src=x>",
            "bitcoin:",
        ] {
            assert_eq!(wallet_link(uri), None, "{uri}");
        }
    }

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
