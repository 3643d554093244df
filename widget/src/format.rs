//! Formatting for people: amounts without noise, countdowns, status words.

use shim_api::InvoiceStatus;

/// A decimal string without trailing zeros: `"15.000000"` → `"15"`, `"0.00100"` → `"0.001"`.
/// The value is unchanged, so copying it is safe.
pub fn amount(decimal: &str) -> String {
    match decimal.split_once('.') {
        Some((whole, fraction)) => {
            let fraction = fraction.trim_end_matches('0');
            if fraction.is_empty() {
                whole.to_owned()
            } else {
                format!("{whole}.{fraction}")
            }
        }
        None => decimal.to_owned(),
    }
}

/// `59:07`, or `1:02:03` past an hour.
pub fn countdown(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, (seconds % 3600) / 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A network code as people know it.
pub fn network_name(code: &str) -> String {
    match code {
        "tron" => "TRON (TRC-20)".into(),
        "eth" => "Ethereum (ERC-20)".into(),
        "bsc" => "BNB Smart Chain (BEP-20)".into(),
        "polygon" => "Polygon".into(),
        "arbitrum" => "Arbitrum One".into(),
        "btc" => "Bitcoin".into(),
        "ltc" => "Litecoin".into(),
        other => other.to_uppercase(),
    }
}

/// The headline for a status.
pub fn status_title(status: InvoiceStatus) -> &'static str {
    match status {
        InvoiceStatus::Pending => "Waiting for your payment",
        InvoiceStatus::Confirming => "Payment received, waiting for confirmations",
        InvoiceStatus::Paid => "Payment complete",
        InvoiceStatus::Overpaid => "Payment complete (you sent more than required)",
        InvoiceStatus::PartiallyPaid => "Partially paid: please send the rest",
        InvoiceStatus::Underpaid => "Paid less than required",
        InvoiceStatus::Expired => "This payment has expired",
        InvoiceStatus::Failed => "The payment failed",
        InvoiceStatus::Refunding => "Refund in progress",
        InvoiceStatus::Refunded => "Payment refunded",
        InvoiceStatus::RefundFailed => "The refund failed",
        InvoiceStatus::Review => "Your payment is being reviewed",
    }
}

/// What happens next, for statuses that need a sentence more.
pub fn status_detail(status: InvoiceStatus) -> Option<&'static str> {
    match status {
        InvoiceStatus::Confirming => {
            Some("The network is confirming your transaction. This page updates by itself.")
        }
        InvoiceStatus::Paid | InvoiceStatus::Overpaid => {
            Some("Thank you! Your payment has been received.")
        }
        InvoiceStatus::Underpaid => Some(
            "The payment closed before the full amount arrived. Contact the shop to complete the order or get a refund.",
        ),
        InvoiceStatus::Expired => Some(
            "Do not send anything to this address any more. Return to the shop to start again.",
        ),
        InvoiceStatus::Failed => {
            Some("Nothing more needs to be sent. Contact the shop if money left your wallet.")
        }
        InvoiceStatus::Refunding => Some("The money is on its way back to you."),
        InvoiceStatus::RefundFailed => Some("Contact the shop to arrange the refund."),
        InvoiceStatus::Review => {
            Some("The shop will check this payment and contact you if needed.")
        }
        InvoiceStatus::Refunded | InvoiceStatus::Pending | InvoiceStatus::PartiallyPaid => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_lose_only_trailing_zeros() {
        assert_eq!(amount("15.000000"), "15");
        assert_eq!(amount("0.00100"), "0.001");
        assert_eq!(amount("100"), "100");
        assert_eq!(amount("10.50"), "10.5");
    }

    #[test]
    fn countdowns_read_naturally() {
        assert_eq!(countdown(0), "0:00");
        assert_eq!(countdown(59), "0:59");
        assert_eq!(countdown(3599), "59:59");
        assert_eq!(countdown(3723), "1:02:03");
    }

    #[test]
    fn every_status_has_a_title() {
        for status in InvoiceStatus::ALL {
            assert!(!status_title(status).is_empty());
        }
    }
}
