//! Blockchain networks as payers meet them: their names, the coin their fees are paid in, and
//! where a transaction can be looked up.

/// A network code (`tron`, `bsc`) as people know it (`TRON (TRC-20)`, `BNB Smart Chain (BEP-20)`).
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

/// The chains whose fees are paid in their own coin, which a payer of one of their tokens needs
/// beside the token: (network, that coin).
const FEE_COINS: [(&str, &str); 8] = [
    ("tron", "TRX"),
    ("eth", "ETH"),
    ("bsc", "BNB"),
    ("polygon", "POL"),
    ("arbitrum", "ETH"),
    ("optimism", "ETH"),
    ("sol", "SOL"),
    ("ton", "TON"),
];

/// The coin the network fee is paid in when sending `coin` on `network`, if that is another coin
/// (USDT on `tron` needs TRX); `None` for a chain's own coin, or a chain not listed.
pub fn fee_coin(network: &str, coin: &str) -> Option<&'static str> {
    FEE_COINS
        .iter()
        .find(|(code, _)| *code == network)
        .map(|(_, fee)| *fee)
        .filter(|fee| !fee.eq_ignore_ascii_case(coin))
}

/// Public block explorers: (network, the address of a transaction without its id).
const EXPLORERS: [(&str, &str); 10] = [
    ("btc", "https://mempool.space/tx/"),
    ("ltc", "https://litecoinspace.org/tx/"),
    ("eth", "https://etherscan.io/tx/"),
    ("bsc", "https://bscscan.com/tx/"),
    ("polygon", "https://polygonscan.com/tx/"),
    ("arbitrum", "https://arbiscan.io/tx/"),
    ("optimism", "https://optimistic.etherscan.io/tx/"),
    ("tron", "https://tronscan.org/#/transaction/"),
    ("sol", "https://solscan.io/tx/"),
    ("ton", "https://tonviewer.com/transaction/"),
];

/// Where transaction `txid` of `network` can be seen, if the network is known and the id looks
/// like one (letters, digits, `_` and `-`, so nothing else can ride into the link).
pub fn explorer_url(network: &str, txid: &str) -> Option<String> {
    let plain = (8..=128).contains(&txid.len())
        && txid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
    let base = EXPLORERS.iter().find(|(code, _)| *code == network)?.1;
    plain.then(|| format!("{base}{txid}"))
}

/// The payment URI schemes the shim builds (BIP21, EIP-681, and TRON's), the only ones the
/// widget and the shim's pages link to: whatever else reaches it (a bare address, a `javascript:` or `data:` URI from
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

/// How many characters at each end of an address are set apart, for payers to compare in their
/// wallet (a clipboard hijacker swaps a copied address for one of its own).
pub const ADDRESS_EDGE: usize = 6;

/// `address` as its first [`ADDRESS_EDGE`] characters, the middle and the last ones; `None` for
/// an address too short to set its ends apart.
pub fn address_edges(address: &str) -> Option<(&str, &str, &str)> {
    if address.chars().count() <= 3 * ADDRESS_EDGE {
        return None;
    }
    let (start, _) = address.char_indices().nth(ADDRESS_EDGE)?;
    let (end, _) = address.char_indices().rev().nth(ADDRESS_EDGE - 1)?;
    Some((&address[..start], &address[start..end], &address[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_addresss_ends_are_set_apart() {
        assert_eq!(
            address_edges("TQrZ9wBzNaBxDoQhVxuDn5k1WpSdTa7bEu"),
            Some(("TQrZ9w", "BzNaBxDoQhVxuDn5k1WpSd", "Ta7bEu"))
        );
        // Counted in characters, not bytes.
        assert_eq!(
            address_edges("ääääääbbbbbbbcccccc"),
            Some(("ääääää", "bbbbbbb", "cccccc"))
        );
        assert_eq!(address_edges("short"), None);
    }

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
    fn tokens_need_their_chains_coin_for_the_fee() {
        assert_eq!(fee_coin("tron", "USDT"), Some("TRX"));
        assert_eq!(fee_coin("eth", "USDC"), Some("ETH"));
        assert_eq!(fee_coin("bsc", "USDT"), Some("BNB"));
        assert_eq!(fee_coin("polygon", "USDT"), Some("POL"));
        assert_eq!(
            fee_coin("tron", "TRX"),
            None,
            "the chain's own coin pays its fee"
        );
        assert_eq!(fee_coin("eth", "eth"), None);
        assert_eq!(fee_coin("btc", "BTC"), None);
    }

    #[test]
    fn explorer_links_only_for_plain_ids() {
        let tx = "4f6a1c0e2b3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddee";
        assert_eq!(
            explorer_url("tron", tx).as_deref(),
            Some(&*format!("https://tronscan.org/#/transaction/{tx}"))
        );
        assert_eq!(
            explorer_url("eth", "0xabc123def456").as_deref(),
            Some("https://etherscan.io/tx/0xabc123def456")
        );
        assert_eq!(explorer_url("eth", "0xabc\"><script>"), None);
        assert_eq!(explorer_url("eth", "../../evil.example/x"), None);
        assert_eq!(explorer_url("dogecoin-of-tomorrow", tx), None);
    }
}
