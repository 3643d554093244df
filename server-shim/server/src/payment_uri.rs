//! What the QR code carries: a URI wallet apps understand, so that scanning fills in the amount.
//!
//! BIP21 for Bitcoin-like chains, EIP-681 for EVM chains (native coins by `value` in wei, tokens by
//! a `transfer` call in atomic units), and the bare address where no scheme is common (TRON).

use rust_decimal::Decimal;

/// ERC-20 contracts the shim knows: (network, coin, contract, decimals).
const TOKENS: &[(&str, &str, &str, u32)] = &[
    (
        "eth",
        "USDT",
        "0xdAC17F958D2ee523a2206206994597C13D831ec7",
        6,
    ),
    (
        "eth",
        "USDC",
        "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
        6,
    ),
    (
        "bsc",
        "USDT",
        "0x55d398326f99059fF775485246999027B3197955",
        18,
    ),
    (
        "polygon",
        "USDT",
        "0xc2132D05D31c914a87C6611C10748AEb04B58e8F",
        6,
    ),
    (
        "polygon",
        "USDC",
        "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359",
        6,
    ),
];

/// EVM chains: (network, chain id, native coin).
const EVM: &[(&str, u64, &str)] = &[
    ("eth", 1, "ETH"),
    ("bsc", 56, "BNB"),
    ("polygon", 137, "POL"),
    ("arbitrum", 42161, "ETH"),
];

/// The URI for paying `amount` of `coin` on `network` to `address`; `amount` `None` leaves it out.
pub fn payment_uri(network: &str, coin: &str, address: &str, amount: Option<Decimal>) -> String {
    let plain = |a: Decimal| a.normalize().to_string();
    match (network, coin) {
        ("btc", "BTC") | ("ltc", "LTC") => {
            let scheme = if network == "btc" {
                "bitcoin"
            } else {
                "litecoin"
            };
            match amount {
                Some(a) => format!("{scheme}:{address}?amount={}", plain(a)),
                None => format!("{scheme}:{address}"),
            }
        }
        _ => {
            let Some((_, chain, native)) = EVM.iter().find(|(n, _, _)| *n == network) else {
                return address.to_owned();
            };
            if coin == *native {
                return match amount.and_then(|a| atomic(a, 18)) {
                    Some(wei) => format!("ethereum:{address}@{chain}?value={wei}"),
                    None => format!("ethereum:{address}@{chain}"),
                };
            }
            match TOKENS
                .iter()
                .find(|(n, c, _, _)| *n == network && *c == coin)
            {
                Some((_, _, contract, decimals)) => match amount.and_then(|a| atomic(a, *decimals))
                {
                    Some(units) => format!(
                        "ethereum:{contract}@{chain}/transfer?address={address}&uint256={units}"
                    ),
                    None => format!("ethereum:{contract}@{chain}/transfer?address={address}"),
                },
                None => address.to_owned(),
            }
        }
    }
}

/// `amount` in the smallest unit, if it is a whole number of them and fits.
fn atomic(amount: Decimal, decimals: u32) -> Option<String> {
    let units = amount.checked_mul(Decimal::from(10u64.checked_pow(decimals)?))?;
    units
        .fract()
        .is_zero()
        .then(|| units.trunc().normalize().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Option<Decimal> {
        Some(Decimal::from_str(s).unwrap())
    }

    #[test]
    fn bitcoin_uses_bip21() {
        assert_eq!(
            payment_uri("btc", "BTC", "bc1qxyz", d("0.00100000")),
            "bitcoin:bc1qxyz?amount=0.001"
        );
        assert_eq!(
            payment_uri("ltc", "LTC", "ltc1qxyz", None),
            "litecoin:ltc1qxyz"
        );
    }

    #[test]
    fn evm_uses_eip681() {
        assert_eq!(
            payment_uri("eth", "ETH", "0xAb", d("0.5")),
            "ethereum:0xAb@1?value=500000000000000000"
        );
        assert_eq!(
            payment_uri("eth", "USDT", "0xAb", d("15.000000")),
            "ethereum:0xdAC17F958D2ee523a2206206994597C13D831ec7@1/transfer?address=0xAb&uint256=15000000"
        );
        assert_eq!(
            payment_uri("bsc", "USDT", "0xAb", d("1")),
            "ethereum:0x55d398326f99059fF775485246999027B3197955@56/transfer?address=0xAb&uint256=1000000000000000000"
        );
    }

    #[test]
    fn other_chains_get_the_bare_address() {
        assert_eq!(payment_uri("tron", "USDT", "TXyz", d("15")), "TXyz");
        assert_eq!(payment_uri("eth", "SHIB", "0xAb", d("15")), "0xAb");
    }
}
