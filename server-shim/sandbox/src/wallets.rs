//! Static wallets (permanent deposit addresses) and the deposits that reach them.

use crate::coins::{self, Coin};
use crate::ledger::{ControlError, Reference};
use rust_decimal::Decimal;
use shim_gateway::PaymentStatus;
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
    /// Blocked with `is_force_refund`: what arrives afterwards goes back to its sender.
    #[serde(default)]
    pub force_refund: bool,
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
    /// `confirm_check` until its confirmations, then `paid` (or `fail`); `locked` when it reached
    /// a blocked wallet (held until the blocked wallet's refund), `refund_paid` once sent back.
    #[serde(default = "paid")]
    pub status: PaymentStatus,
    #[serde(default = "yes")]
    pub is_final: bool,
    /// It arrived after the wallet was blocked: never credited.
    #[serde(default)]
    pub after_block: bool,
}

fn paid() -> PaymentStatus {
    PaymentStatus::Paid
}

fn yes() -> bool {
    true
}

impl Deposit {
    /// On the merchant's balance.
    pub(crate) fn credited(&self) -> bool {
        !self.after_block && self.status == PaymentStatus::Paid
    }

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

    /// Deposit `uuid` as `/v1/payment/info` answers for it: a payment of the wallet's order id.
    pub(crate) fn deposit_payment(
        &self,
        uuid: &str,
    ) -> Option<shim_gateway::wire::CryptomusInvoice> {
        let deposit = self.deposits.iter().find(|d| d.uuid == uuid)?;
        let wallet = self.by_uuid.get(&deposit.wallet_uuid)?;
        let fixed = |amount: Decimal| coins::fixed(amount, wallet.coin.scale);
        Some(shim_gateway::wire::CryptomusInvoice {
            uuid: deposit.uuid.clone(),
            order_id: wallet.order_id.clone(),
            amount: fixed(deposit.amount),
            payment_amount: Some(fixed(deposit.amount)),
            payer_amount: Some(fixed(deposit.amount)),
            discount_percent: None,
            discount: None,
            payer_currency: Some(wallet.coin.code.to_owned()),
            currency: wallet.coin.code.to_owned(),
            merchant_amount: deposit.credited().then(|| fixed(deposit.merchant_share())),
            network: Some(wallet.network.clone()),
            address: Some(wallet.address.clone()),
            from: Some(deposit.from.clone()),
            txid: Some(deposit.txid.clone()),
            payment_status: deposit.status.clone(),
            url: String::new(),
            expired_at: 0,
            status: deposit.status.clone(),
            is_final: deposit.is_final,
            additional_data: None,
            created_at: None,
            updated_at: None,
        })
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

    /// Blocks the wallet: what arrives afterwards is not credited (with `force_refund`, it goes
    /// back to its sender).
    pub(crate) fn block(
        &mut self,
        key: &Reference,
        force_refund: bool,
    ) -> Result<Wallet, ControlError> {
        let wallet = self.get_mut(key)?;
        wallet.blocked = true;
        wallet.force_refund |= force_refund;
        Ok(wallet.clone())
    }

    /// The one refund a blocked wallet allows: what reached it after the block (and was not
    /// sent back already) goes to `address`, less commission; it never was on the balance.
    /// Returns (commission, amount) and the deposits refunded.
    pub(crate) fn refund_blocked(
        &mut self,
        key: &Reference,
        address: String,
    ) -> Result<(Decimal, Decimal, Vec<Deposit>), ControlError> {
        let wallet = self.get_mut(key)?;
        if !wallet.blocked {
            return Err(ControlError::NotBlocked);
        }
        if wallet.refunded_to.is_some() {
            return Err(ControlError::AlreadyRefunded);
        }
        wallet.refunded_to = Some(address);
        let uuid = wallet.uuid.clone();
        let mut refunded = Vec::new();
        for deposit in self
            .deposits
            .iter_mut()
            .filter(|d| d.wallet_uuid == uuid && d.after_block && d.status == PaymentStatus::Locked)
        {
            deposit.status = PaymentStatus::RefundPaid;
            deposit.is_final = true;
            refunded.push(deposit.clone());
        }
        let received: Decimal = refunded.iter().map(|d| d.amount).sum();
        let commission = received * coins::COMMISSION_PERCENT / Decimal::ONE_HUNDRED;
        Ok((commission, received - commission, refunded))
    }

    /// Coins arrive at `address`: `confirm_check` until settled, or `paid` at once with
    /// `confirmed`. At a blocked wallet they are held (`locked`), or sent back to the sender
    /// (`refund_paid`) if it was blocked with a forced refund. The same transaction twice is one
    /// deposit, as on a chain: `Ok(None)` the second time.
    pub(crate) fn deposit(
        &mut self,
        address: &str,
        amount: Decimal,
        txid: String,
        from: String,
        uuid: String,
        confirmed: bool,
    ) -> Result<Option<(Wallet, Deposit)>, ControlError> {
        let wallet = self
            .by_address
            .get(address)
            .and_then(|u| self.by_uuid.get(u))
            .ok_or(ControlError::NotFound)?;
        if self.txids.contains(&txid) {
            return Ok(None);
        }
        self.txids.insert(txid.clone());
        let (status, is_final) = match (wallet.blocked, wallet.force_refund, confirmed) {
            (true, true, _) => (PaymentStatus::RefundPaid, true),
            (true, false, _) => (PaymentStatus::Locked, false),
            (false, _, true) => (PaymentStatus::Paid, true),
            (false, _, false) => (PaymentStatus::ConfirmCheck, false),
        };
        let deposit = Deposit {
            uuid,
            wallet_uuid: wallet.uuid.clone(),
            amount,
            txid,
            from,
            status,
            is_final,
            after_block: wallet.blocked,
        };
        let wallet = wallet.clone();
        self.deposits.push(deposit.clone());
        Ok(Some((wallet, deposit)))
    }

    /// A deposit waiting for its confirmations gets them (`paid`) or fails (`fail`).
    pub(crate) fn settle(
        &mut self,
        uuid: &str,
        paid: bool,
    ) -> Result<(Wallet, Deposit), ControlError> {
        let deposit = self
            .deposits
            .iter_mut()
            .find(|d| d.uuid == uuid)
            .ok_or(ControlError::NotFound)?;
        if deposit.is_final || deposit.status != PaymentStatus::ConfirmCheck {
            return Err(ControlError::Final);
        }
        deposit.status = if paid {
            PaymentStatus::Paid
        } else {
            PaymentStatus::Fail
        };
        deposit.is_final = true;
        let deposit = deposit.clone();
        let wallet = self
            .by_uuid
            .get(&deposit.wallet_uuid)
            .ok_or(ControlError::NotFound)?
            .clone();
        Ok((wallet, deposit))
    }

    /// What the merchant holds per coin from credited deposits.
    pub(crate) fn balances(&self) -> Vec<(&'static str, Decimal)> {
        let mut totals: Vec<(&'static str, Decimal)> = Vec::new();
        for deposit in self.deposits.iter().filter(|d| d.credited()) {
            let Some(wallet) = self.by_uuid.get(&deposit.wallet_uuid) else {
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
            force_refund: false,
            refunded_to: None,
        });
        w
    }

    /// `amount` arrives on chain at `address`, in transaction `txid` from `from`, as deposit `uuid`.
    fn deposit(
        w: &mut Wallets,
        address: &str,
        amount: Decimal,
        txid: &str,
        from: &str,
        uuid: &str,
        confirmed: bool,
    ) -> Result<Option<(Wallet, Deposit)>, ControlError> {
        w.deposit(
            address,
            amount,
            txid.into(),
            from.into(),
            uuid.into(),
            confirmed,
        )
    }

    #[test]
    fn one_transaction_is_one_deposit() {
        let mut w = wallets();
        assert!(
            deposit(&mut w, "TAddr", Decimal::TEN, "tx1", "TFrom", "d1", true)
                .unwrap()
                .is_some()
        );
        assert!(
            deposit(&mut w, "TAddr", Decimal::TEN, "tx1", "TFrom", "d2", true)
                .unwrap()
                .is_none()
        );
        assert!(
            deposit(&mut w, "TAddr", Decimal::ONE, "tx2", "TFrom", "d3", true)
                .unwrap()
                .is_some()
        );
        assert_eq!(w.balances(), [("USDT", Decimal::new(1078, 2))]);
        assert_eq!(
            deposit(&mut w, "TNope", Decimal::ONE, "tx3", "f", "d4", true).unwrap_err(),
            ControlError::NotFound
        );
    }

    #[test]
    fn a_deposit_is_credited_once_confirmed() {
        let mut w = wallets();
        let (_, d) = deposit(&mut w, "TAddr", Decimal::TEN, "tx1", "f", "d1", false)
            .unwrap()
            .unwrap();
        assert_eq!(
            (d.status.clone(), d.is_final),
            (PaymentStatus::ConfirmCheck, false)
        );
        assert!(w.balances().is_empty());
        let (_, d) = w.settle("d1", true).unwrap();
        assert_eq!((d.status, d.is_final), (PaymentStatus::Paid, true));
        assert_eq!(w.balances(), [("USDT", Decimal::new(980, 2))]);
        assert_eq!(w.settle("d1", false).unwrap_err(), ControlError::Final);
        deposit(&mut w, "TAddr", Decimal::ONE, "tx2", "f", "d2", false).unwrap();
        assert_eq!(w.settle("d2", false).unwrap().1.status, PaymentStatus::Fail);
        assert_eq!(w.balances(), [("USDT", Decimal::new(980, 2))]);
    }

    #[test]
    fn a_blocked_wallet_holds_later_deposits_and_refunds_them_once() {
        let mut w = wallets();
        deposit(&mut w, "TAddr", Decimal::TEN, "tx1", "TFrom", "d1", true).unwrap();
        let key = Reference::OrderId("customer-1".into());
        assert_eq!(
            w.refund_blocked(&key, "TBack".into()).unwrap_err(),
            ControlError::NotBlocked
        );
        assert!(w.block(&key, false).unwrap().blocked);
        // Coins still arrive on chain: held, not credited.
        let (_, held) = deposit(&mut w, "TAddr", Decimal::from(5), "tx2", "f", "d2", true)
            .unwrap()
            .unwrap();
        assert_eq!(
            (held.status.clone(), held.credited()),
            (PaymentStatus::Locked, false)
        );
        let (commission, amount, refunded) = w.refund_blocked(&key, "TBack".into()).unwrap();
        assert_eq!(
            (commission, amount),
            (Decimal::new(10, 2), Decimal::new(490, 2))
        );
        assert_eq!(refunded.len(), 1);
        assert_eq!(refunded[0].status, PaymentStatus::RefundPaid);
        assert_eq!(
            w.refund_blocked(&key, "TBack".into()).unwrap_err(),
            ControlError::AlreadyRefunded
        );
        // What was credited before the block stays on the balance.
        assert_eq!(w.balances(), [("USDT", Decimal::new(980, 2))]);
    }

    #[test]
    fn a_wallet_blocked_with_a_forced_refund_sends_later_deposits_back() {
        let mut w = wallets();
        let key = Reference::OrderId("customer-1".into());
        w.block(&key, true).unwrap();
        let (_, back) = deposit(&mut w, "TAddr", Decimal::from(5), "tx1", "f", "d1", true)
            .unwrap()
            .unwrap();
        assert_eq!(
            (back.status, back.is_final),
            (PaymentStatus::RefundPaid, true)
        );
        assert_eq!(
            w.refund_blocked(&key, "TBack".into()).unwrap().1,
            Decimal::ZERO
        );
        assert!(w.balances().is_empty());
    }
}
