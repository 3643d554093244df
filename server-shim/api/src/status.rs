//! The invoice status model and its transition rules.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where an invoice stands, as the payer and the shop see it.
///
/// The gateway's own statuses (`check`, `paid_over`, ...) are mapped onto these by the gateway crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    /// Waiting for the payer's transaction.
    Pending,
    /// A transaction was seen and waits for confirmations.
    Confirming,
    /// Paid exactly.
    Paid,
    /// Paid more than asked.
    Overpaid,
    /// Paid less than asked; the payer may still send the rest.
    PartiallyPaid,
    /// Paid less than asked and closed.
    Underpaid,
    /// Nothing was paid before the invoice expired.
    Expired,
    /// The gateway reported an error.
    Failed,
    /// A refund is under way.
    Refunding,
    /// The payment was refunded.
    Refunded,
    /// The refund failed.
    RefundFailed,
    /// Needs a person: held by AML checks, an unknown gateway status, or paid after expiry.
    Review,
}

impl InvoiceStatus {
    /// Every status, in a stable order (for tests and documentation).
    pub const ALL: [Self; 12] = [
        Self::Pending,
        Self::Confirming,
        Self::Paid,
        Self::Overpaid,
        Self::PartiallyPaid,
        Self::Underpaid,
        Self::Expired,
        Self::Failed,
        Self::Refunding,
        Self::Refunded,
        Self::RefundFailed,
        Self::Review,
    ];

    /// The wire name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirming => "confirming",
            Self::Paid => "paid",
            Self::Overpaid => "overpaid",
            Self::PartiallyPaid => "partially_paid",
            Self::Underpaid => "underpaid",
            Self::Expired => "expired",
            Self::Failed => "failed",
            Self::Refunding => "refunding",
            Self::Refunded => "refunded",
            Self::RefundFailed => "refund_failed",
            Self::Review => "review",
        }
    }

    /// Parses a wire name; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// Whether the payment part of the invoice is over: the widget stops listening and the shop's
    /// order can be settled. Refund statuses after a final one are still possible.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Paid
                | Self::Overpaid
                | Self::Underpaid
                | Self::Expired
                | Self::Failed
                | Self::Refunded
                | Self::RefundFailed
        )
    }

    /// Whether money arrived that the merchant keeps (the order can ship).
    pub fn is_settled_paid(self) -> bool {
        matches!(self, Self::Paid | Self::Overpaid)
    }

    /// Its place in [`InvoiceStatus::ALL`] (the order of each language's titles and details).
    pub fn position(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    /// Whether an invoice in `self` may move to `next`.
    ///
    /// Final statuses never go back to an open one; the only ways out of them are a refund (after
    /// money arrived; after a failed refund, only its end) and `review` (money arriving after
    /// expiry). An open invoice never returns to
    /// `pending`. Moving to the same status is not a transition.
    pub fn can_move_to(self, next: Self) -> bool {
        use InvoiceStatus::*;
        if self == next {
            return false;
        }
        match self {
            Pending => true,
            Confirming | PartiallyPaid | Review => next != Pending,
            // A refund (the shim may only hear of it once it is over); review: money reached the
            // address of a coin the payer used earlier, after the end.
            Paid | Overpaid | Underpaid => {
                matches!(next, Refunding | Refunded | RefundFailed | Review)
            }
            Expired | Failed => next == Review,
            Refunding => matches!(next, Refunded | RefundFailed),
            // A failed refund leaves the money with the merchant, who may ask again: the shim then
            // moves the invoice to `refunding` itself, as it asked; the gateway's word alone never
            // reopens a failed refund (it may be an old snapshot). Once over, a second refund may
            // be heard of only when done.
            RefundFailed => next == Refunded,
            Refunded => false,
        }
    }
}

impl fmt::Display for InvoiceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::InvoiceStatus::{self, *};

    #[test]
    fn wire_names_round_trip() {
        for status in InvoiceStatus::ALL {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(InvoiceStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(InvoiceStatus::parse("PAID"), None);
    }

    #[test]
    fn final_statuses_only_leave_for_refund_or_review() {
        for from in InvoiceStatus::ALL.into_iter().filter(|s| s.is_final()) {
            for to in InvoiceStatus::ALL {
                let allowed = from.can_move_to(to);
                let expected = matches!(
                    (from, to),
                    (
                        Paid | Overpaid | Underpaid,
                        Refunding | Refunded | RefundFailed
                    ) | (Paid | Overpaid | Underpaid | Expired | Failed, Review)
                        | (RefundFailed, Refunded)
                );
                assert_eq!(allowed, expected, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn open_invoices_never_return_to_pending() {
        for from in [Confirming, PartiallyPaid, Review, Refunding] {
            assert!(!from.can_move_to(Pending), "{from} -> pending");
        }
        for to in InvoiceStatus::ALL.into_iter().filter(|s| *s != Pending) {
            assert!(Pending.can_move_to(to), "pending -> {to}");
        }
    }

    #[test]
    fn same_status_is_not_a_transition() {
        for status in InvoiceStatus::ALL {
            assert!(!status.can_move_to(status));
        }
    }
}
