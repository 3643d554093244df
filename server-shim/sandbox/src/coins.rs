//! What the sandbox accepts: fiat currencies, coins, their networks, and a fixed rate table.
//!
//! The rates are invented but fixed, so that tests can compute expected amounts: one unit of each
//! currency is worth this many US dollars.

use rust_decimal::Decimal;

/// A coin the payer can send.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Coin {
    pub code: &'static str,
    /// Networks the coin can be sent on.
    pub networks: &'static [&'static str],
    /// Decimal places of amounts in this coin.
    pub scale: u32,
    /// US dollars per unit, as (mantissa, scale).
    usd: (i64, u32),
}

const COINS: &[Coin] = &[
    Coin {
        code: "BTC",
        networks: &["btc"],
        scale: 8,
        usd: (60_000, 0),
    },
    Coin {
        code: "LTC",
        networks: &["ltc"],
        scale: 8,
        usd: (80, 0),
    },
    Coin {
        code: "ETH",
        networks: &["eth", "arbitrum"],
        scale: 8,
        usd: (3_000, 0),
    },
    Coin {
        code: "BNB",
        networks: &["bsc"],
        scale: 8,
        usd: (550, 0),
    },
    Coin {
        code: "POL",
        networks: &["polygon"],
        scale: 8,
        usd: (50, 2),
    },
    Coin {
        code: "TRX",
        networks: &["tron"],
        scale: 6,
        usd: (12, 2),
    },
    Coin {
        code: "USDT",
        networks: &["tron", "eth", "bsc", "polygon"],
        scale: 6,
        usd: (1, 0),
    },
    Coin {
        code: "USDC",
        networks: &["eth", "polygon"],
        scale: 6,
        usd: (1, 0),
    },
];

/// Fiat currencies: (code, US dollars per unit as mantissa and scale).
const FIAT: &[(&str, (i64, u32))] = &[
    ("USD", (1, 0)),
    ("EUR", (108, 2)),
    ("GBP", (127, 2)),
    ("RUB", (11, 3)),
    ("INR", (12, 3)),
    ("BRL", (18, 2)),
    ("TRY", (3, 2)),
];

/// The gateway's commission on payments, in percent.
pub(crate) const COMMISSION_PERCENT: Decimal = Decimal::from_parts(2, 0, 0, false, 0);

/// Every network the sandbox knows.
pub(crate) const NETWORKS: &[&str] = &["btc", "ltc", "eth", "arbitrum", "bsc", "polygon", "tron"];

impl Coin {
    /// The US dollar as a conversion target, for `payment_amount_usd`.
    pub(crate) const fn usd() -> Self {
        Coin {
            code: "USD",
            networks: &[],
            scale: 2,
            usd: (1, 0),
        }
    }
}

pub(crate) fn coin(code: &str) -> Option<&'static Coin> {
    COINS.iter().find(|c| c.code == code)
}

/// Whether `code` is a currency invoices can be priced in.
pub(crate) fn is_known_currency(code: &str) -> bool {
    coin(code).is_some() || FIAT.iter().any(|(c, _)| *c == code)
}

fn usd_per_unit(code: &str) -> Option<Decimal> {
    coin(code)
        .map(|c| c.usd)
        .or_else(|| FIAT.iter().find(|(c, _)| *c == code).map(|(_, usd)| *usd))
        .map(|(m, s)| Decimal::new(m, s))
}

/// `amount` of `from` expressed in `to`, rounded up to `to`'s scale (the payer never sends too
/// little because of rounding).
pub(crate) fn convert(amount: Decimal, from: &str, to: &Coin) -> Option<Decimal> {
    let value = amount
        .checked_mul(usd_per_unit(from)?)?
        .checked_div(usd_per_unit(to.code)?)?;
    Some(value.round_dp_with_strategy(to.scale, rust_decimal::RoundingStrategy::AwayFromZero))
}

/// Every coin and fiat code, coins first.
pub(crate) fn all_codes() -> impl Iterator<Item = &'static str> {
    COINS
        .iter()
        .map(|c| c.code)
        .chain(FIAT.iter().map(|(code, _)| *code))
}

/// How many units of `to` one unit of `from` buys, to 8 decimals.
pub(crate) fn rate(from: &str, to: &str) -> Option<Decimal> {
    let value = usd_per_unit(from)?.checked_div(usd_per_unit(to)?)?;
    Some(value.round_dp(8))
}

/// A coin on one of its networks, as `/v1/payment/services` lists it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Service {
    pub coin: &'static Coin,
    pub network: &'static str,
}

/// The smallest and largest invoice, in US dollars.
const MIN_USD: i64 = 1;
const MAX_USD: i64 = 1_000_000;

impl Coin {
    /// The smallest payment or payout accepted, in the coin.
    pub(crate) fn min_amount(&'static self) -> Decimal {
        convert(Decimal::from(MIN_USD), "USD", self).unwrap_or_default()
    }
}

impl Service {
    /// The smallest payment accepted, in the coin.
    pub(crate) fn min_amount(&self) -> Decimal {
        self.coin.min_amount()
    }

    /// The largest payment accepted, in the coin.
    pub(crate) fn max_amount(&self) -> Decimal {
        convert(Decimal::from(MAX_USD), "USD", self.coin).unwrap_or_default()
    }
}

/// Every coin on every network it is offered on.
pub(crate) fn services() -> impl Iterator<Item = Service> {
    COINS.iter().flat_map(|coin| {
        coin.networks
            .iter()
            .map(move |network| Service { coin, network })
    })
}

/// A decimal as the gateway prints amounts: fixed to the coin's scale.
pub(crate) fn fixed(amount: Decimal, scale: u32) -> String {
    let mut a = amount;
    a.rescale(scale);
    a.to_string()
}

/// A coin stored by its code (for the persisted sandbox state).
pub(crate) mod serde_coin {
    use super::Coin;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(crate) fn serialize<S: Serializer>(
        coin: &&'static Coin,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(coin.code)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<&'static Coin, D::Error> {
        let code = String::deserialize(deserializer)?;
        super::coin(&code).ok_or_else(|| D::Error::custom(format!("unknown coin {code}")))
    }
}

/// An optional coin stored by its code.
pub(crate) mod serde_coin_opt {
    use super::Coin;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(crate) fn serialize<S: Serializer>(
        coin: &Option<&'static Coin>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match coin {
            Some(coin) => serializer.serialize_some(coin.code),
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<&'static Coin>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|code| {
                super::coin(&code).ok_or_else(|| D::Error::custom(format!("unknown coin {code}")))
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_with_the_fixed_table() {
        let usdt = coin("USDT").unwrap();
        assert_eq!(
            convert(Decimal::new(1500, 2), "USD", usdt),
            Some(Decimal::new(15, 0))
        );
        let btc = coin("BTC").unwrap();
        assert_eq!(
            convert(Decimal::new(60, 0), "USD", btc),
            Some(Decimal::new(1, 3))
        );
        assert_eq!(fixed(Decimal::new(15, 0), 6), "15.000000");
        assert!(convert(Decimal::ONE, "XXX", usdt).is_none());
    }

    #[test]
    fn rates_and_limits_follow_the_table() {
        assert_eq!(rate("BTC", "USD"), Some(Decimal::new(60_000, 0)));
        assert_eq!(rate("USD", "TRX").unwrap().to_string(), "8.33333333");
        assert!(rate("XXX", "USD").is_none());
        let usdt_tron = services()
            .find(|s| s.coin.code == "USDT" && s.network == "tron")
            .unwrap();
        assert_eq!(
            (usdt_tron.min_amount(), usdt_tron.max_amount()),
            (Decimal::ONE, Decimal::from(1_000_000))
        );
        assert_eq!(services().count(), 13);
    }

    #[test]
    fn every_coin_network_is_known() {
        for c in COINS {
            for n in c.networks {
                assert!(NETWORKS.contains(n), "{}/{n}", c.code);
            }
        }
    }
}
