//! Shopify, for every shop (the manual payment route): the order's outstanding amount read through
//! the Admin GraphQL API, `orderMarkAsPaid` when the invoice is paid ("already paid" is a repeat),
//! `orderCancel` when it expires unpaid, and tags and note lines for what Shopify has no status for
//! (confirming, failed, refunded in crypto). Throttling and 5xx are "try again later".
//!
//! Access: the app's client credentials (an app of the merchant's own organization, installed on
//! their store: the shim asks Shopify for a token, which lasts a day, and asks again when it runs
//! out), or a fixed Admin API access token (`shpat_...`, an app made in the shop's admin).

pub mod transformers;

use crate::egress::Egress;
use crate::platform::{AdapterError, EXPIRED_NOTE, FAILED_NOTE, PaymentFacts, Platform, ShopOrder};
use crate::{OrderAction, OrderState};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use transformers::{
    GraphqlRequest, GraphqlResponse, MARK_AS_PAID, ORDER_CANCEL, ORDER_QUERY, ORDER_UPDATE, Order,
    TAG_FAILED, TAG_HELD, TAG_REFUNDED, order_gid, user_errors,
};

/// How the shim gets into a shop's Admin API.
#[derive(Debug, Clone)]
pub enum Access {
    /// A fixed access token (`shpat_...`).
    Token(SecretString),
    /// The app's client id and secret, exchanged for a day's token (the client credentials grant).
    ClientCredentials {
        /// The app's client id.
        client_id: String,
        /// The app's client secret.
        client_secret: SecretString,
    },
}

/// A Shopify shop's Admin API.
#[derive(Debug, Clone)]
pub struct Shopify {
    admin: String,
    endpoint: String,
    payments_endpoint: String,
    access: Access,
    egress: Egress,
    http: reqwest::Client,
}

/// Which shop and credentials a token is for: the shop's address, the client id, and a digest of
/// the secret (so that a changed secret is not masked by a token the old one got).
type TokenKey = (String, String, [u8; 32]);

/// Tokens from the client credentials grant until a little before they run out: every adapter of
/// the process shares them.
fn tokens() -> &'static Mutex<HashMap<TokenKey, (SecretString, Instant)>> {
    static TOKENS: OnceLock<Mutex<HashMap<TokenKey, (SecretString, Instant)>>> = OnceLock::new();
    TOKENS.get_or_init(Mutex::default)
}

impl Shopify {
    /// The Admin API of the shop at `admin` (`https://my-shop.myshopify.com`, or an emulator's
    /// address), in `api_version` (`2025-10`), with access that may read and write orders.
    pub fn new(
        admin: &str,
        api_version: &str,
        access: Access,
        egress: &Egress,
    ) -> Result<Self, AdapterError> {
        let http = egress.client(crate::platform::PLATFORM_TIMEOUT)?;
        let admin = admin.trim_end_matches('/').to_owned();
        Ok(Self {
            endpoint: format!("{admin}/admin/api/{api_version}/graphql.json"),
            payments_endpoint: format!("{admin}/payments_apps/api/{api_version}/graphql.json"),
            admin,
            access,
            egress: egress.clone(),
            http,
        })
    }

    /// The access token to send: the fixed one, or a day's token (asked for when there is none).
    async fn token(&self) -> Result<SecretString, AdapterError> {
        let (client_id, client_secret) = match &self.access {
            Access::Token(token) => return Ok(token.clone()),
            Access::ClientCredentials {
                client_id,
                client_secret,
            } => (client_id, client_secret),
        };
        let key = self.token_key(client_id, client_secret);
        if let Some((token, until)) = lock(tokens()).get(&key)
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let url = format!("{}/admin/oauth/access_token", self.admin);
        self.egress.check(&url).await?;
        let response = self
            .http
            .post(url)
            .json(
                &json!({ "client_id": client_id, "client_secret": client_secret.expose_secret(),
                "grant_type": "client_credentials" }),
            )
            .send()
            .await
            .map_err(|e| AdapterError::transport(&e))?;
        let status = response.status();
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(AdapterError::Unavailable(format!(
                "HTTP {} asking for an access token",
                status.as_u16()
            )));
        }
        let grant: Option<transformers::AccessToken> = response.json().await.ok();
        let Some(grant) = grant.filter(|_| status.is_success()) else {
            return Err(AdapterError::Refused(format!(
                "HTTP {}: Shopify gave no access token for the app's client credentials (is the app installed on the shop, and are its client id and secret right?)",
                status.as_u16()
            )));
        };
        // A minute early, so that no call goes out with a token about to run out.
        let lasts = Duration::from_secs(grant.expires_in.unwrap_or(86_399).saturating_sub(60));
        let token = SecretString::from(grant.access_token);
        lock(tokens()).insert(key, (token.clone(), Instant::now() + lasts));
        Ok(token)
    }

    fn token_key(&self, client_id: &str, client_secret: &SecretString) -> TokenKey {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(client_secret.expose_secret().as_bytes());
        (self.admin.clone(), client_id.to_owned(), digest.into())
    }

    /// Forgets the day's token (Shopify refused it: revoked, or the app reinstalled).
    fn forget_token(&self) {
        if let Access::ClientCredentials {
            client_id,
            client_secret,
        } = &self.access
        {
            lock(tokens()).remove(&self.token_key(client_id, client_secret));
        }
    }

    /// Sends one GraphQL document to the Admin API and returns its `data`.
    async fn graphql(&self, query: &str, variables: Value) -> Result<Value, AdapterError> {
        self.graphql_at(&self.endpoint, query, variables).await
    }

    /// Sends one GraphQL document to `endpoint` and returns its `data`.
    async fn graphql_at(
        &self,
        endpoint: &str,
        query: &str,
        variables: Value,
    ) -> Result<Value, AdapterError> {
        let mut response = self.send(endpoint, query, &variables).await?;
        if response.status().as_u16() == 401
            && matches!(self.access, Access::ClientCredentials { .. })
        {
            // A cached token Shopify no longer takes: one more try with a new one.
            self.forget_token();
            response = self.send(endpoint, query, &variables).await?;
        }
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
        if status.as_u16() == 401 {
            self.forget_token();
            return Err(AdapterError::Refused(
                "HTTP 401: the access token was refused (is the app still installed?)".into(),
            ));
        }
        if status.as_u16() == 403 {
            return Err(AdapterError::Refused(
                "HTTP 403: the app lacks a scope this call needs (read_orders and write_orders; write_payment_sessions for the payments app)".into(),
            ));
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

    async fn send(
        &self,
        endpoint: &str,
        query: &str,
        variables: &Value,
    ) -> Result<reqwest::Response, AdapterError> {
        let token = self.token().await?;
        self.egress.check(endpoint).await?;
        self.http
            .post(endpoint)
            .header("X-Shopify-Access-Token", token.expose_secret())
            .json(&GraphqlRequest {
                query,
                variables: variables.clone(),
            })
            .send()
            .await
            .map_err(|e| AdapterError::transport(&e))
    }

    /// Runs Admin API mutation `field` and fails with its user errors, unless `ignore` excuses
    /// them all.
    async fn mutate(
        &self,
        query: &str,
        variables: Value,
        field: &str,
        errors_field: &str,
        ignore: impl Fn(&transformers::UserError) -> bool,
    ) -> Result<(), AdapterError> {
        self.mutate_at(
            &self.endpoint,
            query,
            variables,
            field,
            errors_field,
            ignore,
        )
        .await
        .map(drop)
    }

    /// Runs mutation `field` at `endpoint`: its data, or its user errors unless `ignore` excuses
    /// them all.
    async fn mutate_at(
        &self,
        endpoint: &str,
        query: &str,
        variables: Value,
        field: &str,
        errors_field: &str,
        ignore: impl Fn(&transformers::UserError) -> bool,
    ) -> Result<Value, AdapterError> {
        let data = self.graphql_at(endpoint, query, variables).await?;
        let errors = user_errors(&data, field, errors_field);
        if errors.iter().all(ignore) {
            return Ok(data);
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

    /// A Payments Apps API mutation on a payment session: where the buyer goes next.
    async fn settle(
        &self,
        query: &str,
        variables: Value,
        field: &str,
    ) -> Result<Option<String>, AdapterError> {
        let data = self
            .mutate_at(
                &self.payments_endpoint,
                query,
                variables,
                field,
                "userErrors",
                |_| false,
            )
            .await?;
        Ok(transformers::next_redirect(&data, field))
    }

    /// The payments app's payment session `gid` is paid: where the buyer goes next (Shopify's
    /// thank-you page). Shopify takes a repeated resolve.
    pub async fn resolve_payment(&self, gid: &str) -> Result<Option<String>, AdapterError> {
        self.settle(
            transformers::PAYMENT_SESSION_RESOLVE,
            json!({ "id": gid }),
            "paymentSessionResolve",
        )
        .await
    }

    /// The payment session `gid` failed (`code`: `PROCESSING_ERROR`...; `message` for the
    /// merchant): where the buyer goes next (back to checkout).
    pub async fn reject_payment(
        &self,
        gid: &str,
        code: &str,
        message: &str,
    ) -> Result<Option<String>, AdapterError> {
        self.settle(
            transformers::PAYMENT_SESSION_REJECT,
            json!({ "id": gid, "reason": { "code": code, "merchantMessage": message } }),
            "paymentSessionReject",
        )
        .await
    }

    /// The payment session `gid` is paid but not final yet (`reason`: `NETWORK_ACTION_REQUIRED`,
    /// `PARTNER_ACTION_REQUIRED`), until `expires_at` (RFC 3339): where the buyer goes next.
    pub async fn pend_payment(
        &self,
        gid: &str,
        expires_at: &str,
        reason: &str,
    ) -> Result<Option<String>, AdapterError> {
        self.settle(
            transformers::PAYMENT_SESSION_PENDING,
            json!({ "id": gid, "pendingExpiresAt": expires_at, "reason": reason }),
            "paymentSessionPending",
        )
        .await
    }

    /// Refuses the refund session `gid`, telling the merchant why.
    pub async fn reject_refund(&self, gid: &str, message: &str) -> Result<(), AdapterError> {
        self.mutate_at(
            &self.payments_endpoint,
            transformers::REFUND_SESSION_REJECT,
            json!({ "id": gid, "reason": { "code": "PROCESSING_ERROR", "merchantMessage": message } }),
            "refundSessionReject",
            "userErrors",
            |_| false,
        )
        .await
        .map(drop)
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
                let mut text = facts.paid_sentence();
                if let Some(note) = note {
                    text = format!("{text} {note}");
                }
                // The note first: if marking paid fails, the retry finds the note there already.
                self.annotate(&order, &line(&text), None).await?;
                let marked = self
                    .mutate(
                        MARK_AS_PAID,
                        json!({ "input": { "id": order.id } }),
                        "orderMarkAsPaid",
                        "userErrors",
                        |_| false,
                    )
                    .await;
                match marked {
                    // Shopify refuses an order that owes nothing: paid meanwhile (a repeat, or by
                    // the merchant) is fine; anything else (authorized, cancelled) is not.
                    Err(AdapterError::Refused(reason)) => {
                        let now = self.read(&shop_order.reference).await?;
                        if now.state() == OrderState::Paid {
                            Ok(())
                        } else {
                            Err(AdapterError::Refused(reason))
                        }
                    }
                    other => other,
                }
            }
            OrderAction::Hold { note } => self.annotate(&order, &line(note), Some(TAG_HELD)).await,
            OrderAction::Cancel => {
                self.mutate(
                    ORDER_CANCEL,
                    json!({ "orderId": order.id,
                        "staffNote": line(EXPIRED_NOTE) }),
                    "orderCancel",
                    "orderCancelUserErrors",
                    |e| e.message.to_ascii_lowercase().contains("already cancel"),
                )
                .await
            }
            OrderAction::Fail => {
                self.annotate(
                    &order,
                    &line(FAILED_NOTE),
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

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
