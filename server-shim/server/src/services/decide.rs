//! The pure part: what the gateway's report means for an invoice, and what the payer sees of it.

use super::{IpnOutcome, rfc3339};
use crate::domain::{InvoiceRecord, ReviewReason};
use crate::payment_uri::payment_uri;
use crate::store::InvoiceUpdate;
use rust_decimal::Decimal;
use shim_api::{InvoiceStatus, InvoiceView};
use shim_gateway::GatewayInvoice;

/// The gateway's default invoice lifetime, used until it tells us the real expiry.
pub(crate) const DEFAULT_LIFETIME: i64 = 3600;

/// What the gateway's view of a payment means for our invoice. Pure, so every path is tested.
///
/// Final statuses never change. Money reported after expiry sends the invoice to `review`, and so
/// does a payment whose amount or currency differs from what was asked; such a review only ends
/// with a refund or a person, never with the next webhook. A hold by the gateway (`locked`) is a
/// review that clears when the gateway moves on. The paid amount never goes down.
pub fn decide(
    current: &InvoiceRecord,
    fetched: &GatewayInvoice,
) -> (IpnOutcome, Option<InvoiceUpdate>) {
    let integrity_ok = fetched.amount == current.amount
        && fetched.currency.eq_ignore_ascii_case(&current.currency);
    let reported = InvoiceStatus::from(&fetched.status);
    let money_after_expiry = current.status == InvoiceStatus::Expired
        && matches!(
            reported,
            InvoiceStatus::Paid
                | InvoiceStatus::Overpaid
                | InvoiceStatus::Underpaid
                | InvoiceStatus::PartiallyPaid
                | InvoiceStatus::Confirming
        );
    let (target, reason) = if !integrity_ok {
        (InvoiceStatus::Review, Some(ReviewReason::AmountMismatch))
    } else if money_after_expiry {
        (InvoiceStatus::Review, Some(ReviewReason::PaidAfterExpiry))
    } else if reported == InvoiceStatus::Review {
        (InvoiceStatus::Review, Some(ReviewReason::GatewayHold))
    } else {
        (reported, None)
    };
    let sticky_review = current.status == InvoiceStatus::Review
        && !ReviewReason::clears_itself(current.review_reason.as_deref())
        && !matches!(
            target,
            InvoiceStatus::Refunding | InvoiceStatus::Refunded | InvoiceStatus::RefundFailed
        );
    let (target, reason) = if sticky_review {
        (InvoiceStatus::Review, current.review_reason.clone())
    } else {
        (target, reason.map(|r| r.as_str().to_owned()))
    };
    let paid = fetched
        .payment_amount
        .map_or(current.paid_amount, |p| p.max(current.paid_amount));
    let details_changed = paid != current.paid_amount
        || (fetched.payer_amount.is_some() && fetched.payer_amount != current.payer_amount)
        || (fetched.address.is_some() && fetched.address != current.address)
        || (fetched.txid.is_some() && fetched.txid != current.txid);
    let status_changed = target != current.status;
    if !status_changed && !details_changed {
        return (IpnOutcome::Unchanged, None);
    }
    let allowed = if status_changed {
        // A final invoice goes to review only for money on an earlier coin (see `refresh`).
        let reopened = current.status.is_final()
            && current.status != InvoiceStatus::Expired
            && target == InvoiceStatus::Review;
        current.status.can_move_to(target) && !reopened
    } else {
        !current.status.is_final()
    };
    if !allowed {
        return (IpnOutcome::Refused(current.status), None);
    }
    let update = InvoiceUpdate {
        status: target,
        gateway_status: fetched.status.as_str().to_owned(),
        paid_amount: paid,
        payer_amount: fetched.payer_amount,
        address: fetched.address.clone(),
        review_reason: reason.filter(|_| target == InvoiceStatus::Review),
        txid: fetched.txid.clone(),
    };
    (IpnOutcome::Applied(target), Some(update))
}

/// The payer's view of an invoice at `now`.
/// When the invoice expires, unix seconds: the gateway's word, or the lifetime asked for.
pub(crate) fn view_expiry(record: &InvoiceRecord) -> i64 {
    record
        .expires_at
        .unwrap_or(record.created_at + record.lifetime.map_or(DEFAULT_LIFETIME, i64::from))
}

/// What the payer sees of an invoice at `now`.
pub fn invoice_view(record: &InvoiceRecord, now: i64) -> InvoiceView {
    let expires_at = view_expiry(record);
    let remaining = record
        .payer_amount
        .map(|due| (due - record.paid_amount).max(Decimal::ZERO));
    let payment_uri = match (&record.network, &record.payer_currency, &record.address) {
        (Some(network), Some(coin), Some(address)) => {
            Some(payment_uri(network, coin, address, remaining))
        }
        (_, _, Some(address)) => Some(address.clone()),
        _ => None,
    };
    let seconds_left = if record.status.is_final() {
        0
    } else {
        (expires_at - now).max(0) as u64
    };
    InvoiceView {
        id: record.id.clone(),
        status: record.status,
        is_final: record.status.is_final(),
        amount: record.amount.to_string(),
        currency: record.currency.clone(),
        payer_amount: record.payer_amount.map(|a| a.to_string()),
        payer_currency: record.payer_currency.clone(),
        network: record.network.clone(),
        address: record.address.clone(),
        paid_amount: record.paid_amount.to_string(),
        remaining_amount: remaining.map(|r| r.to_string()),
        payment_uri,
        expires_at: rfc3339(expires_at),
        seconds_left,
        url_return: record.url_return.clone(),
        url_success: record.url_success.clone(),
        version: record.version.max(0) as u64,
        can_change_coin: record.status == InvoiceStatus::Pending
            && record.paid_amount.is_zero()
            && seconds_left > 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ShopId;
    use crate::services::{ReconcilePolicy, reconcile_due};
    use shim_api::InvoiceId;
    use shim_gateway::PaymentStatus;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn record(status: InvoiceStatus) -> InvoiceRecord {
        InvoiceRecord {
            id: InvoiceId::parse("inv_1").unwrap(),
            shop_id: ShopId("s".into()),
            order_id: "1".into(),
            amount: d("15"),
            currency: "USD".into(),
            network: Some("tron".into()),
            to_currency: Some("USDT".into()),
            lifetime: None,
            url_return: None,
            url_success: None,
            platform_order_ref: None,
            shop_order: true,
            gateway_uuid: Some("u".into()),
            gateway_status: Some("check".into()),
            payer_amount: Some(d("15.000000")),
            payer_currency: Some("USDT".into()),
            address: Some("TAddr".into()),
            txid: None,
            paid_amount: Decimal::ZERO,
            status,
            review_reason: None,
            checked_at: None,
            version: 1,
            expires_at: Some(1000),
            created_at: 0,
            updated_at: 0,
        }
    }

    fn fetched(status: &str, paid: Option<&str>) -> GatewayInvoice {
        GatewayInvoice {
            uuid: "u".into(),
            order_id: "inv_1".into(),
            amount: d("15.00"),
            currency: "USD".into(),
            payer_amount: Some(d("15.000000")),
            payer_currency: Some("USDT".into()),
            payment_amount: paid.map(d),
            merchant_amount: None,
            network: Some("tron".into()),
            address: Some("TAddr".into()),
            txid: None,
            status: PaymentStatus::parse(status),
            is_final: false,
            url: String::new(),
            expires_at: 1000,
            created_at: None,
            updated_at: None,
        }
    }

    #[test]
    fn quiet_invoices_are_checked_less_often() {
        let mut invoice = record(InvoiceStatus::Pending);
        invoice.checked_at = None;
        let p = ReconcilePolicy::default();
        assert!(reconcile_due(&invoice, 0, &p), "never checked");
        invoice.updated_at = 100;
        invoice.checked_at = Some(110);
        assert!(!reconcile_due(&invoice, 130, &p), "30 s at least");
        assert!(reconcile_due(&invoice, 140, &p));
        invoice.checked_at = Some(800);
        assert!(
            !reconcile_due(&invoice, 900, &p),
            "quiet for 800 s: every 200 s"
        );
        assert!(
            reconcile_due(&invoice, 1000, &p),
            "past expiry (1000) once more"
        );
        invoice.expires_at = Some(100_000);
        invoice.checked_at = Some(50_000);
        assert!(!reconcile_due(&invoice, 51_000, &p), "at most every 30 min");
        assert!(reconcile_due(&invoice, 51_800, &p));
    }

    #[test]
    fn paid_is_applied_once() {
        let (outcome, update) = decide(
            &record(InvoiceStatus::Pending),
            &fetched("paid", Some("15")),
        );
        assert_eq!(outcome, IpnOutcome::Applied(InvoiceStatus::Paid));
        assert_eq!(update.unwrap().paid_amount, d("15"));
        let mut paid = record(InvoiceStatus::Paid);
        paid.paid_amount = d("15");
        assert_eq!(
            decide(&paid, &fetched("paid", Some("15"))).0,
            IpnOutcome::Unchanged
        );
    }

    #[test]
    fn final_statuses_do_not_move() {
        let (outcome, update) = decide(&record(InvoiceStatus::Paid), &fetched("check", None));
        assert_eq!(outcome, IpnOutcome::Refused(InvoiceStatus::Paid));
        assert!(update.is_none());
    }

    #[test]
    fn money_after_expiry_needs_review() {
        let (outcome, _) = decide(
            &record(InvoiceStatus::Expired),
            &fetched("paid", Some("15")),
        );
        assert_eq!(outcome, IpnOutcome::Applied(InvoiceStatus::Review));
    }

    #[test]
    fn a_review_for_late_money_does_not_end_with_the_next_webhook() {
        let (_, update) = decide(
            &record(InvoiceStatus::Expired),
            &fetched("confirm_check", Some("15")),
        );
        let update = update.unwrap();
        assert_eq!(update.review_reason.as_deref(), Some("paid_after_expiry"));
        let mut review = record(InvoiceStatus::Review);
        review.review_reason = update.review_reason;
        review.paid_amount = d("15");
        assert_eq!(
            decide(&review, &fetched("paid", Some("15"))).0,
            IpnOutcome::Unchanged
        );
        assert_eq!(
            decide(&review, &fetched("refund_process", Some("15"))).0,
            IpnOutcome::Applied(InvoiceStatus::Refunding),
            "a refund still ends it"
        );
    }

    #[test]
    fn a_gateway_hold_clears_when_the_gateway_moves_on() {
        let (outcome, update) = decide(
            &record(InvoiceStatus::Pending),
            &fetched("locked", Some("15")),
        );
        assert_eq!(outcome, IpnOutcome::Applied(InvoiceStatus::Review));
        let mut held = record(InvoiceStatus::Review);
        held.review_reason = update.unwrap().review_reason;
        held.paid_amount = d("15");
        assert_eq!(
            decide(&held, &fetched("paid", Some("15"))).0,
            IpnOutcome::Applied(InvoiceStatus::Paid)
        );
    }

    #[test]
    fn a_stale_report_never_lowers_the_paid_amount() {
        let mut partial = record(InvoiceStatus::PartiallyPaid);
        partial.paid_amount = d("5");
        let (_, update) = decide(&partial, &fetched("confirm_check", Some("3")));
        assert_eq!(update.unwrap().paid_amount, d("5"));
    }

    #[test]
    fn top_ups_update_the_paid_amount() {
        let mut partial = record(InvoiceStatus::PartiallyPaid);
        partial.paid_amount = d("5");
        let (outcome, update) = decide(&partial, &fetched("wrong_amount_waiting", Some("10")));
        assert_eq!(outcome, IpnOutcome::Applied(InvoiceStatus::PartiallyPaid));
        assert_eq!(update.unwrap().paid_amount, d("10"));
    }

    #[test]
    fn a_different_amount_at_the_gateway_needs_review() {
        let mut other = fetched("paid", Some("1"));
        other.amount = d("1");
        assert_eq!(
            decide(&record(InvoiceStatus::Pending), &other).0,
            IpnOutcome::Applied(InvoiceStatus::Review)
        );
    }

    #[test]
    fn the_view_counts_down_and_shows_what_is_due() {
        let mut partial = record(InvoiceStatus::PartiallyPaid);
        partial.paid_amount = d("5");
        let view = invoice_view(&partial, 400);
        assert_eq!(view.seconds_left, 600);
        assert_eq!(view.remaining_amount.as_deref(), Some("10.000000"));
        assert_eq!(view.expires_at, "1970-01-01T00:16:40Z");
        assert_eq!(view.payment_uri.as_deref(), Some("TAddr"));
        assert!(!view.is_final);
        let done = invoice_view(&record(InvoiceStatus::Expired), 400);
        assert_eq!((done.seconds_left, done.is_final), (0, true));
    }
}
