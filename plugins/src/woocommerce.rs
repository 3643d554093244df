//! WooCommerce through its REST API v3 with a key pair, for shops connected before the plugin had
//! its own route (new shops go through [`crate::plugin_route`]): read the order, `set_paid` with
//! the transaction id, move the status, add notes. HTTP Basic over HTTPS; over plain HTTP,
//! one-legged OAuth 1.0a in the query string, as WooCommerce requires.

pub mod transformers;

use crate::OrderAction;
use crate::egress::{Egress, ShopSite};
use crate::platform::{
    AdapterError, EXPIRED_NOTE, FAILED_NOTE, PaymentFacts, Platform, REFUNDED_NOTE, ShopOrder,
    order_number,
};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;
use transformers::{ErrorBody, NewNote, Order, OrderUpdate, StatusMap};

/// A WooCommerce shop.
#[derive(Debug, Clone)]
pub struct WooCommerce {
    site: ShopSite,
    consumer_key: String,
    consumer_secret: SecretString,
    statuses: StatusMap,
}

impl WooCommerce {
    /// The shop at `site` (`https://shop.example`), with a REST API key pair (read/write).
    pub fn new(
        site: &str,
        consumer_key: &str,
        consumer_secret: SecretString,
        statuses: StatusMap,
        egress: &Egress,
    ) -> Result<Self, AdapterError> {
        Ok(Self {
            site: ShopSite::new(site, egress)?,
            consumer_key: consumer_key.to_owned(),
            consumer_secret,
            statuses,
        })
    }

    /// Sends a request with the right authentication for the site's scheme.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<reqwest::Response, AdapterError> {
        let url = self.site.url(&format!("wp-json/wc/v3/{path}"));
        let mut request = self.site.request(method.clone(), &url).await?;
        if url.starts_with("https://") {
            request = request.basic_auth(
                &self.consumer_key,
                Some(self.consumer_secret.expose_secret()),
            );
        } else {
            let nonce: [u8; 16] = rand_bytes()?;
            let timestamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            let oauth = transformers::oauth_params(
                method.as_str(),
                &url,
                &[],
                &self.consumer_key,
                self.consumer_secret.expose_secret(),
                timestamp,
                &hex(&nonce),
            );
            request = request.query(&oauth);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| AdapterError::transport(&e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let error = response
            .json::<ErrorBody>()
            .await
            .map(|e| format!("{} ({}): {}", status.as_u16(), e.code, e.message))
            .unwrap_or_else(|_| format!("HTTP {}", status.as_u16()));
        Err(AdapterError::answered(status, error))
    }

    async fn update(&self, order: &ShopOrder, update: &OrderUpdate) -> Result<(), AdapterError> {
        self.send(
            reqwest::Method::PUT,
            &format!("orders/{}", order.reference),
            Some(update),
        )
        .await
        .map(drop)
    }

    async fn note(&self, order: &ShopOrder, note: &str) -> Result<(), AdapterError> {
        let note = NewNote {
            note: note.to_owned(),
            customer_note: false,
        };
        self.send(
            reqwest::Method::POST,
            &format!("orders/{}/notes", order.reference),
            Some(&note),
        )
        .await
        .map(drop)
    }

    async fn set_status(&self, order: &ShopOrder, status: &str) -> Result<(), AdapterError> {
        let update = OrderUpdate {
            status: Some(status.to_owned()),
            ..OrderUpdate::default()
        };
        self.update(order, &update).await
    }
}

fn rand_bytes<const N: usize>() -> Result<[u8; N], AdapterError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| AdapterError::Refused(format!("random: {e}")))?;
    Ok(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Platform for WooCommerce {
    async fn order(&self, reference: &str) -> Result<ShopOrder, AdapterError> {
        order_number("WooCommerce", reference)?;
        let order: Order = self
            .send(
                reqwest::Method::GET,
                &format!("orders/{reference}"),
                None::<&()>,
            )
            .await?
            .json()
            .await
            .map_err(|e| AdapterError::Unreadable(e.to_string()))?;
        Ok(ShopOrder {
            reference: order.id.to_string(),
            state: self.statuses.state(&order.status),
            status: order.status,
            total: order.total,
            currency: order.currency,
        })
    }

    async fn apply(
        &self,
        order: &ShopOrder,
        action: &OrderAction,
        facts: &PaymentFacts,
    ) -> Result<(), AdapterError> {
        match action {
            OrderAction::Nothing => Ok(()),
            OrderAction::MarkPaid { note } => {
                // `set_paid` runs only while the order needs payment (pending or failed), after
                // the status is set: an order held while its payment confirmed goes back to
                // pending in the same request, or WooCommerce would leave it on hold for good.
                // A repeat on a paid order changes nothing.
                let update = OrderUpdate {
                    set_paid: Some(true),
                    transaction_id: facts.txid.clone(),
                    status: (!matches!(order.status.as_str(), "pending" | "failed"))
                        .then(|| "pending".to_owned()),
                };
                self.update(order, &update).await?;
                let paid = facts.note(&format!("Paid in crypto: {}.", facts.paid));
                self.note(order, &paid).await?;
                match note {
                    Some(note) => self.note(order, &facts.note(note)).await,
                    None => Ok(()),
                }
            }
            OrderAction::Hold { note } => {
                self.set_status(order, &self.statuses.on_hold).await?;
                self.note(order, &facts.note(note)).await
            }
            OrderAction::Cancel => {
                self.set_status(order, &self.statuses.cancelled).await?;
                self.note(order, &facts.note(EXPIRED_NOTE)).await
            }
            OrderAction::Fail => {
                self.set_status(order, &self.statuses.failed).await?;
                self.note(order, &facts.note(FAILED_NOTE)).await
            }
            OrderAction::Refund => {
                self.set_status(order, &self.statuses.refunded).await?;
                self.note(order, &facts.note(REFUNDED_NOTE)).await
            }
            OrderAction::NoteOnly { note } => self.note(order, &facts.note(note)).await,
        }
    }
}
