//! The sandbox's payments and the pure rules that move them: what arrived, and which status follows.
//! Every function takes `now` so the rules are tested without a clock.

use crate::coins::{self, Coin};
use rust_decimal::Decimal;
use shim_gateway::PaymentStatus;
use shim_gateway::wire::CryptomusInvoice;
use std::collections::HashMap;

/// One invoice at the sandbox.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone)]
pub(crate) struct Payment {
    pub uuid: String,
    pub order_id: String,
    pub amount: Decimal,
    pub currency: String,
    #[serde(with = "crate::coins::serde_coin_opt")]
    pub payer_coin: Option<&'static Coin>,
    pub payer_amount: Option<Decimal>,
    pub network: Option<String>,
    pub address: Option<String>,
    /// Everything received, in the payer's coin.
    pub paid: Decimal,
    pub txid: Option<String>,
    pub from: Option<String>,
    pub status: PaymentStatus,
    pub is_final: bool,
    pub is_payment_multiple: bool,
    /// How far below the amount still counts as paid, in percent.
    pub accuracy_percent: Decimal,
    /// The payer's discount (negative: surcharge), percent.
    pub discount_percent: i64,
    pub url_callback: Option<String>,
    pub additional_data: Option<String>,
    pub url: String,
    /// Where a refund goes, once asked for.
    pub refund_address: Option<String>,
    /// Creation order, from 1.
    pub seq: u64,
    pub created_at: i64,
    pub updated_at: i64,
    pub expires_at: i64,
}

/// How requests name a payment, a wallet or a payout: by the gateway's uuid or the merchant's
/// order id.
#[derive(Debug, Clone)]
pub(crate) enum Reference {
    Uuid(String),
    OrderId(String),
}

impl Reference {
    /// The uuid this names, given the order id → uuid index of its kind.
    pub(crate) fn uuid_in<'a>(&'a self, by_order: &'a HashMap<String, String>) -> Option<&'a str> {
        match self {
            Reference::Uuid(uuid) => Some(uuid),
            Reference::OrderId(order) => by_order.get(order).map(String::as_str),
        }
    }
}

/// Why a control could not act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ControlError {
    NotFound,
    Final,
    NoCoinChosen,
    NotConfirming,
    NotRefundable,
    NotRefunding,
    NotOpen,
    NotBlocked,
    AlreadyRefunded,
    InsufficientFunds,
}

impl ControlError {
    pub(crate) fn message(&self) -> &'static str {
        match self {
            Self::NotFound => "Payment was not found",
            Self::Final => "The payment is already final",
            Self::NoCoinChosen => {
                "The payment has no coin and network yet: the payer picks one on the pay page first"
            }
            Self::NotConfirming => "The payment has no transaction waiting for confirmation",
            Self::NotRefundable => "The payment cannot be refunded",
            Self::NotRefunding => "The payment has no refund in progress",
            Self::NotOpen => "The payment is being refunded or held and takes no payment now",
            Self::NotBlocked => "The wallet is not blocked",
            Self::AlreadyRefunded => "The refund of this wallet was already made",
            Self::InsufficientFunds => "Not enough funds on the balance",
        }
    }
}

#[derive(serde::Serialize, serde::Deserialize, Debug, Default)]
pub(crate) struct Payments {
    by_uuid: HashMap<String, Payment>,
    by_order: HashMap<String, String>,
    /// How many payments were ever created; feeds deterministic ids.
    pub created: u64,
    /// How many transactions were ever simulated; feeds deterministic txids.
    pub transactions: u64,
}

impl Payments {
    pub(crate) fn get(&self, key: &Reference) -> Option<&Payment> {
        self.uuid_for(key).and_then(|uuid| self.by_uuid.get(&uuid))
    }

    fn get_mut(&mut self, key: &Reference) -> Result<&mut Payment, ControlError> {
        let uuid = self.uuid_for(key).ok_or(ControlError::NotFound)?;
        self.by_uuid.get_mut(&uuid).ok_or(ControlError::NotFound)
    }

    /// The payment a control names. An order id whose payment has no coin yet stands for the
    /// newest of its successors, `{order id}-2`, `-3`...: the payments the shim asks for when the
    /// payer picks a coin. So the shim's invoice id is all a merchant trying things needs.
    fn uuid_for(&self, key: &Reference) -> Option<String> {
        let uuid = key.uuid_in(&self.by_order)?;
        if let Reference::OrderId(order) = key
            && self.by_uuid.get(uuid).is_some_and(|p| p.network.is_none())
            && let Some(newest) = (2..)
                .map(|n| format!("{order}-{n}"))
                .map_while(|successor| self.by_order.get(&successor))
                .last()
        {
            return Some(newest.clone());
        }
        Some(uuid.to_owned())
    }

    pub(crate) fn insert(&mut self, mut payment: Payment) {
        payment.seq = self.created + 1;
        self.by_order
            .insert(payment.order_id.clone(), payment.uuid.clone());
        self.by_uuid.insert(payment.uuid.clone(), payment);
        self.created += 1;
    }

    /// Money arrives: the payment goes to `confirm_check`, and, when `confirm` is set, on to the
    /// status the total calls for. Returns the snapshots to send as webhooks, in order. With
    /// `late`, the money reaches the address of a payment that already expired unpaid (a chain does
    /// not know about invoice lifetimes), and the gateway reports it all the same.
    pub(crate) fn pay(
        &mut self,
        key: &Reference,
        amount: Decimal,
        txid: String,
        confirm: bool,
        late: bool,
        now: i64,
    ) -> Result<Vec<Payment>, ControlError> {
        let payment = self.get_mut(key)?;
        if !(late && payment.status == PaymentStatus::Cancel) {
            payment.require_open()?;
        }
        if payment.payer_amount.is_none() || payment.address.is_none() {
            return Err(ControlError::NoCoinChosen);
        }
        payment.paid += amount;
        payment.txid = Some(txid);
        payment.status = PaymentStatus::ConfirmCheck;
        payment.updated_at = now;
        let mut changes = vec![payment.clone()];
        if confirm {
            payment.settle(now);
            changes.push(payment.clone());
        }
        Ok(changes)
    }

    /// The waiting transaction gets its confirmations.
    pub(crate) fn confirm(&mut self, key: &Reference, now: i64) -> Result<Payment, ControlError> {
        let payment = self.get_mut(key)?;
        // A payment held by AML checks (`locked`) is released the same way.
        if !matches!(
            payment.status,
            PaymentStatus::ConfirmCheck | PaymentStatus::Locked
        ) {
            return Err(ControlError::NotConfirming);
        }
        payment.settle(now);
        Ok(payment.clone())
    }

    /// The gateway puts an open payment in `status`: `fail` or `system_fail` (final), or `locked`
    /// (held by AML checks until `confirm` releases it).
    pub(crate) fn force(
        &mut self,
        key: &Reference,
        status: PaymentStatus,
        now: i64,
    ) -> Result<Payment, ControlError> {
        let payment = self.get_mut(key)?;
        payment.require_open()?;
        payment.set(status, now);
        Ok(payment.clone())
    }

    /// The lifetime ends now.
    pub(crate) fn expire(&mut self, key: &Reference, now: i64) -> Result<Payment, ControlError> {
        let payment = self.get_mut(key)?;
        payment.require_open()?;
        payment.expires_at = payment.expires_at.min(now);
        payment.close(now);
        Ok(payment.clone())
    }

    /// Asks for a refund of a paid payment, or again after a refund failed: `refund_process`.
    pub(crate) fn refund(
        &mut self,
        key: &Reference,
        address: String,
        now: i64,
    ) -> Result<Payment, ControlError> {
        let payment = self.get_mut(key)?;
        if !matches!(
            payment.status,
            PaymentStatus::Paid
                | PaymentStatus::PaidOver
                | PaymentStatus::WrongAmount
                | PaymentStatus::RefundFail
        ) {
            return Err(ControlError::NotRefundable);
        }
        payment.refund_address = Some(address);
        payment.set(PaymentStatus::RefundProcess, now);
        Ok(payment.clone())
    }

    /// The refund in progress completes (`refund_paid`) or fails (`refund_fail`).
    pub(crate) fn finish_refund(
        &mut self,
        key: &Reference,
        paid: bool,
        now: i64,
    ) -> Result<Payment, ControlError> {
        let payment = self.get_mut(key)?;
        if payment.status != PaymentStatus::RefundProcess {
            return Err(ControlError::NotRefunding);
        }
        payment.set(
            if paid {
                PaymentStatus::RefundPaid
            } else {
                PaymentStatus::RefundFail
            },
            now,
        );
        Ok(payment.clone())
    }

    /// Payments created in `[from, to]` (unix seconds), newest first.
    pub(crate) fn list(&self, from: i64, to: i64) -> Vec<&Payment> {
        let mut found: Vec<&Payment> = self
            .by_uuid
            .values()
            .filter(|p| (from..=to).contains(&p.created_at))
            .collect();
        found.sort_by_key(|p| std::cmp::Reverse(p.seq));
        found
    }

    /// What the merchant holds per coin: the merchant share of every payment that was paid and
    /// not refunded.
    pub(crate) fn balances(&self) -> Vec<(&'static str, Decimal)> {
        let mut totals: Vec<(&'static str, Decimal)> = Vec::new();
        for payment in self.by_uuid.values() {
            let kept = matches!(
                payment.status,
                PaymentStatus::Paid
                    | PaymentStatus::PaidOver
                    | PaymentStatus::WrongAmount
                    | PaymentStatus::RefundProcess
                    | PaymentStatus::RefundFail
            );
            let Some(code) = payment.payer_currency().filter(|_| kept) else {
                continue;
            };
            let amount = payment.merchant_share();
            match totals.iter_mut().find(|(c, _)| *c == code) {
                Some((_, total)) => *total += amount,
                None => totals.push((code, amount)),
            }
        }
        totals.sort_by_key(|(code, _)| *code);
        totals
    }

    /// Closes every open payment whose lifetime has passed.
    pub(crate) fn expire_due(&mut self, now: i64) -> Vec<Payment> {
        self.by_uuid
            .values_mut()
            .filter(|p| p.is_open() && p.expires_at <= now)
            .map(|p| {
                p.close(now);
                p.clone()
            })
            .collect()
    }
}

impl Payment {
    /// Whether the payment still waits for money: the only state in which money, expiry, a
    /// failure or a hold can reach it. A refund in progress or an AML hold is not open.
    pub(crate) fn is_open(&self) -> bool {
        matches!(
            self.status,
            PaymentStatus::Check
                | PaymentStatus::Process
                | PaymentStatus::ConfirmCheck
                | PaymentStatus::WrongAmountWaiting
        )
    }

    fn require_open(&self) -> Result<(), ControlError> {
        match (self.is_open(), self.is_final) {
            (true, _) => Ok(()),
            (false, true) => Err(ControlError::Final),
            (false, false) => Err(ControlError::NotOpen),
        }
    }

    fn set(&mut self, status: PaymentStatus, now: i64) {
        self.is_final = matches!(
            status,
            PaymentStatus::Paid
                | PaymentStatus::PaidOver
                | PaymentStatus::WrongAmount
                | PaymentStatus::Cancel
                | PaymentStatus::Fail
                | PaymentStatus::SystemFail
                | PaymentStatus::RefundPaid
                | PaymentStatus::RefundFail
        );
        self.status = status;
        self.updated_at = now;
    }

    /// The status the confirmed total calls for.
    fn settle(&mut self, now: i64) {
        let due = self.payer_amount.unwrap_or_default();
        let tolerance = due * self.accuracy_percent / Decimal::ONE_HUNDRED;
        let status = if self.paid > due {
            PaymentStatus::PaidOver
        } else if self.paid + tolerance >= due {
            PaymentStatus::Paid
        } else if self.is_payment_multiple && now < self.expires_at {
            PaymentStatus::WrongAmountWaiting
        } else {
            PaymentStatus::WrongAmount
        };
        self.set(status, now);
    }

    /// The lifetime is over: nothing paid is `cancel`, a short total is `wrong_amount`.
    fn close(&mut self, now: i64) {
        if self.paid.is_zero() {
            self.set(PaymentStatus::Cancel, now);
        } else {
            self.is_payment_multiple = false;
            self.settle(now);
        }
    }

    /// A made-up payment for `/v1/test-webhook/payment`: never stored.
    pub(crate) fn sample(
        uuid: String,
        order_id: String,
        coin: Option<&'static Coin>,
        network: Option<String>,
        now: i64,
    ) -> Self {
        let amount = Decimal::new(15, 0);
        Payment {
            uuid,
            order_id,
            amount,
            currency: coin.map_or("USD", |c| c.code).to_owned(),
            payer_coin: coin,
            payer_amount: coin.and_then(|c| coins::convert(amount, "USD", c)),
            network,
            address: None,
            paid: Decimal::ZERO,
            txid: None,
            from: None,
            status: PaymentStatus::Check,
            is_final: false,
            is_payment_multiple: true,
            accuracy_percent: Decimal::ZERO,
            discount_percent: 0,
            url_callback: None,
            additional_data: None,
            url: String::new(),
            refund_address: None,
            seq: 0,
            created_at: now,
            updated_at: now,
            expires_at: now + 3600,
        }
    }

    /// Puts a sample in `status`, with the paid amount that status implies.
    pub(crate) fn set_status_for_test(&mut self, status: PaymentStatus, now: i64) {
        if matches!(status, PaymentStatus::Paid | PaymentStatus::PaidOver) && self.paid.is_zero() {
            self.paid = self.payer_amount.unwrap_or_default();
        }
        self.set(status, now);
    }

    /// The discount in the payer's coin (negative for a surcharge).
    fn discount_text(&self) -> String {
        let Some(due) = self.payer_amount.filter(|_| self.discount_percent != 0) else {
            return "0.00000000".into();
        };
        let factor = Decimal::from(100 - self.discount_percent);
        let full = if factor.is_zero() {
            due
        } else {
            due * Decimal::ONE_HUNDRED / factor
        };
        self.payer_fixed(full - due)
    }

    /// What the gateway's commission leaves the merchant of what was paid.
    pub(crate) fn merchant_share(&self) -> Decimal {
        self.paid - self.paid * crate::coins::COMMISSION_PERCENT / Decimal::ONE_HUNDRED
    }

    pub(crate) fn payer_currency(&self) -> Option<&'static str> {
        self.payer_coin.map(|c| c.code)
    }

    fn payer_fixed(&self, amount: Decimal) -> String {
        coins::fixed(amount, self.payer_coin.map_or(8, |c| c.scale))
    }

    /// What the payer has sent, formatted in the payer's coin.
    pub(crate) fn paid_text(&self) -> String {
        self.payer_fixed(self.paid)
    }

    /// The invoice object of the API.
    pub(crate) fn to_wire(&self) -> CryptomusInvoice {
        CryptomusInvoice {
            uuid: self.uuid.clone(),
            order_id: self.order_id.clone(),
            amount: coins::fixed(self.amount, self.amount.scale().max(2)),
            payment_amount: (!self.paid.is_zero()).then(|| self.paid_text()),
            payer_amount: self.payer_amount.map(|a| self.payer_fixed(a)),
            discount_percent: Some(self.discount_percent),
            discount: Some(self.discount_text()),
            payer_currency: self.payer_currency().map(str::to_owned),
            currency: self.currency.clone(),
            merchant_amount: (!self.paid.is_zero())
                .then(|| self.payer_fixed(self.merchant_share())),
            network: self.network.clone(),
            address: self.address.clone(),
            from: self.from.clone(),
            txid: self.txid.clone(),
            payment_status: self.status.clone(),
            url: self.url.clone(),
            expired_at: self.expires_at,
            status: self.status.clone(),
            is_final: self.is_final,
            additional_data: self.additional_data.clone(),
            created_at: Some(gateway_time(self.created_at)),
            updated_at: Some(gateway_time(self.updated_at)),
        }
    }
}

/// The gateway prints times in its local offset, +03:00.
pub(crate) fn gateway_time(unix: i64) -> String {
    let offset = time::UtcOffset::from_hms(3, 0, 0).unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| t.to_offset(offset))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payment(multiple: bool) -> Payments {
        let mut payments = Payments::default();
        // The sample, but asked in USD, with its address given.
        payments.insert(Payment {
            currency: "USD".into(),
            payer_amount: Some(Decimal::new(15, 0)),
            address: Some("T...".into()),
            is_payment_multiple: multiple,
            ..Payment::sample(
                "u1".into(),
                "o1".into(),
                coins::coin("USDT"),
                Some("tron".into()),
                0,
            )
        });
        payments
    }

    fn statuses(changes: &[Payment]) -> Vec<PaymentStatus> {
        changes.iter().map(|p| p.status.clone()).collect()
    }

    const KEY: fn() -> Reference = || Reference::OrderId("o1".into());

    /// The payer sends `units` confirmed, before expiry, to the invoice `KEY` names.
    fn pay(
        p: &mut Payments,
        units: i64,
        txid: &str,
        now: i64,
    ) -> Result<Vec<Payment>, ControlError> {
        p.pay(
            &KEY(),
            Decimal::new(units, 0),
            txid.into(),
            true,
            false,
            now,
        )
    }

    #[test]
    fn exact_payment_confirms_then_pays() {
        let mut p = payment(true);
        let changes = pay(&mut p, 15, "t1", 10).unwrap();
        assert_eq!(
            statuses(&changes),
            [PaymentStatus::ConfirmCheck, PaymentStatus::Paid]
        );
        assert!(changes[1].is_final);
        assert_eq!(pay(&mut p, 1, "t2", 11).unwrap_err(), ControlError::Final);
    }

    #[test]
    fn short_payment_waits_for_a_top_up() {
        let mut p = payment(true);
        let changes = pay(&mut p, 10, "t1", 10).unwrap();
        assert_eq!(changes[1].status, PaymentStatus::WrongAmountWaiting);
        let changes = pay(&mut p, 6, "t2", 20).unwrap();
        assert_eq!(changes[1].status, PaymentStatus::PaidOver);
    }

    #[test]
    fn short_payment_without_top_ups_is_closed() {
        let mut p = payment(false);
        let changes = pay(&mut p, 10, "t1", 10).unwrap();
        assert_eq!(changes[1].status, PaymentStatus::WrongAmount);
    }

    #[test]
    fn an_invoice_id_names_the_payment_its_payer_picked_a_coin_for() {
        let mut p = payment(true);
        let mut without_coin = p.by_uuid["u1"].clone();
        without_coin.uuid = "u0".into();
        without_coin.order_id = "inv".into();
        without_coin.network = None;
        without_coin.address = None;
        p.insert(without_coin);
        let invoice = Reference::OrderId("inv".into());
        assert_eq!(
            p.pay(&invoice, Decimal::new(1, 0), "t0".into(), true, false, 9)
                .unwrap_err(),
            ControlError::NoCoinChosen
        );
        for (n, uuid) in [(2, "u2"), (3, "u3")] {
            let mut picked = p.by_uuid["u1"].clone();
            picked.uuid = uuid.into();
            picked.order_id = format!("inv-{n}");
            p.insert(picked);
        }
        let changes = p
            .pay(&invoice, Decimal::new(15, 0), "t1".into(), true, false, 10)
            .unwrap();
        assert!(changes.iter().all(|c| c.uuid == "u3"), "the newest coin");
        assert_eq!(p.get(&invoice).map(|x| x.uuid.as_str()), Some("u3"));
        assert_eq!(
            p.get(&Reference::OrderId("inv-2".into()))
                .map(|x| x.uuid.as_str()),
            Some("u2"),
            "a successor's own id still names it"
        );
    }

    #[test]
    fn unconfirmed_payment_waits_for_confirm() {
        let mut p = payment(true);
        let changes = p
            .pay(&KEY(), Decimal::new(15, 0), "t1".into(), false, false, 10)
            .unwrap();
        assert_eq!(statuses(&changes), [PaymentStatus::ConfirmCheck]);
        assert_eq!(p.confirm(&KEY(), 11).unwrap().status, PaymentStatus::Paid);
        assert_eq!(
            p.confirm(&KEY(), 12).unwrap_err(),
            ControlError::NotConfirming
        );
    }

    #[test]
    fn expiry_cancels_or_closes_short() {
        let mut p = payment(true);
        assert_eq!(p.expire(&KEY(), 100).unwrap().status, PaymentStatus::Cancel);
        assert_eq!(p.expire(&KEY(), 101).unwrap_err(), ControlError::Final);

        let mut p = payment(true);
        pay(&mut p, 5, "t1", 10).unwrap();
        let closed = p.expire_due(3600);
        assert_eq!(statuses(&closed), [PaymentStatus::WrongAmount]);
        assert!(p.expire_due(4000).is_empty());
    }

    #[test]
    fn money_may_still_reach_an_expired_address() {
        let mut p = payment(true);
        p.expire(&KEY(), 100).unwrap();
        assert_eq!(
            pay(&mut p, 15, "t1", 200).unwrap_err(),
            ControlError::Final,
            "the payer's wallet cannot pay a closed invoice"
        );
        let late = p
            .pay(&KEY(), Decimal::new(15, 0), "t1".into(), true, true, 200)
            .unwrap();
        assert_eq!(
            statuses(&late),
            [PaymentStatus::ConfirmCheck, PaymentStatus::Paid]
        );
    }

    #[test]
    fn refunds_follow_a_paid_payment() {
        let mut p = payment(true);
        assert_eq!(
            p.refund(&KEY(), "TBack".into(), 5).unwrap_err(),
            ControlError::NotRefundable
        );
        pay(&mut p, 15, "t1", 10).unwrap();
        assert_eq!(p.balances(), [("USDT", Decimal::new(1470, 2))]);
        assert_eq!(
            p.finish_refund(&KEY(), true, 11).unwrap_err(),
            ControlError::NotRefunding
        );
        let refunding = p.refund(&KEY(), "TBack".into(), 12).unwrap();
        assert_eq!(
            (refunding.status, refunding.is_final),
            (PaymentStatus::RefundProcess, false)
        );
        assert_eq!(
            p.refund(&KEY(), "TBack".into(), 12).unwrap_err(),
            ControlError::NotRefundable,
            "one refund at a time"
        );
        let failed = p.finish_refund(&KEY(), false, 13).unwrap();
        assert_eq!(failed.status, PaymentStatus::RefundFail);
        assert_eq!(p.balances(), [("USDT", Decimal::new(1470, 2))]);
        p.refund(&KEY(), "TBack".into(), 14).unwrap();
        let done = p.finish_refund(&KEY(), true, 15).unwrap();
        assert_eq!(
            (done.status, done.is_final),
            (PaymentStatus::RefundPaid, true)
        );
        assert!(
            p.balances().is_empty(),
            "refunded money is no longer the merchant's"
        );
    }

    #[test]
    fn lists_newest_first_within_dates() {
        let mut p = payment(true);
        let mut second = p.get(&KEY()).unwrap().clone();
        second.uuid = "u2".into();
        second.order_id = "o2".into();
        second.created_at = 100;
        p.insert(second);
        let uuids: Vec<_> = p.list(0, 1000).iter().map(|x| x.uuid.as_str()).collect();
        assert_eq!(uuids, ["u2", "u1"]);
        assert_eq!(p.list(50, 1000).len(), 1);
    }

    #[test]
    fn expiry_leaves_refunds_and_holds_alone() {
        let mut p = payment(true);
        pay(&mut p, 15, "t1", 10).unwrap();
        p.refund(&KEY(), "TBack".into(), 11).unwrap();
        assert!(
            p.expire_due(10_000).is_empty(),
            "a refund in progress does not expire"
        );
        assert_eq!(p.expire(&KEY(), 10_001).unwrap_err(), ControlError::NotOpen);
        assert_eq!(
            p.force(&KEY(), PaymentStatus::Fail, 10_002).unwrap_err(),
            ControlError::NotOpen
        );

        let mut held = payment(true);
        held.force(&KEY(), PaymentStatus::Locked, 5).unwrap();
        assert!(
            held.expire_due(10_000).is_empty(),
            "only confirm releases a hold"
        );
        assert_eq!(
            pay(&mut held, 1, "t", 6).unwrap_err(),
            ControlError::NotOpen
        );
    }

    #[test]
    fn unknown_payments_are_reported() {
        let mut p = payment(true);
        let key = Reference::Uuid("nope".into());
        assert_eq!(p.expire(&key, 1).unwrap_err(), ControlError::NotFound);
    }

    #[test]
    fn times_are_in_the_gateways_offset() {
        assert_eq!(gateway_time(0), "1970-01-01T03:00:00+03:00");
    }
}
