//! WooCommerce, two ways:
//! - [`WooCommercePlugin`], through our plugin's own route (`?wc-api=crypto_checkout`), signed with
//!   the secret shared with the plugin (see [`crate::signed`]): the plugin moves the order with
//!   WooCommerce's PHP API (`payment_complete`, `update_status`, `add_order_note`), as
//!   WooCommerce's own gateways do, whatever the site's permalinks and with or without HTTPS.
//!   This is how the plugin's "connect this shop" button connects a shop.
//! - [`WooCommerce`], through the REST API v3 with a key pair (shops connected before the plugin
//!   had its route): read the order, `set_paid` with the transaction id, move the status, add
//!   notes. HTTP Basic over HTTPS; over plain HTTP, one-legged OAuth 1.0a in the query string, as
//!   WooCommerce requires.

pub mod transformers;

use crate::OrderAction;
use crate::platform::{AdapterError, PaymentFacts, Platform, ShopOrder};
use crate::signed::SignedRoute;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use transformers::{
    ErrorBody, NewNote, Order, OrderUpdate, PLUGIN_ROUTE, PluginCall, PluginOrder, PluginPing,
    PluginStep, PluginUpdate, PluginUpdated, StatusMap,
};

/// A WooCommerce shop with our plugin, reached through the plugin's signed route.
#[derive(Debug, Clone)]
pub struct WooCommercePlugin {
    site: String,
    route: SignedRoute,
}

impl WooCommercePlugin {
    /// The shop at `site` (WordPress's home URL, `https://shop.example`), whose plugin has
    /// `secret` as its shared secret.
    pub fn new(site: &str, secret: SecretString) -> Result<Self, AdapterError> {
        Ok(Self {
            site: site.trim_end_matches('/').to_owned(),
            route: SignedRoute::new(secret)?,
        })
    }

    async fn call<T: DeserializeOwned>(&self, call: &PluginCall) -> Result<T, AdapterError> {
        self.route
            .call(
                &format!("{}/", self.site),
                &[PLUGIN_ROUTE],
                "the WooCommerce plugin",
                call,
                "connect the shop again from the plugin's settings: the secret it holds is not the shim's",
            )
            .await
    }

    /// Checks that the plugin answers and shares the secret; its and WooCommerce's versions.
    pub async fn ping(&self) -> Result<PluginPing, AdapterError> {
        self.call(&PluginCall::Ping).await
    }
}

fn plugin_order(order: PluginOrder) -> Result<ShopOrder, AdapterError> {
    let state = transformers::plugin_state(&order.state).ok_or_else(|| {
        AdapterError::Unreadable(format!("the plugin's order state {:?}", order.state))
    })?;
    Ok(ShopOrder {
        reference: order.order_id.to_string(),
        status: order.status,
        state,
        total: order.total,
        currency: order.currency,
    })
}

fn order_number(reference: &str) -> Result<u64, AdapterError> {
    reference
        .parse()
        .ok()
        .filter(|_| reference.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            AdapterError::Refused(format!(
                "a WooCommerce order id is a number, not {reference:?}"
            ))
        })
}

impl Platform for WooCommercePlugin {
    async fn order(&self, reference: &str) -> Result<ShopOrder, AdapterError> {
        let order_id = order_number(reference)?;
        plugin_order(self.call(&PluginCall::Order { order_id }).await?)
    }

    async fn apply(
        &self,
        order: &ShopOrder,
        action: &OrderAction,
        facts: &PaymentFacts,
    ) -> Result<(), AdapterError> {
        let with_invoice = |text: &str| format!("{text} (crypto invoice {})", facts.invoice_id);
        let (step, notes) = match action {
            OrderAction::Nothing => return Ok(()),
            OrderAction::MarkPaid { note } => {
                let paid = format!(
                    "Paid in crypto: {}; gateway payment {}.",
                    facts.paid,
                    facts.txid.as_deref().unwrap_or("unknown")
                );
                let mut notes = vec![with_invoice(&paid)];
                notes.extend(note.as_deref().map(with_invoice));
                (PluginStep::Paid, notes)
            }
            OrderAction::Hold { note } => (PluginStep::Hold, vec![with_invoice(note)]),
            OrderAction::Cancel => (
                PluginStep::Cancel,
                vec![with_invoice("The crypto invoice expired unpaid.")],
            ),
            OrderAction::Fail => (
                PluginStep::Fail,
                vec![with_invoice("The crypto payment failed.")],
            ),
            OrderAction::Refund => (
                PluginStep::Refund,
                vec![with_invoice("The crypto payment was refunded.")],
            ),
            OrderAction::NoteOnly { note } => (PluginStep::Note, vec![with_invoice(note)]),
        };
        let step_name = serde_json::to_value(step)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let update = PluginUpdate {
            order_id: order_number(&order.reference)?,
            invoice_id: facts.invoice_id.clone(),
            invoice_status: facts.status.to_string(),
            step,
            transaction_id: facts.txid.clone(),
            notes,
            key: format!("{}:{}:{step_name}", facts.invoice_id, facts.status),
        };
        // `applied: false` is a repeat, or an order that moved on meanwhile: done either way.
        let _: PluginUpdated = self.call(&PluginCall::Update(update)).await?;
        Ok(())
    }
}

/// A WooCommerce shop.
#[derive(Debug, Clone)]
pub struct WooCommerce {
    site: String,
    consumer_key: String,
    consumer_secret: SecretString,
    statuses: StatusMap,
    http: reqwest::Client,
}

impl WooCommerce {
    /// The shop at `site` (`https://shop.example`), with a REST API key pair (read/write).
    pub fn new(
        site: &str,
        consumer_key: &str,
        consumer_secret: SecretString,
        statuses: StatusMap,
    ) -> Result<Self, AdapterError> {
        let http = reqwest::Client::builder()
            .timeout(crate::platform::PLATFORM_TIMEOUT)
            .build()
            .map_err(|e| AdapterError::Refused(format!("HTTP client: {e}")))?;
        Ok(Self {
            site: site.trim_end_matches('/').to_owned(),
            consumer_key: consumer_key.to_owned(),
            consumer_secret,
            statuses,
            http,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/wp-json/wc/v3/{path}", self.site)
    }

    /// Sends a request with the right authentication for the site's scheme.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<reqwest::Response, AdapterError> {
        let url = self.url(path);
        let mut request = self.http.request(method.clone(), &url);
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
        Err(if status.is_server_error() || status.as_u16() == 429 {
            AdapterError::Unavailable(error)
        } else {
            AdapterError::Refused(error)
        })
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
        order_number(reference)?;
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
        let with_invoice = |text: &str| format!("{text} (crypto invoice {})", facts.invoice_id);
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
                let paid = with_invoice(&format!("Paid in crypto: {}.", facts.paid));
                self.note(order, &paid).await?;
                match note {
                    Some(note) => self.note(order, &with_invoice(note)).await,
                    None => Ok(()),
                }
            }
            OrderAction::Hold { note } => {
                self.set_status(order, &self.statuses.on_hold).await?;
                self.note(order, &with_invoice(note)).await
            }
            OrderAction::Cancel => {
                self.set_status(order, &self.statuses.cancelled).await?;
                self.note(order, &with_invoice("The crypto invoice expired unpaid."))
                    .await
            }
            OrderAction::Fail => {
                self.set_status(order, &self.statuses.failed).await?;
                self.note(order, &with_invoice("The crypto payment failed."))
                    .await
            }
            OrderAction::Refund => {
                self.set_status(order, &self.statuses.refunded).await?;
                self.note(order, &with_invoice("The crypto payment was refunded."))
                    .await
            }
            OrderAction::NoteOnly { note } => self.note(order, &with_invoice(note)).await,
        }
    }
}
