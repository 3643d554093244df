//! Payouts from the merchant's balance.

use crate::coins::{self, Coin};
use crate::ledger::{ControlError, Reference};
use rust_decimal::Decimal;
use shim_gateway::PaymentStatus;
use std::collections::HashMap;

/// The gateway's payout commission, in percent.
pub(crate) const COMMISSION_PERCENT: Decimal = Decimal::from_parts(1, 0, 0, false, 0);

/// Money leaving the merchant's balance for an address.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone)]
pub(crate) struct Payout {
    pub uuid: String,
    pub order_id: String,
    pub amount: Decimal,
    #[serde(with = "crate::coins::serde_coin")]
    pub coin: &'static Coin,
    pub network: String,
    pub address: String,
    /// The commission comes from the balance (true) or from the amount sent (false).
    pub is_subtract: bool,
    pub url_callback: Option<String>,
    pub status: PaymentStatus,
    pub is_final: bool,
    pub txid: Option<String>,
    /// Its place among the merchant's payouts (1 for the first), for the history.
    #[serde(default)]
    pub seq: u64,
    /// When it was made (Unix seconds).
    #[serde(default)]
    pub created_at: i64,
    /// Asked in a fiat currency (`USD`, with `to_currency` the coin): that currency and amount;
    /// `amount` is then what it converted to.
    #[serde(default)]
    pub fiat: Option<(String, Decimal)>,
}

impl Payout {
    /// The currency the payout was asked in: the fiat one, else the coin.
    pub(crate) fn asked_currency(&self) -> &str {
        self.fiat.as_ref().map_or(self.coin.code, |(code, _)| code)
    }

    /// The amount asked, as the gateway prints it.
    pub(crate) fn asked_amount(&self) -> String {
        match &self.fiat {
            Some((_, amount)) => coins::fixed(*amount, 2),
            None => fixed(self, self.amount),
        }
    }

    /// The gateway's commission.
    pub(crate) fn commission(&self) -> Decimal {
        (self.amount * COMMISSION_PERCENT / Decimal::ONE_HUNDRED).round_dp(self.coin.scale)
    }

    /// What leaves the balance.
    pub(crate) fn debit(&self) -> Decimal {
        if self.is_subtract {
            self.amount + self.commission()
        } else {
            self.amount
        }
    }

    /// What reaches the address.
    pub(crate) fn sent(&self) -> Decimal {
        if self.is_subtract {
            self.amount
        } else {
            self.amount - self.commission()
        }
    }
}

#[derive(serde::Serialize, serde::Deserialize, Debug, Default)]
pub(crate) struct Payouts {
    by_uuid: HashMap<String, Payout>,
    by_order: HashMap<String, String>,
}

impl Payouts {
    pub(crate) fn count(&self) -> u64 {
        self.by_uuid.len() as u64
    }

    pub(crate) fn get(&self, key: &Reference) -> Option<&Payout> {
        key.uuid_in(&self.by_order)
            .and_then(|uuid| self.by_uuid.get(uuid))
    }

    /// Records a payout if `available` covers it; an order id seen before returns that payout.
    /// The flag says whether this call created it.
    pub(crate) fn create(
        &mut self,
        payout: Payout,
        available: Decimal,
    ) -> Result<(Payout, bool), ControlError> {
        if let Some(existing) = self.get(&Reference::OrderId(payout.order_id.clone())) {
            return Ok((existing.clone(), false));
        }
        if payout.debit() > available {
            return Err(ControlError::InsufficientFunds);
        }
        let mut payout = payout;
        payout.seq = self.count() + 1;
        self.by_order
            .insert(payout.order_id.clone(), payout.uuid.clone());
        self.by_uuid.insert(payout.uuid.clone(), payout.clone());
        Ok((payout, true))
    }

    /// Every payout, newest first.
    pub(crate) fn newest_first(&self) -> Vec<&Payout> {
        let mut all: Vec<&Payout> = self.by_uuid.values().collect();
        all.sort_by_key(|payout| std::cmp::Reverse(payout.seq));
        all
    }

    /// The payout in `process` completes (`paid`, with a txid) or fails (`fail`, the money stays).
    pub(crate) fn finish(
        &mut self,
        key: &Reference,
        paid: bool,
        txid: String,
    ) -> Result<Payout, ControlError> {
        let uuid = key
            .uuid_in(&self.by_order)
            .ok_or(ControlError::NotFound)?
            .to_owned();
        let payout = self.by_uuid.get_mut(&uuid).ok_or(ControlError::NotFound)?;
        if payout.is_final {
            return Err(ControlError::Final);
        }
        payout.status = if paid {
            PaymentStatus::Paid
        } else {
            PaymentStatus::Fail
        };
        payout.is_final = true;
        payout.txid = paid.then_some(txid);
        Ok(payout.clone())
    }

    /// What payouts took or hold from the balance in `code`.
    pub(crate) fn committed(&self, code: &str) -> Decimal {
        self.by_uuid
            .values()
            .filter(|p| p.coin.code == code && p.status != PaymentStatus::Fail)
            .map(Payout::debit)
            .sum()
    }
}

/// The payout's amounts as the gateway prints them.
pub(crate) fn fixed(payout: &Payout, amount: Decimal) -> String {
    coins::fixed(amount, payout.coin.scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payout(order: &str, amount: i64, is_subtract: bool) -> Payout {
        Payout {
            seq: 0,
            created_at: 0,
            uuid: format!("p-{order}"),
            order_id: order.into(),
            amount: Decimal::from(amount),
            coin: coins::coin("USDT").unwrap(),
            network: "tron".into(),
            address: "TTo".into(),
            is_subtract,
            url_callback: None,
            fiat: None,
            status: PaymentStatus::Process,
            is_final: false,
            txid: None,
        }
    }

    #[test]
    fn payouts_need_the_balance_and_keep_their_order_id() {
        let mut p = Payouts::default();
        assert_eq!(
            p.create(payout("a", 10, true), Decimal::TEN).unwrap_err(),
            ControlError::InsufficientFunds
        );
        let (first, created) = p.create(payout("a", 10, false), Decimal::TEN).unwrap();
        assert!(created);
        assert_eq!(
            (first.debit(), first.sent()),
            (Decimal::TEN, Decimal::new(990, 2))
        );
        let (again, created) = p.create(payout("a", 99, false), Decimal::ZERO).unwrap();
        assert!(!created);
        assert_eq!(
            again.amount,
            Decimal::TEN,
            "the same order id returns the first payout"
        );
        assert_eq!(p.committed("USDT"), Decimal::TEN);
        let failed = p
            .finish(&Reference::OrderId("a".into()), false, "tx".into())
            .unwrap();
        assert_eq!((failed.status, failed.txid), (PaymentStatus::Fail, None));
        assert_eq!(
            p.committed("USDT"),
            Decimal::ZERO,
            "a failed payout gives the money back"
        );
        assert_eq!(
            p.finish(&Reference::OrderId("a".into()), true, "tx".into())
                .unwrap_err(),
            ControlError::Final
        );
    }
}
