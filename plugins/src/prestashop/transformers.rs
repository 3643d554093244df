//! PrestaShop's Webservice formats and rules, pure: what order states mean, the XML bodies of an
//! `order_history` and of a private order `message`, and the JSON the adapter reads.

use crate::OrderState;
use serde::{Deserialize, Serialize};

/// `GET /api/orders/{id}?output_format=JSON`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderEnvelope {
    /// The order.
    pub order: Order,
}

/// The order fields the adapter reads. PrestaShop writes numbers as strings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Order {
    /// Its id.
    #[serde(deserialize_with = "number_or_string")]
    pub id: String,
    /// The current order state's id.
    #[serde(deserialize_with = "number_or_string")]
    pub current_state: String,
    /// The total the customer pays, taxes included.
    pub total_paid_tax_incl: String,
    /// The currency's id (its ISO code is under `/api/currencies/{id}`).
    #[serde(deserialize_with = "number_or_string")]
    pub id_currency: String,
    /// The order's reference (`XKBKNABJK`).
    #[serde(default)]
    pub reference: String,
}

/// `GET /api/currencies/{id}?output_format=JSON`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CurrencyEnvelope {
    /// The currency.
    pub currency: Currency,
}

/// A currency.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Currency {
    /// `EUR`.
    pub iso_code: String,
}

fn number_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        N(u64),
        S(String),
    }
    Ok(match Either::deserialize(d)? {
        Either::N(n) => n.to_string(),
        Either::S(s) => s,
    })
}

/// Which order state ids mean what in this shop. PrestaShop's own states keep their default ids
/// (`PS_OS_PAYMENT` 2, `PS_OS_CANCELED` 6, `PS_OS_REFUND` 7, `PS_OS_ERROR` 8); the module installs
/// "Awaiting crypto payment" and "Confirming", whose ids each shop reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StateMap {
    /// The module's "Awaiting crypto payment".
    pub awaiting: u32,
    /// The module's "Confirming" (also used for partial payments and reviews).
    pub confirming: u32,
    /// Payment accepted.
    pub paid: u32,
    /// Canceled (restocks).
    pub canceled: u32,
    /// Payment error.
    pub error: u32,
    /// Refunded.
    pub refunded: u32,
    /// States that mean the order was paid (accepted, preparing, shipped, delivered, ...).
    pub paid_like: Vec<u32>,
}

impl Default for StateMap {
    fn default() -> Self {
        Self {
            awaiting: 0,
            confirming: 0,
            paid: 2,
            canceled: 6,
            error: 8,
            refunded: 7,
            paid_like: vec![2, 3, 4, 5, 9, 11],
        }
    }
}

impl StateMap {
    /// What state `id` means.
    pub fn state(&self, id: u32) -> OrderState {
        if self.paid_like.contains(&id) || id == self.paid {
            OrderState::Paid
        } else if id == self.canceled {
            OrderState::Cancelled
        } else if id == self.error {
            OrderState::Failed
        } else if id == self.refunded {
            OrderState::Refunded
        } else if id == self.confirming && id != 0 {
            OrderState::OnHold
        } else {
            OrderState::AwaitingPayment
        }
    }
}

/// `POST /api/order_histories`: order `order` moves to state `state`.
pub fn order_history_xml(order: u64, state: u32) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<prestashop><order_history>\
         <id_order>{order}</id_order><id_order_state>{state}</id_order_state>\
         </order_history></prestashop>"
    )
}

/// XML text content, escaped.
pub fn escape_xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `POST /api/messages`: a private note on order `order`, for the merchant.
pub fn private_message_xml(order: u64, text: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<prestashop><message>\
         <id_order>{order}</id_order><message>{}</message><private>1</private>\
         </message></prestashop>",
        escape_xml(text)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_mean_what_the_shop_says() {
        let map = StateMap {
            awaiting: 14,
            confirming: 15,
            ..StateMap::default()
        };
        assert_eq!(map.state(14), OrderState::AwaitingPayment);
        assert_eq!(map.state(15), OrderState::OnHold);
        assert_eq!(map.state(2), OrderState::Paid);
        assert_eq!(map.state(4), OrderState::Paid, "shipped is paid");
        assert_eq!(map.state(6), OrderState::Cancelled);
        assert_eq!(map.state(8), OrderState::Failed);
    }

    #[test]
    fn orders_read_whether_numbers_are_quoted_or_not() {
        let json = r#"{"order":{"id":12,"current_state":"2","total_paid_tax_incl":"15.000000","id_currency":"1","reference":"XKB"}}"#;
        let order = serde_json::from_str::<OrderEnvelope>(json).unwrap().order;
        assert_eq!(
            (order.id.as_str(), order.current_state.as_str()),
            ("12", "2")
        );
    }

    #[test]
    fn notes_are_escaped() {
        assert!(private_message_xml(1, "a <b> & c").contains("a &lt;b&gt; &amp; c"));
    }
}
