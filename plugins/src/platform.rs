//! What every platform adapter can do, and the one way an order is brought in line with its
//! invoice: read the order, compare, and write only what is missing.

use crate::{OrderAction, OrderState, next_action};
use shim_api::InvoiceStatus;
use std::future::Future;
use std::time::Duration;

/// How long the shim waits for a shop's platform before giving up (the call is retried later, or
/// the payer is told the shop did not answer). Well under the 25 s our plugins wait for the shim,
/// so that a slow shop gives the payer the shim's own words, not the plugin's generic error.
pub const PLATFORM_TIMEOUT: Duration = Duration::from_secs(8);

/// Why a call to a shop failed, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdapterError {
    /// The shop could not be reached or was busy (timeout, 5xx, 429): the outbox retries.
    #[error("the shop is unavailable: {0}")]
    Unavailable(String),
    /// The shop refused (credentials, permissions, no such order): retrying will not help until
    /// someone fixes it.
    #[error("the shop refused: {0}")]
    Refused(String),
    /// The shop answered something this adapter cannot read.
    #[error("unreadable answer from the shop: {0}")]
    Unreadable(String),
}

impl AdapterError {
    /// The shop could not be reached: a timeout or a failed connection (the URL left out).
    pub fn transport(error: &reqwest::Error) -> Self {
        AdapterError::Unavailable(if error.is_timeout() {
            "timed out".into()
        } else {
            "connection failed".into()
        })
    }

    /// The shop answered `status`, not a success, saying `message`: worth another try later
    /// when it was busy or down (a 5xx, a 429), refused otherwise.
    pub(crate) fn answered(status: reqwest::StatusCode, message: String) -> Self {
        if status.is_server_error() || status.as_u16() == 429 {
            AdapterError::Unavailable(message)
        } else {
            AdapterError::Refused(message)
        }
    }

    /// Whether the same call may succeed later.
    pub fn retry_helps(&self) -> bool {
        matches!(self, AdapterError::Unavailable(_))
    }
}

/// A shop's order id as the number every platform but Shopify uses: digits only (no sign, no
/// spaces, nothing a URL could misread), else refused naming `platform`.
pub fn order_number(platform: &str, reference: &str) -> Result<u64, AdapterError> {
    reference
        .parse()
        .ok()
        .filter(|_| reference.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            AdapterError::Refused(format!(
                "{platform} order ids are numbers, not {reference:?}"
            ))
        })
}

/// An order as the shop reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopOrder {
    /// The shop's id for it.
    pub reference: String,
    /// The platform's own status word (`on-hold`, `2`, ...).
    pub status: String,
    /// What that status means.
    pub state: OrderState,
    /// The order total as a decimal string.
    pub total: String,
    /// Its currency.
    pub currency: String,
}

/// What an action may record about the payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentFacts {
    /// The shim's invoice.
    pub invoice_id: String,
    /// Where the invoice stands.
    pub status: InvoiceStatus,
    /// The chain transaction, when there is one.
    pub txid: Option<String>,
    /// What was paid, with the coin (`15 USDT`), for notes.
    pub paid: String,
}

/// What the merchant reads on an order that expired unpaid, failed, or was refunded.
pub const EXPIRED_NOTE: &str = "The crypto invoice expired unpaid.";
/// See [`EXPIRED_NOTE`].
pub const FAILED_NOTE: &str = "The crypto payment failed.";
/// See [`EXPIRED_NOTE`].
pub const REFUNDED_NOTE: &str = "The crypto payment was refunded.";

impl PaymentFacts {
    /// A note for the merchant about this payment: `text`, naming the invoice.
    pub fn note(&self, text: &str) -> String {
        format!("{text} (crypto invoice {})", self.invoice_id)
    }

    /// What a paid order's note says: what arrived, and the gateway payment to look up.
    pub fn paid_sentence(&self) -> String {
        format!(
            "Paid in crypto: {}; gateway payment {}.",
            self.paid,
            self.txid.as_deref().unwrap_or("unknown")
        )
    }
}

/// A shop platform, as the shim needs it: read an order, and carry out an action on it.
pub trait Platform {
    /// The order `reference`.
    fn order(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<ShopOrder, AdapterError>> + Send;

    /// Carries out `action` on `order`, recording `facts` where the platform can.
    fn apply(
        &self,
        order: &ShopOrder,
        action: &OrderAction,
        facts: &PaymentFacts,
    ) -> impl Future<Output = Result<(), AdapterError>> + Send;
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Synced {
    /// The order already said this (or something later): nothing was written.
    AlreadyInLine(OrderState),
    /// The action was carried out.
    Applied(OrderAction),
}

/// Brings order `reference` in line with the invoice described by `facts`: read, compare, and
/// write only what is missing, so that repeating a sync, or running it late, changes nothing it
/// should not.
pub async fn sync<P: Platform>(
    platform: &P,
    reference: &str,
    facts: &PaymentFacts,
) -> Result<Synced, AdapterError> {
    let order = platform.order(reference).await?;
    let action = next_action(order.state, facts.status);
    if action == OrderAction::Nothing {
        return Ok(Synced::AlreadyInLine(order.state));
    }
    platform.apply(&order, &action, facts).await?;
    Ok(Synced::Applied(action))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A shop in memory that records what it is told.
    struct Memory {
        state: Mutex<OrderState>,
        writes: Mutex<Vec<OrderAction>>,
    }

    impl Platform for Memory {
        async fn order(&self, reference: &str) -> Result<ShopOrder, AdapterError> {
            let state = *self.state.lock().unwrap();
            Ok(ShopOrder {
                reference: reference.into(),
                status: format!("{state:?}"),
                state,
                total: "15.00".into(),
                currency: "USD".into(),
            })
        }

        async fn apply(
            &self,
            _: &ShopOrder,
            action: &OrderAction,
            _: &PaymentFacts,
        ) -> Result<(), AdapterError> {
            let mut state = self.state.lock().unwrap();
            *state = match action {
                OrderAction::MarkPaid { .. } => OrderState::Paid,
                OrderAction::Hold { .. } => OrderState::OnHold,
                OrderAction::Cancel => OrderState::Cancelled,
                OrderAction::Fail => OrderState::Failed,
                OrderAction::Refund => OrderState::Refunded,
                OrderAction::NoteOnly { .. } | OrderAction::Nothing => *state,
            };
            self.writes.lock().unwrap().push(action.clone());
            Ok(())
        }
    }

    fn facts(status: InvoiceStatus) -> PaymentFacts {
        PaymentFacts {
            invoice_id: "inv_1".into(),
            status,
            txid: Some("abc".into()),
            paid: "15 USDT".into(),
        }
    }

    #[tokio::test]
    async fn a_repeated_or_late_sync_writes_nothing_more() {
        let shop = Memory {
            state: Mutex::new(OrderState::AwaitingPayment),
            writes: Mutex::default(),
        };
        let paid = facts(InvoiceStatus::Paid);
        assert!(matches!(
            sync(&shop, "1", &paid).await.unwrap(),
            Synced::Applied(OrderAction::MarkPaid { .. })
        ));
        assert_eq!(
            sync(&shop, "1", &paid).await.unwrap(),
            Synced::AlreadyInLine(OrderState::Paid)
        );
        // A late "expired" on a paid order only tells the merchant.
        assert!(matches!(
            sync(&shop, "1", &facts(InvoiceStatus::Expired))
                .await
                .unwrap(),
            Synced::Applied(OrderAction::NoteOnly { .. })
        ));
        assert_eq!(*shop.state.lock().unwrap(), OrderState::Paid);
        assert_eq!(shop.writes.lock().unwrap().len(), 2);
    }

    #[test]
    fn order_numbers_are_digits_only() {
        assert_eq!(order_number("OpenCart", "42"), Ok(42));
        for bad in [
            "",
            "+42",
            "-1",
            " 42",
            "4 2",
            "42x",
            "99999999999999999999999",
        ] {
            assert!(
                matches!(order_number("OpenCart", bad), Err(AdapterError::Refused(m)) if m.contains("OpenCart order ids are numbers")),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn only_unavailability_is_worth_a_retry() {
        assert!(AdapterError::Unavailable("503".into()).retry_helps());
        assert!(!AdapterError::Refused("401".into()).retry_helps());
        assert!(!AdapterError::Unreadable("html".into()).retry_helps());
    }
}
