//! Static wallets (permanent deposit addresses) and the deposits that reach them.

use crate::coins::{self, Coin};
use crate::ledger::{ControlError, Reference};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// A static deposit address.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone)]
pub(crate) struct Wallet {
    pub uuid: String,
    pub order_id: String,
    #[serde(with = "crate::coins::serde_coin")]
    pub coin: &'static Coin,
    pub network: String,
    pub address: String,
    pub url_callback: Option<String>,
    pub blocked: bool,
    /// Where the one refund of a blocked wallet went.
    pub refunded_to: Option<String>,
}

/// Coins that arrived at a static wallet.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone)]
pub(crate) struct Deposit {
    pub uuid: String,
    pub wallet_uuid: String,
    pub amount: Decimal,
    pub txid: String,
    pub from: String,
}

impl Deposit {
    /// What the gateway's commission leaves the merchant.
    pub(crate) fn merchant_share(&self) -> Decimal {
        self.amount - self.commission()
    }

    /// The gateway's commission on the deposit.
    pub(crate) fn commission(&self) -> Decimal {
        self.amount * coins::COMMISSION_PERCENT / Decimal::ONE_HUNDRED
    }
}

#[derive(serde::Serialize, serde::Deserialize, Debug, Default)]
pub(crate) struct Wallets {
    by_uuid: HashMap<String, Wallet>,
    by_order: HashMap<String, String>,
    by_address: HashMap<String, String>,
    deposits: Vec<Deposit>,
    /// Every transaction credited, so a repeat is recognised at once.
    #[serde(default)]
    txids: std::collections::HashSet<String>,
}

impl Wallets {
    /// How many wallets were ever created; feeds deterministic ids.
    pub(crate) fn count(&self) -> u64 {
        self.by_uuid.len() as u64
    }

    /// How many deposits ever arrived.
    pub(crate) fn deposit_count(&self) -> u64 {
        self.deposits.len() as u64
    }

    pub(crate) fn get(&self, key: &Reference) -> Option<&Wallet> {
        key.uuid_in(&self.by_order)
            .and_then(|uuid| self.by_uuid.get(uuid))
    }

    fn get_mut(&mut self, key: &Reference) -> Result<&mut Wallet, ControlError> {
        let uuid = key
            .uuid_in(&self.by_order)
            .ok_or(ControlError::NotFound)?
            .to_owned();
        self.by_uuid.get_mut(&uuid).ok_or(ControlError::NotFound)
    }

    pub(crate) fn get_by_address(&self, address: &str) -> Option<&Wallet> {
        self.by_address
            .get(address)
            .and_then(|u| self.by_uuid.get(u))
    }

    pub(crate) fn insert(&mut self, wallet: Wallet) {
        self.by_order
            .insert(wallet.order_id.clone(), wallet.uuid.clone());
        self.by_address
            .insert(wallet.address.clone(), wallet.uuid.clone());
        self.by_uuid.insert(wallet.uuid.clone(), wallet);
    }

    /// Blocks the wallet: no more deposits are credited to it.
    pub(crate) fn block(&mut self, key: &Reference) -> Result<Wallet, ControlError> {
        let wallet = self.get_mut(key)?;
        wallet.blocked = true;
        Ok(wallet.clone())
    }

    /// The one refund a blocked wallet allows: everything it received, less commission, goes to
    /// `address` and leaves the merchant's balance. Returns (commission, amount).
    pub(crate) fn refund_blocked(
        &mut self,
        key: &Reference,
        address: String,
    ) -> Result<(Decimal, Decimal), ControlError> {
        let wallet = self.get_mut(key)?;
        if !wallet.blocked {
            return Err(ControlError::NotBlocked);
        }
        if wallet.refunded_to.is_some() {
            return Err(ControlError::AlreadyRefunded);
        }
        wallet.refunded_to = Some(address);
        let uuid = wallet.uuid.clone();
        let received: Decimal = self
            .deposits
            .iter()
            .filter(|d| d.wallet_uuid == uuid)
            .map(|d| d.amount)
            .sum();
        let commission = received * coins::COMMISSION_PERCENT / Decimal::ONE_HUNDRED;
        Ok((commission, received - commission))
    }

    /// What deposits to wallet `uuid` put on the balance, unless it was refunded.
    pub(crate) fn credited(&self, uuid: &str) -> Decimal {
        if self
            .by_uuid
            .get(uuid)
            .is_some_and(|w| w.refunded_to.is_some())
        {
            return Decimal::ZERO;
        }
        self.deposits
            .iter()
            .filter(|d| d.wallet_uuid == uuid)
            .map(Deposit::merchant_share)
            .sum()
    }

    /// Coins arrive at `address`. The same transaction twice is one deposit, as on a chain:
    /// `Ok(None)` the second time.
    pub(crate) fn deposit(
        &mut self,
        address: &str,
        amount: Decimal,
        txid: String,
        from: String,
        uuid: String,
    ) -> Result<Option<(Wallet, Deposit)>, ControlError> {
        let wallet = self
            .by_address
            .get(address)
            .and_then(|u| self.by_uuid.get(u))
            .ok_or(ControlError::NotFound)?;
        if wallet.blocked {
            return Err(ControlError::Blocked);
        }
        if self.txids.contains(&txid) {
            return Ok(None);
        }
        self.txids.insert(txid.clone());
        let deposit = Deposit {
            uuid,
            wallet_uuid: wallet.uuid.clone(),
            amount,
            txid,
            from,
        };
        let wallet = wallet.clone();
        self.deposits.push(deposit.clone());
        Ok(Some((wallet, deposit)))
    }

    /// What the merchant holds per coin from deposits, unless the wallet's money was refunded.
    pub(crate) fn balances(&self) -> Vec<(&'static str, Decimal)> {
        let mut totals: Vec<(&'static str, Decimal)> = Vec::new();
        for deposit in &self.deposits {
            let Some(wallet) = self
                .by_uuid
                .get(&deposit.wallet_uuid)
                .filter(|w| w.refunded_to.is_none())
            else {
                continue;
            };
            match totals.iter_mut().find(|(c, _)| *c == wallet.coin.code) {
                Some((_, total)) => *total += deposit.merchant_share(),
                None => totals.push((wallet.coin.code, deposit.merchant_share())),
            }
        }
        totals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wallets() -> Wallets {
        let mut w = Wallets::default();
        w.insert(Wallet {
            uuid: "w1".into(),
            order_id: "customer-1".into(),
            coin: coins::coin("USDT").unwrap(),
            network: "tron".into(),
            address: "TAddr".into(),
            url_callback: None,
            blocked: false,
            refunded_to: None,
        });
        w
    }

    #[test]
    fn one_transaction_is_one_deposit() {
        let mut w = wallets();
        assert!(
            w.deposit(
                "TAddr",
                Decimal::TEN,
                "tx1".into(),
                "TFrom".into(),
                "d1".into()
            )
            .unwrap()
            .is_some()
        );
        assert!(
            w.deposit(
                "TAddr",
                Decimal::TEN,
                "tx1".into(),
                "TFrom".into(),
                "d2".into()
            )
            .unwrap()
            .is_none()
        );
        assert!(
            w.deposit(
                "TAddr",
                Decimal::ONE,
                "tx2".into(),
                "TFrom".into(),
                "d3".into()
            )
            .unwrap()
            .is_some()
        );
        assert_eq!(w.balances(), [("USDT", Decimal::new(1078, 2))]);
        assert_eq!(
            w.deposit("TNope", Decimal::ONE, "tx3".into(), "f".into(), "d4".into())
                .unwrap_err(),
            ControlError::NotFound
        );
    }

    #[test]
    fn a_blocked_wallet_refuses_deposits_and_refunds_once() {
        let mut w = wallets();
        w.deposit(
            "TAddr",
            Decimal::TEN,
            "tx1".into(),
            "TFrom".into(),
            "d1".into(),
        )
        .unwrap();
        let key = Reference::OrderId("customer-1".into());
        assert_eq!(
            w.refund_blocked(&key, "TBack".into()).unwrap_err(),
            ControlError::NotBlocked
        );
        assert!(w.block(&key).unwrap().blocked);
        assert_eq!(
            w.deposit("TAddr", Decimal::ONE, "tx2".into(), "f".into(), "d2".into())
                .unwrap_err(),
            ControlError::Blocked
        );
        assert_eq!(
            w.refund_blocked(&key, "TBack".into()).unwrap(),
            (Decimal::new(20, 2), Decimal::new(980, 2))
        );
        assert_eq!(
            w.refund_blocked(&key, "TBack".into()).unwrap_err(),
            ControlError::AlreadyRefunded
        );
        assert!(w.balances().is_empty());
    }
}
