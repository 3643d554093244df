//! Shop platform adapters: what a shop's order should do when its invoice moves.
//!
//! # Layout
//! - [`OrderState`] and [`OrderAction`]: the platform-neutral view of a shop order, and the
//!   read-compare-write decision [`next_action`] every adapter follows: a status already applied
//!   (or a later one) is not applied again, a paid order is never downgraded, and an order the
//!   merchant settled by hand only gets a note.
//!
//! - [`platform`]: the [`platform::Platform`] trait every adapter implements (read an order, carry
//!   out an action), its typed error that says whether a retry can help, and [`platform::sync`],
//!   the one read-compare-write path.
//! - [`egress`]: where the shim may connect on a shop's behalf (no private addresses unless the
//!   operator allows them, checked after DNS; no redirects).
//! - [`plugin_route`]: our plugins' own route inside WooCommerce and PrestaShop shops (ping, read
//!   an order, update it once per key), with its wire formats in `plugin_route/transformers.rs`.
//! - [`signed`]: the shim's signed calls to a route of our own plugin inside the shop (OpenCart,
//!   WooCommerce), and the signature the plugins check.
//! - One module per platform, with its pure wire formats and rules in `<platform>/transformers.rs`:
//!   [`woocommerce`], [`prestashop`], [`opencart`], [`shopify`].

pub mod egress;
pub mod opencart;
pub mod platform;
pub mod plugin_route;
pub mod prestashop;
pub mod shopify;
pub mod signed;
pub mod woocommerce;

use shim_api::InvoiceStatus;

/// A shop order as every platform can describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderState {
    /// Created, waiting for the payment.
    AwaitingPayment,
    /// Held: a payment is confirming, or needs the merchant's attention.
    OnHold,
    /// Paid (processing or completed).
    Paid,
    /// Cancelled (by expiry or by the merchant).
    Cancelled,
    /// Marked failed.
    Failed,
    /// Refunded.
    Refunded,
}

/// What to do to the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderAction {
    /// Nothing: the order already says this (or something later).
    Nothing,
    /// Mark it paid; `note` for the merchant when the payment was unusual (overpaid).
    MarkPaid {
        /// An optional note.
        note: Option<String>,
    },
    /// Put it on hold with a note explaining why.
    Hold {
        /// Why.
        note: String,
    },
    /// Cancel it (restocks on most platforms).
    Cancel,
    /// Mark it failed.
    Fail,
    /// Mark it refunded.
    Refund,
    /// Leave the status alone and tell the merchant something.
    NoteOnly {
        /// What to tell.
        note: String,
    },
}

/// The action that brings an order in `order` state in line with an invoice in `status`.
pub fn next_action(order: OrderState, status: InvoiceStatus) -> OrderAction {
    use InvoiceStatus as I;
    use OrderState as O;
    match (status, order) {
        (I::Pending, _) => OrderAction::Nothing,
        (I::Confirming, O::AwaitingPayment) => OrderAction::Hold {
            note: "Crypto payment seen on chain; waiting for confirmations.".into(),
        },
        (I::Paid | I::Overpaid, O::Paid | O::Refunded) => OrderAction::Nothing,
        (I::Paid, _) => OrderAction::MarkPaid { note: None },
        (I::Overpaid, _) => OrderAction::MarkPaid {
            note: Some("The customer paid more than the order total; the excess may be refunded.".into()),
        },
        (I::PartiallyPaid, O::AwaitingPayment) => OrderAction::Hold {
            note: "Partially paid in crypto; waiting for the customer to send the rest.".into(),
        },
        (I::Underpaid, O::AwaitingPayment | O::OnHold) => OrderAction::Hold {
            note: "The crypto payment closed short of the total. Contact the customer to settle or refund.".into(),
        },
        (I::Expired, O::AwaitingPayment | O::OnHold) => OrderAction::Cancel,
        (I::Expired, O::Paid) => OrderAction::NoteOnly {
            note: "The crypto invoice expired after this order was paid; nothing was changed.".into(),
        },
        (I::Failed, O::AwaitingPayment | O::OnHold) => OrderAction::Fail,
        (I::Refunded, O::Paid | O::OnHold) => OrderAction::Refund,
        (I::Review, O::AwaitingPayment | O::OnHold) => OrderAction::Hold {
            note: "The crypto payment needs review (late, held by checks, or not as asked). See the shim's log.".into(),
        },
        (I::Review, O::Cancelled | O::Failed) => OrderAction::NoteOnly {
            note: "A crypto payment arrived after this order was closed. Refund it from the gateway's dashboard, or reinstate the order.".into(),
        },
        (I::Review | I::RefundFailed | I::Refunding, O::Paid) => OrderAction::NoteOnly {
            note: format!("The crypto payment is now {status}; check it in the gateway's dashboard."),
        },
        _ => OrderAction::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use InvoiceStatus as I;
    use OrderState as O;

    #[test]
    fn paid_marks_an_open_order_paid_once() {
        assert_eq!(
            next_action(O::AwaitingPayment, I::Paid),
            OrderAction::MarkPaid { note: None }
        );
        assert_eq!(
            next_action(O::OnHold, I::Paid),
            OrderAction::MarkPaid { note: None }
        );
        assert_eq!(next_action(O::Paid, I::Paid), OrderAction::Nothing);
    }

    #[test]
    fn money_for_a_closed_order_is_told_not_applied() {
        assert!(matches!(
            next_action(O::Cancelled, I::Review),
            OrderAction::NoteOnly { .. }
        ));
    }

    #[test]
    fn overpaid_is_paid_with_a_note() {
        assert!(matches!(
            next_action(O::AwaitingPayment, I::Overpaid),
            OrderAction::MarkPaid { note: Some(_) }
        ));
    }

    #[test]
    fn a_paid_order_is_never_downgraded() {
        for status in [
            I::Pending,
            I::Confirming,
            I::PartiallyPaid,
            I::Underpaid,
            I::Expired,
            I::Failed,
        ] {
            assert!(
                matches!(
                    next_action(O::Paid, status),
                    OrderAction::Nothing | OrderAction::NoteOnly { .. }
                ),
                "{status}"
            );
        }
    }

    #[test]
    fn expiry_cancels_only_open_orders() {
        assert_eq!(
            next_action(O::AwaitingPayment, I::Expired),
            OrderAction::Cancel
        );
        assert_eq!(next_action(O::Cancelled, I::Expired), OrderAction::Nothing);
        assert!(matches!(
            next_action(O::Paid, I::Expired),
            OrderAction::NoteOnly { .. }
        ));
    }

    #[test]
    fn partial_and_review_hold_with_a_reason() {
        for status in [I::Confirming, I::PartiallyPaid, I::Underpaid, I::Review] {
            assert!(
                matches!(
                    next_action(O::AwaitingPayment, status),
                    OrderAction::Hold { .. }
                ),
                "{status}"
            );
        }
    }

    #[test]
    fn refunds_follow_paid_orders() {
        assert_eq!(next_action(O::Paid, I::Refunded), OrderAction::Refund);
        assert_eq!(next_action(O::Refunded, I::Refunded), OrderAction::Nothing);
    }
}
