//! Formatting for people: amounts without noise, countdowns, network names. Words are in
//! [`crate::i18n`].

pub use shim_api::locale::{amount, countdown};
pub use shim_api::network::network_name;

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
}
