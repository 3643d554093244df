//! The gateway's payment statuses and their map onto the shim's [`InvoiceStatus`].

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use shim_api::InvoiceStatus;

/// A Cryptomus payment status. Unknown values are kept, never refused: the gateway may add some.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PaymentStatus {
    /// `check`: waiting for the transaction to appear.
    Check,
    /// `process`: being processed.
    Process,
    /// `confirm_check`: seen on chain, waiting for confirmations.
    ConfirmCheck,
    /// `wrong_amount_waiting`: paid less, a top-up is still possible.
    WrongAmountWaiting,
    /// `paid`: paid exactly.
    Paid,
    /// `paid_over`: paid more.
    PaidOver,
    /// `wrong_amount`: paid less, closed.
    WrongAmount,
    /// `cancel`: nothing paid before expiry.
    Cancel,
    /// `fail`.
    Fail,
    /// `system_fail`.
    SystemFail,
    /// `refund_process`: a refund is running.
    RefundProcess,
    /// `refund_fail`.
    RefundFail,
    /// `refund_paid`: refunded.
    RefundPaid,
    /// `locked`: held by AML checks.
    Locked,
    /// Anything else, kept as sent.
    Unknown(String),
}

impl PaymentStatus {
    const NAMES: [(&'static str, PaymentStatus); 14] = [
        ("check", Self::Check),
        ("process", Self::Process),
        ("confirm_check", Self::ConfirmCheck),
        ("wrong_amount_waiting", Self::WrongAmountWaiting),
        ("paid", Self::Paid),
        ("paid_over", Self::PaidOver),
        ("wrong_amount", Self::WrongAmount),
        ("cancel", Self::Cancel),
        ("fail", Self::Fail),
        ("system_fail", Self::SystemFail),
        ("refund_process", Self::RefundProcess),
        ("refund_fail", Self::RefundFail),
        ("refund_paid", Self::RefundPaid),
        ("locked", Self::Locked),
    ];

    /// Parses a wire value; never fails.
    pub fn parse(s: &str) -> Self {
        Self::NAMES
            .iter()
            .find(|(name, _)| *name == s)
            .map(|(_, status)| status.clone())
            .unwrap_or_else(|| Self::Unknown(s.to_owned()))
    }

    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Unknown(s) => s,
            known => Self::NAMES
                .iter()
                .find(|(_, status)| status == known)
                .map_or("", |(name, _)| name),
        }
    }
}

impl From<&PaymentStatus> for InvoiceStatus {
    fn from(status: &PaymentStatus) -> Self {
        match status {
            PaymentStatus::Check | PaymentStatus::Process => InvoiceStatus::Pending,
            PaymentStatus::ConfirmCheck => InvoiceStatus::Confirming,
            PaymentStatus::WrongAmountWaiting => InvoiceStatus::PartiallyPaid,
            PaymentStatus::Paid => InvoiceStatus::Paid,
            PaymentStatus::PaidOver => InvoiceStatus::Overpaid,
            PaymentStatus::WrongAmount => InvoiceStatus::Underpaid,
            PaymentStatus::Cancel => InvoiceStatus::Expired,
            PaymentStatus::Fail | PaymentStatus::SystemFail => InvoiceStatus::Failed,
            PaymentStatus::RefundProcess => InvoiceStatus::Refunding,
            PaymentStatus::RefundFail => InvoiceStatus::RefundFailed,
            PaymentStatus::RefundPaid => InvoiceStatus::Refunded,
            // A person looks at what the shim does not understand.
            PaymentStatus::Locked | PaymentStatus::Unknown(_) => InvoiceStatus::Review,
        }
    }
}

impl Serialize for PaymentStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PaymentStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Ok(Self::parse(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maps(wire: &str, expected: InvoiceStatus) {
        let status = PaymentStatus::parse(wire);
        assert_eq!(status.as_str(), wire);
        assert_eq!(InvoiceStatus::from(&status), expected, "{wire}");
    }

    #[test]
    fn check_is_pending() {
        maps("check", InvoiceStatus::Pending);
    }
    #[test]
    fn process_is_pending() {
        maps("process", InvoiceStatus::Pending);
    }
    #[test]
    fn confirm_check_is_confirming() {
        maps("confirm_check", InvoiceStatus::Confirming);
    }
    #[test]
    fn wrong_amount_waiting_is_partially_paid() {
        maps("wrong_amount_waiting", InvoiceStatus::PartiallyPaid);
    }
    #[test]
    fn paid_is_paid() {
        maps("paid", InvoiceStatus::Paid);
    }
    #[test]
    fn paid_over_is_overpaid() {
        maps("paid_over", InvoiceStatus::Overpaid);
    }
    #[test]
    fn wrong_amount_is_underpaid() {
        maps("wrong_amount", InvoiceStatus::Underpaid);
    }
    #[test]
    fn cancel_is_expired() {
        maps("cancel", InvoiceStatus::Expired);
    }
    #[test]
    fn fail_and_system_fail_are_failed() {
        maps("fail", InvoiceStatus::Failed);
        maps("system_fail", InvoiceStatus::Failed);
    }
    #[test]
    fn refund_statuses_map_to_refunds() {
        maps("refund_process", InvoiceStatus::Refunding);
        maps("refund_fail", InvoiceStatus::RefundFailed);
        maps("refund_paid", InvoiceStatus::Refunded);
    }
    #[test]
    fn locked_and_unknown_need_review() {
        maps("locked", InvoiceStatus::Review);
        maps("something_new", InvoiceStatus::Review);
        assert_eq!(
            serde_json::from_str::<PaymentStatus>("\"something_new\"").unwrap(),
            PaymentStatus::Unknown("something_new".into())
        );
    }
}
