//! OpenCart (3.0.x, 4.x), through the two routes of our extension: `order` reads an order's status,
//! total and currency; `callback` adds one history entry (a status with a comment, which OpenCart
//! can mail to the customer), which the extension refuses to do when the order already has that
//! status or a later one. Every call is signed with the secret shared with the extension (see
//! [`crate::signed`]).

pub mod transformers;

use crate::egress::Egress;
use crate::platform::{
    AdapterError, EXPIRED_NOTE, FAILED_NOTE, PaymentFacts, Platform, REFUNDED_NOTE, ShopOrder,
    order_number,
};
use crate::signed::SignedRoute;
use crate::{OrderAction, OrderState};
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use shim_api::InvoiceStatus;
use transformers::{Callback, CallbackAnswer, OrderInfo, StatusMap, Version};

/// An OpenCart shop with the extension installed.
#[derive(Debug, Clone)]
pub struct OpenCart {
    site: String,
    version: Version,
    statuses: StatusMap,
    route: SignedRoute,
}

impl OpenCart {
    /// The shop at `site` (`https://shop.example`, where `index.php` is), running `version`, with
    /// the extension's shared `secret`, called only where `egress` allows.
    pub fn new(
        site: &str,
        version: Version,
        secret: SecretString,
        statuses: StatusMap,
        egress: &Egress,
    ) -> Result<Self, AdapterError> {
        Ok(Self {
            site: site.trim_end_matches('/').to_owned(),
            version,
            statuses,
            route: SignedRoute::new(secret, egress)?,
        })
    }

    /// Posts `body` to the extension's `action`, signed; its JSON answer.
    async fn call<T: DeserializeOwned>(
        &self,
        action: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, AdapterError> {
        self.route
            .call(
                &format!("{}/index.php", self.site),
                &[("route", &self.version.route(action))],
                &format!("the extension's {action}"),
                body,
                "is the shared secret the same in the extension's settings and here, and the shim's clock right?",
            )
            .await
    }

    /// Adds a history entry: `status` (0: keep the current one) with `comment`.
    async fn history(
        &self,
        order: &ShopOrder,
        status: u32,
        comment: &str,
        notify: bool,
    ) -> Result<(), AdapterError> {
        self.entry(order, status, comment, notify, false).await
    }

    /// [`Self::history`], saying whether the payment closed short.
    async fn entry(
        &self,
        order: &ShopOrder,
        status: u32,
        comment: &str,
        notify: bool,
        closed_short: bool,
    ) -> Result<(), AdapterError> {
        // `applied: false` means the order already had that status or a later one (a repeat, or
        // the merchant moved it meanwhile): nothing more to do either way.
        let _: CallbackAnswer = self
            .call(
                "callback",
                &Callback {
                    order_id: order_number("OpenCart", &order.reference)?,
                    order_status_id: status,
                    comment,
                    notify,
                    closed_short,
                },
            )
            .await?;
        Ok(())
    }
}

impl Platform for OpenCart {
    async fn order(&self, reference: &str) -> Result<ShopOrder, AdapterError> {
        let id = order_number("OpenCart", reference)?;
        let info: OrderInfo = self
            .call("order", &serde_json::json!({ "order_id": id }))
            .await?;
        let underpaid =
            info.underpaid_status_id != 0 && info.order_status_id == info.underpaid_status_id;
        Ok(ShopOrder {
            reference: info.order_id.to_string(),
            status: info.order_status_id.to_string(),
            state: if underpaid {
                OrderState::OnHold
            } else {
                self.statuses.state(info.order_status_id)
            },
            total: info.total,
            currency: info.currency,
        })
    }

    async fn apply(
        &self,
        order: &ShopOrder,
        action: &OrderAction,
        facts: &PaymentFacts,
    ) -> Result<(), AdapterError> {
        let s = &self.statuses;
        match action {
            OrderAction::Nothing => Ok(()),
            OrderAction::MarkPaid { note } => {
                let mut comment = facts.paid_sentence();
                if let Some(note) = note {
                    comment = format!("{comment} {note}");
                }
                self.history(order, s.paid, &facts.note(&comment), true)
                    .await
            }
            OrderAction::Hold { note } => {
                // Closed short (or in review): the extension's underpaid status, which does not
                // say "ship it", asked for as the confirming one with `closed_short`.
                let closed_short = matches!(
                    facts.status,
                    InvoiceStatus::Underpaid | InvoiceStatus::Review
                );
                let confirming = order.status == s.confirming.to_string();
                // Already there: the extension would refuse the same status again, and the
                // note matters.
                let already = if closed_short {
                    order.state == OrderState::OnHold && !confirming
                } else {
                    confirming
                };
                let status = if already { 0 } else { s.confirming };
                self.entry(order, status, &facts.note(note), false, closed_short)
                    .await
            }
            OrderAction::Cancel => {
                let comment = facts.note(EXPIRED_NOTE);
                self.history(order, s.expired, &comment, true).await
            }
            OrderAction::Fail => {
                let comment = facts.note(FAILED_NOTE);
                self.history(order, s.failed, &comment, false).await
            }
            OrderAction::Refund => {
                let comment = facts.note(REFUNDED_NOTE);
                self.history(order, s.refunded, &comment, true).await
            }
            OrderAction::NoteOnly { note } => {
                self.history(order, 0, &facts.note(note), false).await
            }
        }
    }
}
