//! The route our plugins serve for the shim inside the shop (WooCommerce's, PrestaShop's), pure:
//! the calls, the steps an update asks for, and the answers.
//!
//! ```text
//! {"action": "ping"}                   -> {"plugin": "0.2.0", "platform": "WooCommerce 9.4.3"}
//! {"action": "order", "order_id": 42}  -> {"order_id", "status", "state", "total", "currency"}
//! {"action": "update", "order_id": 42, "invoice_id", "invoice_status", "step",
//!  "transaction_id"?, "notes", "key"}  -> {"applied", "order"}
//! ```

use crate::OrderState;
use serde::{Deserialize, Serialize};

/// A call to the plugin's route: `{"action": "ping" | "order" | "update", ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum PluginCall {
    /// Is the plugin there, and does it share our secret?
    Ping,
    /// Read an order.
    Order {
        /// The order's id.
        order_id: u64,
    },
    /// Bring the order in line with its invoice.
    Update(PluginUpdate),
}

/// What the plugin is asked to do to an order, through its platform's own PHP API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PluginStep {
    /// Paid, as the platform's own payment modules mark it (WooCommerce: `payment_complete()`;
    /// PrestaShop: "Payment accepted", with the transaction id on the order's payment).
    Paid,
    /// Held: a payment confirming, or a partial one; or the plugin's underpaid status, when the
    /// invoice closed short or is in review.
    Hold,
    /// Cancelled (expired with nothing paid; restocks).
    Cancel,
    /// Failed.
    Fail,
    /// Refunded.
    Refund,
    /// Only a note for the merchant.
    Note,
}

/// `{"action": "update", ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginUpdate {
    /// The order's id.
    pub order_id: u64,
    /// The shim's invoice.
    pub invoice_id: String,
    /// Where the invoice stands (`paid`, `underpaid`, ...): the plugin picks its underpaid status
    /// from it.
    pub invoice_status: String,
    /// What to do.
    pub step: PluginStep,
    /// The chain transaction, for `paid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// Private notes for the merchant, written with the step.
    pub notes: Vec<String>,
    /// The same key again (a retry after a lost answer) changes nothing: the plugin keeps the keys
    /// it applied on the order.
    pub key: String,
}

/// The plugin's answer to `order` (and the order after an `update`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginOrder {
    /// The order's id.
    pub order_id: u64,
    /// The platform's own status (WooCommerce's `on-hold`, PrestaShop's state id).
    pub status: String,
    /// What it means, in the plugin's settings: `awaiting`, `on_hold`, `paid`, `cancelled`,
    /// `failed`, `refunded`.
    pub state: String,
    /// The total, a decimal string.
    pub total: String,
    /// ISO currency code.
    pub currency: String,
}

/// The plugin's answer to `update`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginUpdated {
    /// Whether anything was written (false: the key was applied before, or the order had moved
    /// past the step).
    pub applied: bool,
    /// The order afterwards.
    pub order: PluginOrder,
}

/// The plugin's answer to `ping`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginPing {
    /// The plugin's version.
    pub plugin: String,
    /// The platform and its version (`WooCommerce 9.4.3`, `PrestaShop 8.1.2`).
    pub platform: String,
}

/// What a plugin's `state` word means.
pub fn plugin_state(state: &str) -> Option<OrderState> {
    Some(match state {
        "awaiting" => OrderState::AwaitingPayment,
        "on_hold" => OrderState::OnHold,
        "paid" => OrderState::Paid,
        "cancelled" => OrderState::Cancelled,
        "failed" => OrderState::Failed,
        "refunded" => OrderState::Refunded,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_calls_read_as_the_plugin_expects() {
        let update = PluginCall::Update(PluginUpdate {
            order_id: 7,
            invoice_id: "inv_1".into(),
            invoice_status: "paid".into(),
            step: PluginStep::Paid,
            transaction_id: Some("tx".into()),
            notes: vec!["Paid.".into()],
            key: "inv_1:paid".into(),
        });
        assert_eq!(
            serde_json::to_string(&update).unwrap(),
            r#"{"action":"update","order_id":7,"invoice_id":"inv_1","invoice_status":"paid","step":"paid","transaction_id":"tx","notes":["Paid."],"key":"inv_1:paid"}"#
        );
        assert_eq!(
            serde_json::to_string(&PluginCall::Order { order_id: 7 }).unwrap(),
            r#"{"action":"order","order_id":7}"#
        );
        assert_eq!(plugin_state("on_hold"), Some(OrderState::OnHold));
        assert_eq!(plugin_state("on-hold"), None);
    }
}
