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

#[cfg(test)]
mod tests {
    use super::*;

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
