//! Shopify, for every shop (the manual payment route): the order's outstanding amount read through
//! the Admin GraphQL API, `orderMarkAsPaid` when the invoice is paid ("already paid" is a repeat),
//! `orderCancel` when it expires unpaid, and tags and note lines for what Shopify has no status for
//! (confirming, failed, refunded in crypto). Throttling and 5xx are "try again later".

pub mod transformers;

use crate::OrderAction;
use crate::platform::{AdapterError, PaymentFacts, Platform, ShopOrder};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::{Value, json};
use std::time::Duration;
use transformers::{
    GraphqlRequest, GraphqlResponse, MARK_AS_PAID, ORDER_CANCEL, ORDER_QUERY, ORDER_UPDATE, Order,
    TAG_FAILED, TAG_HELD, TAG_REFUNDED, already_paid, order_gid, user_errors,
};

/// A Shopify shop's Admin API.
#[derive(Debug, Clone)]
pub struct Shopify {
    endpoint: String,
    token: SecretString,
    http: reqwest::Client,
}

impl Shopify {
    /// The Admin API of the shop at `admin` (`https://my-shop.myshopify.com`, or an emulator's
    /// address), in `api_version` (`2025-10`), with an access token that may read and write orders.
    pub fn new(admin: &str, api_version: &str, token: SecretString) -> Result<Self, AdapterError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| AdapterError::Refused(format!("HTTP client: {e}")))?;
        Ok(Self {
            endpoint: format!(
                "{}/admin/api/{api_version}/graphql.json",
                admin.trim_end_matches('/')
            ),
            token,
            http,
        })
    }

    /// Sends one GraphQL document and returns its `data`.
    async fn graphql(&self, query: &str, variables: Value) -> Result<Value, AdapterError> {
        let response = self
            .http
            .post(&self.endpoint)
            .header("X-Shopify-Access-Token", self.token.expose_secret())
            .json(&GraphqlRequest { query, variables })
            .send()
            .await
            .map_err(|e| AdapterError::transport(&e))?;
        let status = response.status();
        let body: Option<GraphqlResponse> = response.json().await.ok();
        let message = body.as_ref().and_then(GraphqlResponse::error_message);
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(AdapterError::Unavailable(format!(
                "HTTP {}{}",
                status.as_u16(),
                message.map(|m| format!(": {m}")).unwrap_or_default()
            )));
        }
        if status.as_u16() == 401 || status.as_u16() == 403 {
            return Err(AdapterError::Refused(format!(
                "HTTP {}: the access token was refused (reinstall the app, or check its read_orders and write_orders scopes)",
                status.as_u16()
            )));
        }
        let Some(body) = body.filter(|_| status.is_success()) else {
            return Err(AdapterError::Unreadable(format!(
                "HTTP {} without a GraphQL answer",
                status.as_u16()
            )));
        };
        if body.throttled() {
            return Err(AdapterError::Unavailable(
                "throttled by Shopify's rate limit".into(),
            ));
        }
        if let Some(message) = body.error_message() {
            return Err(AdapterError::Refused(message));
        }
        body.data
            .ok_or_else(|| AdapterError::Unreadable("a GraphQL answer without data".into()))
    }

    /// Runs mutation `field` and fails with its user errors, unless `ignore` excuses them all.
    async fn mutate(
        &self,
        query: &str,
        variables: Value,
        field: &str,
        errors_field: &str,
        ignore: impl Fn(&transformers::UserError) -> bool,
    ) -> Result<(), AdapterError> {
        let data = self.graphql(query, variables).await?;
        let errors = user_errors(&data, field, errors_field);
        if errors.iter().all(ignore) {
            return Ok(());
        }
        Err(AdapterError::Refused(format!(
            "{field}: {}",
            errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        )))
    }

    /// Order `reference` with what the buyer's side needs: its confirmation number and status
    /// page.
    pub async fn read(&self, reference: &str) -> Result<Order, AdapterError> {
        let id = order_gid(reference).ok_or_else(|| {
            AdapterError::Refused(format!(
                "a Shopify order id is a number (or gid://shopify/Order/N), not {reference:?}"
            ))
        })?;
        let data = self.graphql(ORDER_QUERY, json!({ "id": id })).await?;
        if data["order"].is_null() {
            return Err(AdapterError::Refused(format!(
                "no such order: {reference} (or the token may not read it: it needs read_orders, and read_all_orders for orders older than 60 days)"
            )));
        }
        serde_json::from_value(data["order"].clone())
            .map_err(|e| AdapterError::Unreadable(format!("order {reference}: {e}")))
    }

    /// Adds `line` to the order's note (once) and `tag` to its tags, in one write.
    async fn annotate(
        &self,
        order: &Order,
        line: &str,
        tag: Option<&str>,
    ) -> Result<(), AdapterError> {
        let note = order.note_with(line);
        let tags = tag
            .map(|tag| order.tags_with(tag))
            .filter(|tags| tags.len() != order.tags.len());
        if note.is_none() && tags.is_none() {
            return Ok(());
        }
        let mut input = json!({ "id": order.id });
        if let Some(note) = note {
            input["note"] = json!(note);
        }
        if let Some(tags) = tags {
            input["tags"] = json!(tags);
        }
        self.mutate(
            ORDER_UPDATE,
            json!({ "input": input }),
            "orderUpdate",
            "userErrors",
            |_| false,
        )
        .await
    }
}

impl Platform for Shopify {
    async fn order(&self, reference: &str) -> Result<ShopOrder, AdapterError> {
        let order = self.read(reference).await?;
        let due = &order.total_outstanding_set.presentment_money;
        Ok(ShopOrder {
            reference: reference.to_owned(),
            status: order.status(),
            state: order.state(),
            total: due.amount.clone(),
            currency: due.currency_code.clone(),
        })
    }

    async fn apply(
        &self,
        shop_order: &ShopOrder,
        action: &OrderAction,
        facts: &PaymentFacts,
    ) -> Result<(), AdapterError> {
        // The order as it is now (tags and note), not as the caller read it.
        let order = self.read(&shop_order.reference).await?;
        let line = |text: &str| format!("[crypto invoice {}] {text}", facts.invoice_id);
        match action {
            OrderAction::Nothing => Ok(()),
            OrderAction::MarkPaid { note } => {
                let mut text = format!(
                    "Paid in crypto: {}; gateway payment {}.",
                    facts.paid,
                    facts.txid.as_deref().unwrap_or("unknown")
                );
                if let Some(note) = note {
                    text = format!("{text} {note}");
                }
                // The note first: if marking paid fails, the retry finds the note there already.
                self.annotate(&order, &line(&text), None).await?;
                self.mutate(
                    MARK_AS_PAID,
                    json!({ "input": { "id": order.id } }),
                    "orderMarkAsPaid",
                    "userErrors",
                    already_paid,
                )
                .await
            }
            OrderAction::Hold { note } => self.annotate(&order, &line(note), Some(TAG_HELD)).await,
            OrderAction::Cancel => {
                self.mutate(
                    ORDER_CANCEL,
                    json!({ "orderId": order.id,
                        "staffNote": line("The crypto invoice expired unpaid.") }),
                    "orderCancel",
                    "orderCancelUserErrors",
                    |e| e.message.to_ascii_lowercase().contains("already cancel"),
                )
                .await
            }
            OrderAction::Fail => {
                self.annotate(
                    &order,
                    &line("The crypto payment failed."),
                    Some(TAG_FAILED),
                )
                .await
            }
            OrderAction::Refund => {
                self.annotate(
                    &order,
                    &line("The crypto payment was refunded from the gateway; record the refund in Shopify if you want its reports to show it."),
                    Some(TAG_REFUNDED),
                )
                .await
            }
            OrderAction::NoteOnly { note } => self.annotate(&order, &line(note), None).await,
        }
    }
}
