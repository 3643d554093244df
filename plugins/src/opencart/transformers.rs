//! OpenCart's side of the conversation, pure: which route each version dispatches, what its order
//! status ids mean, how the shim signs its calls to the extension, and the JSON both ways.
//!
//! OpenCart's own API is an admin order-editing API that changed in every minor version and needs
//! an IP allowlist, so the extension (plugins/opencart) exposes two routes of its own for the shim:
//! `order` (read an order) and `callback` (add a history entry, only when the order is not already
//! in that status or a later one). Both take a JSON body signed with a secret shared with the
//! extension, a timestamp (5 minutes of tolerance) and a nonce (refused when seen again).

use crate::OrderState;
use serde::{Deserialize, Serialize};

/// The OpenCart versions whose routes differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Version {
    /// 3.0.x: `extension/payment/crypto_checkout/order`.
    #[serde(rename = "3")]
    V3,
    /// 4.0.0 and 4.0.1: `extension/crypto_checkout/payment/crypto_checkout|order`.
    #[serde(rename = "4.0.0")]
    V4_0,
    /// 4.0.2 and later: `extension/crypto_checkout/payment/crypto_checkout.order`.
    #[serde(rename = "4.0.2")]
    V4_0_2,
}

impl Version {
    /// The version an OpenCart release number (`3.0.3.9`, `4.0.1.1`, `4.1.0.0`...) routes like.
    pub fn parse(text: &str) -> Result<Self, String> {
        let parts: Vec<u32> = text
            .trim()
            .split('.')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| {
                format!("an OpenCart version looks like 3.0.3.9 or 4.0.2.3, got {text:?}")
            })?;
        match parts.as_slice() {
            [3, ..] => Ok(Version::V3),
            [4, 0, patch, ..] if *patch < 2 => Ok(Version::V4_0),
            [4, 0] => Ok(Version::V4_0),
            [4, ..] => Ok(Version::V4_0_2),
            _ => Err(format!(
                "OpenCart {text} is not supported: the extension is for 3.0.x and 4.x"
            )),
        }
    }

    /// The `route` of the extension's `action` (`order`, `callback`).
    pub fn route(self, action: &str) -> String {
        match self {
            Version::V3 => format!("extension/payment/crypto_checkout/{action}"),
            Version::V4_0 => format!("extension/crypto_checkout/payment/crypto_checkout|{action}"),
            Version::V4_0_2 => {
                format!("extension/crypto_checkout/payment/crypto_checkout.{action}")
            }
        }
    }
}

/// Which order status ids mean what in this shop: OpenCart's defaults, which the merchant can
/// change in the extension's settings (and then here, with the same numbers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatusMap {
    /// Waiting for the payment (OpenCart's Pending).
    pub pending: u32,
    /// A payment is confirming, partial, or needs a look (Processing).
    pub confirming: u32,
    /// Paid (Processed).
    pub paid: u32,
    /// Completed by the merchant (Complete): paid.
    pub complete: u32,
    /// Canceled by the merchant.
    pub canceled: u32,
    /// The invoice expired unpaid (Expired).
    pub expired: u32,
    /// The payment failed (Failed).
    pub failed: u32,
    /// Refunded.
    pub refunded: u32,
}

impl Default for StatusMap {
    fn default() -> Self {
        Self {
            pending: 1,
            confirming: 2,
            paid: 15,
            complete: 5,
            canceled: 7,
            expired: 14,
            failed: 10,
            refunded: 11,
        }
    }
}

impl StatusMap {
    /// What status `id` means. 0 is an order OpenCart has not confirmed yet; a status the
    /// extension does not know is one the merchant set by hand (shipped, reversed...), and is
    /// left alone like a paid one.
    pub fn state(&self, id: u32) -> OrderState {
        if id == 0 || id == self.pending {
            OrderState::AwaitingPayment
        } else if id == self.confirming {
            OrderState::OnHold
        } else if id == self.canceled || id == self.expired {
            OrderState::Cancelled
        } else if id == self.failed {
            OrderState::Failed
        } else if id == self.refunded {
            OrderState::Refunded
        } else {
            OrderState::Paid
        }
    }
}

/// The extension's answer to `order`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderInfo {
    /// The order id.
    pub order_id: u64,
    /// Its status id.
    pub order_status_id: u32,
    /// The extension's own status for payments that closed short (0: none yet, or an extension
    /// from before it had one).
    #[serde(default)]
    pub underpaid_status_id: u32,
    /// The total in the order's currency, a decimal string.
    pub total: String,
    /// The order's currency.
    pub currency: String,
}

/// `callback`: add a history entry (status 0: a comment only, the status unchanged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Callback<'a> {
    /// The order id.
    pub order_id: u64,
    /// The status to move to, or 0.
    pub order_status_id: u32,
    /// The entry's comment, for the merchant (and the customer when notified).
    pub comment: &'a str,
    /// Whether OpenCart mails the customer.
    pub notify: bool,
    /// The payment closed short or needs review: the extension puts the order in its own
    /// underpaid status instead of `order_status_id` (the confirming one, for extensions from
    /// before it had one).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub closed_short: bool,
}

/// The extension's answer to `callback`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CallbackAnswer {
    /// Whether an entry was added (false: the order already had that status or a later one).
    pub applied: bool,
    /// The order's status after the call.
    pub order_status_id: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_route_like_their_release() {
        assert_eq!(Version::parse("3.0.3.9"), Ok(Version::V3));
        assert_eq!(Version::parse("4.0.1.1"), Ok(Version::V4_0));
        assert_eq!(Version::parse("4.0"), Ok(Version::V4_0));
        assert_eq!(Version::parse("4.0.2.3"), Ok(Version::V4_0_2));
        assert_eq!(Version::parse("4.1.0.0"), Ok(Version::V4_0_2));
        assert!(Version::parse("2.3").unwrap_err().contains("not supported"));
        assert!(Version::parse("four").unwrap_err().contains("looks like"));
        assert_eq!(
            Version::V4_0.route("order"),
            "extension/crypto_checkout/payment/crypto_checkout|order"
        );
        assert_eq!(
            Version::V4_0_2.route("callback"),
            "extension/crypto_checkout/payment/crypto_checkout.callback"
        );
        assert_eq!(
            Version::V3.route("order"),
            "extension/payment/crypto_checkout/order"
        );
    }

    #[test]
    fn statuses_mean_what_the_shop_says() {
        let map = StatusMap::default();
        assert_eq!(map.state(0), OrderState::AwaitingPayment);
        assert_eq!(map.state(1), OrderState::AwaitingPayment);
        assert_eq!(map.state(2), OrderState::OnHold);
        assert_eq!(map.state(15), OrderState::Paid);
        assert_eq!(map.state(5), OrderState::Paid);
        assert_eq!(map.state(14), OrderState::Cancelled);
        assert_eq!(map.state(7), OrderState::Cancelled);
        assert_eq!(map.state(10), OrderState::Failed);
        assert_eq!(map.state(11), OrderState::Refunded);
        assert_eq!(
            map.state(3),
            OrderState::Paid,
            "shipped by hand: left alone"
        );
    }
}
