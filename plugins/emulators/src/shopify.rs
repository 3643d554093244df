//! Shopify, as far as the shim uses it: the Admin GraphQL API
//! (`POST /admin/api/{version}/graphql.json`) for orders, and the client credentials grant
//! (`POST /admin/oauth/access_token`) that gives an installed app of the shop's own organization
//! a token for a day.
//!
//! Like Shopify: the access token goes in `X-Shopify-Access-Token` (a wrong one is a `401` whose
//! `errors` is a string); a document is answered `200` with `data` and/or `errors`; a mutation's
//! own failures are `userErrors` in its payload; every answer carries `extensions.cost` with the
//! leaky bucket's `throttleStatus`, and a document that costs more than the bucket holds is
//! `errors: [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]`. The emulator
//! dispatches on the root fields of the document (`order`, `orderMarkAsPaid`, `orderUpdate`,
//! `orderCancel`, `shop`), taking arguments from the variables or from simple literals, and
//! answers with the whole object, whatever the selection.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use subtle::ConstantTimeEq as _;

/// The API versions the emulator knows (Shopify answers an unknown one with the oldest it
/// supports, named in `X-Shopify-API-Version`).
pub const API_VERSIONS: [&str; 5] = ["2025-01", "2025-04", "2025-07", "2025-10", "2026-01"];

/// An order in the emulated shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// Its number (the `N` of `gid://shopify/Order/N`).
    pub id: u64,
    /// `#1001`.
    pub name: String,
    /// What the thank-you page shows the buyer (`CONF00042`).
    pub confirmation_number: String,
    /// The total, as a decimal string.
    pub total: String,
    /// What is still due.
    pub outstanding: String,
    /// The buyer's currency.
    pub currency: String,
    /// `PENDING`, `PAID`, `PARTIALLY_PAID`, `REFUNDED`...
    pub financial_status: String,
    /// When it was cancelled.
    pub cancelled_at: Option<String>,
    /// The merchant's note.
    pub note: Option<String>,
    /// Its tags.
    pub tags: Vec<String>,
    /// Staff notes left by cancellations.
    pub staff_notes: Vec<String>,
}

#[derive(Debug)]
struct Bucket {
    maximum: f64,
    available: f64,
    restore_rate: f64,
    at: Instant,
}

impl Bucket {
    fn refill(&mut self) {
        let now = Instant::now();
        self.available = (self.available
            + now.duration_since(self.at).as_secs_f64() * self.restore_rate)
            .min(self.maximum);
        self.at = now;
    }

    fn status(&self) -> Value {
        json!({ "maximumAvailable": self.maximum, "currentlyAvailable": self.available.floor(),
            "restoreRate": self.restore_rate })
    }
}

#[derive(Debug)]
struct Shop {
    orders: BTreeMap<u64, Order>,
    writes: Vec<(u64, String)>,
    unavailable: u32,
    bucket: Bucket,
    throttled: u32,
    /// Tokens issued by the client credentials grant, still valid.
    issued: Vec<String>,
    grants: u32,
    /// The payments app's sessions by gid: `open`, `pending`, `resolved`, `rejected`.
    sessions: BTreeMap<String, String>,
    /// Refund sessions by gid.
    refunds: BTreeMap<String, String>,
}

/// The emulated shop. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ShopifyEmulator {
    shop: Arc<Mutex<Shop>>,
    domain: String,
    token: String,
    app: Option<(String, String)>,
    /// The online store's address, for order status pages.
    storefront: Option<String>,
}

type Answer = Result<Value, String>;

impl ShopifyEmulator {
    /// The shop `domain` (`my-shop.myshopify.com`) whose Admin API accepts access token `token`,
    /// with Shopify's standard bucket (2000 points, 100 restored a second).
    pub fn new(domain: &str, token: &str) -> Self {
        Self {
            shop: Arc::new(Mutex::new(Shop {
                orders: BTreeMap::new(),
                writes: Vec::new(),
                unavailable: 0,
                bucket: Bucket {
                    maximum: 2000.0,
                    available: 2000.0,
                    restore_rate: 100.0,
                    at: Instant::now(),
                },
                throttled: 0,
                issued: Vec::new(),
                grants: 0,
                sessions: BTreeMap::new(),
                refunds: BTreeMap::new(),
            })),
            domain: domain.to_owned(),
            token: token.to_owned(),
            app: None,
            storefront: None,
        }
    }

    /// Order status pages at `storefront` (the emulator's own address: it serves them), rather
    /// than at `https://{domain}`.
    pub fn with_storefront(mut self, storefront: &str) -> Self {
        self.storefront = Some(storefront.trim_end_matches('/').to_owned());
        self
    }

    /// The app `client_id` with `client_secret` is installed on the shop: the client credentials
    /// grant gives it tokens.
    pub fn with_app(mut self, client_id: &str, client_secret: &str) -> Self {
        self.app = Some((client_id.to_owned(), client_secret.to_owned()));
        self
    }

    /// How many tokens the client credentials grant gave.
    pub fn grants(&self) -> u32 {
        self.shop().grants
    }

    /// Where payment session `gid` stands: `open`, `pending`, `resolved` or `rejected`.
    pub fn payment_session(&self, gid: &str) -> Option<String> {
        self.shop().sessions.get(gid).cloned()
    }

    /// Where refund session `gid` stands.
    pub fn refund_session(&self, gid: &str) -> Option<String> {
        self.shop().refunds.get(gid).cloned()
    }

    /// Shopify's checkout starting a payment session with the payments app at `url` (its
    /// `payment_session_url`), through `client` (which carries Shopify's client certificate):
    /// the app's status and answer.
    pub async fn start_payment_session(
        &self,
        client: &reqwest::Client,
        url: &str,
        id: &str,
        amount: &str,
        currency: &str,
    ) -> Result<(u16, Value), reqwest::Error> {
        let gid = format!("gid://shopify/PaymentSession/{id}");
        self.shop()
            .sessions
            .entry(gid.clone())
            .or_insert_with(|| "open".into());
        let body = json!({
            "id": id, "gid": gid, "group": "rZNvy+1jH6Z+BcPqA5U5BSIcnUavBha3C63xBalm+xE=",
            "session_id": "4B2dxmle3vGgimS4deUX3+2PgLF2+/0ZWnNsNSZcgdU=",
            "amount": amount, "currency": currency, "test": false, "merchant_locale": "en",
            "payment_method": { "type": "offsite", "data": {
                "cancel_url": format!("https://{}/checkouts/c/{id}/payment", self.domain) } },
            "proposed_at": "2026-11-27T12:00:00Z",
            "customer": { "email": "buyer@example.com", "locale": "en",
                "billing_address": { "given_name": "Alice", "family_name": "Smith",
                    "line1": "123 Street", "city": "Montreal", "postal_code": "H2Y 1C6",
                    "province": "QC", "country_code": "CA" } },
            "kind": "sale",
        });
        self.send_session(client, url, &body).await
    }

    /// Shopify asking the payments app at `url` to refund payment session `payment_id`.
    pub async fn start_refund_session(
        &self,
        client: &reqwest::Client,
        url: &str,
        id: &str,
        payment_id: &str,
        amount: &str,
        currency: &str,
    ) -> Result<(u16, Value), reqwest::Error> {
        let gid = format!("gid://shopify/RefundSession/{id}");
        self.shop()
            .refunds
            .entry(gid.clone())
            .or_insert_with(|| "open".into());
        let body = json!({ "id": id, "gid": gid, "payment_id": payment_id, "amount": amount,
            "currency": currency, "test": false, "merchant_locale": "en",
            "proposed_at": "2026-11-27T12:00:00Z" });
        self.send_session(client, url, &body).await
    }

    async fn send_session(
        &self,
        client: &reqwest::Client,
        url: &str,
        body: &Value,
    ) -> Result<(u16, Value), reqwest::Error> {
        let response = client
            .post(url)
            .header("shopify-shop-domain", &self.domain)
            .header(
                "shopify-request-id",
                format!("req-{}", body["id"].as_str().unwrap_or("")),
            )
            .header("shopify-api-version", "2025-10")
            .json(body)
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }

    /// Every token the grant gave stops working (they ran out, or the app was reinstalled).
    pub fn revoke_tokens(&self) {
        self.shop().issued.clear();
    }

    fn shop(&self) -> std::sync::MutexGuard<'_, Shop> {
        self.shop
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Where the online store is: its status pages' base.
    fn storefront(&self) -> String {
        self.storefront
            .clone()
            .unwrap_or_else(|| format!("https://{}", self.domain))
    }

    /// The shop's `*.myshopify.com` domain.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// Adds order `id`, unpaid (a manual payment method's order), of `total` in `currency`.
    pub fn add_order(&self, id: u64, total: &str, currency: &str) {
        self.shop().orders.insert(
            id,
            Order {
                id,
                name: format!("#{}", 1000 + id),
                confirmation_number: format!("CONF{id:05}"),
                total: total.into(),
                outstanding: total.into(),
                currency: currency.into(),
                financial_status: "PENDING".into(),
                cancelled_at: None,
                note: None,
                tags: Vec::new(),
                staff_notes: Vec::new(),
            },
        );
    }

    /// Order `id` as it is now.
    pub fn order(&self, id: u64) -> Option<Order> {
        self.shop().orders.get(&id).cloned()
    }

    /// The merchant marks the order paid in the admin (another payment, by hand).
    pub fn mark_paid_by_hand(&self, id: u64) {
        if let Some(order) = self.shop().orders.get_mut(&id) {
            order.financial_status = "PAID".into();
            order.outstanding = "0.0".into();
        }
    }

    /// Another payment method's doing: the order's financial status becomes `status`
    /// (`AUTHORIZED`: a card payment held, to be captured).
    pub fn set_financial_status(&self, id: u64, status: &str) {
        if let Some(order) = self.shop().orders.get_mut(&id) {
            order.financial_status = status.into();
        }
    }

    /// Every mutation that changed an order, in order: (order, root field), `orderUpdate` as
    /// `orderUpdate(tags)` when it changed the tags and `orderUpdate(note)` otherwise.
    pub fn writes(&self) -> Vec<(u64, String)> {
        self.shop().writes.clone()
    }

    /// The shop answers `503` to the next `count` requests.
    pub fn go_down_for(&self, count: u32) {
        self.shop().unavailable = count;
    }

    /// A smaller bucket (`maximum` points, `restore_rate` a second), to see throttling.
    pub fn set_bucket(&self, maximum: f64, restore_rate: f64) {
        let mut shop = self.shop();
        shop.bucket = Bucket {
            maximum,
            available: maximum,
            restore_rate,
            at: Instant::now(),
        };
    }

    /// How many documents were refused as throttled.
    pub fn throttled(&self) -> u32 {
        self.shop().throttled
    }

    /// The Admin API.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/admin/api/{version}/graphql.json", post(admin_graphql))
            .route("/admin/oauth/access_token", post(access_token))
            .route("/account/orders/{id}", axum::routing::get(status_page))
            .route(
                "/payments_apps/api/{version}/graphql.json",
                post(payments_graphql),
            )
            .with_state(self.clone())
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(given) = headers.get("x-shopify-access-token") else {
            return false;
        };
        let same = |token: &String| bool::from(given.as_bytes().ct_eq(token.as_bytes()));
        same(&self.token) || self.shop().issued.iter().any(same)
    }

    /// Runs one document: its data, or top-level errors.
    fn execute(&self, document: &Document, variables: &Value) -> (Map<String, Value>, Vec<Value>) {
        let mut data = Map::new();
        let mut errors = Vec::new();
        for field in &document.fields {
            let args = |name: &str| field.argument(name, variables);
            let answer = match (document.mutation, field.name.as_str()) {
                (false, "shop") => {
                    Ok(json!({ "name": self.domain, "myshopifyDomain": self.domain }))
                }
                (false, "order") => Ok(self.read_order(args("id"))),
                (true, "orderMarkAsPaid") => self.mark_as_paid(args("input")),
                (true, "orderUpdate") => self.update(args("input")),
                (true, "orderCancel") => Ok(self.cancel(args("orderId"), args("staffNote"))),
                (mutation, name) => Err(format!(
                    "Field '{name}' doesn't exist on type '{}'",
                    if mutation { "Mutation" } else { "QueryRoot" }
                )),
            };
            match answer {
                Ok(value) => {
                    data.insert(field.key().to_owned(), value);
                }
                Err(message) => errors.push(json!({ "message": message,
                    "extensions": { "code": "undefinedField" } })),
            }
        }
        (data, errors)
    }

    fn read_order(&self, id: Option<Value>) -> Value {
        let shop = self.shop();
        let Some(order) = order_number(id.as_ref()).and_then(|n| shop.orders.get(&n)) else {
            return Value::Null;
        };
        order_json(order, &self.storefront())
    }

    fn mark_as_paid(&self, input: Option<Value>) -> Answer {
        let input = input.ok_or("orderMarkAsPaid needs input")?;
        let mut shop = self.shop();
        let Some(n) = order_number(input.get("id")) else {
            return Err("Invalid global id".into());
        };
        let Some(order) = shop.orders.get_mut(&n) else {
            return Ok(user_error("id", "Order does not exist"));
        };
        if order.cancelled_at.is_some() || order.financial_status == "PAID" {
            return Ok(user_error("id", "Order cannot be marked as paid."));
        }
        order.financial_status = "PAID".into();
        order.outstanding = "0.0".into();
        let answer = json!({ "order": order_json(order, &self.storefront()), "userErrors": [] });
        shop.writes.push((n, "orderMarkAsPaid".into()));
        Ok(answer)
    }

    fn update(&self, input: Option<Value>) -> Answer {
        let input = input.ok_or("orderUpdate needs input")?;
        let mut shop = self.shop();
        let Some(n) = order_number(input.get("id")) else {
            return Err("Invalid global id".into());
        };
        let Some(order) = shop.orders.get_mut(&n) else {
            return Ok(user_error("id", "Order does not exist"));
        };
        if let Some(note) = input.get("note") {
            order.note = note.as_str().map(str::to_owned);
        }
        let before = order.tags.clone();
        if let Some(tags) = input.get("tags").and_then(Value::as_array) {
            order.tags = tags
                .iter()
                .filter_map(Value::as_str)
                .map(|t| t.trim().to_owned())
                .collect();
        }
        let what = if order.tags == before {
            "orderUpdate(note)"
        } else {
            "orderUpdate(tags)"
        };
        let answer = json!({ "order": order_json(order, &self.storefront()), "userErrors": [] });
        shop.writes.push((n, what.into()));
        Ok(answer)
    }

    fn cancel(&self, id: Option<Value>, staff_note: Option<Value>) -> Value {
        let errors = |message: &str| {
            json!({ "job": null, "orderCancelUserErrors": [
                { "field": ["orderId"], "message": message, "code": "INVALID" }] })
        };
        let mut shop = self.shop();
        let Some(n) = order_number(id.as_ref()) else {
            return errors("Order does not exist");
        };
        let Some(order) = shop.orders.get_mut(&n) else {
            return errors("Order does not exist");
        };
        if order.cancelled_at.is_some() {
            return errors("Order has already been cancelled");
        }
        order.cancelled_at = Some("2026-11-27T12:00:00Z".into());
        if let Some(note) = staff_note.as_ref().and_then(Value::as_str) {
            order.staff_notes.push(note.to_owned());
        }
        shop.writes.push((n, "orderCancel".into()));
        json!({ "job": { "id": format!("gid://shopify/Job/{n}"), "done": true },
            "orderCancelUserErrors": [] })
    }
}

/// The Payments Apps API: payment and refund sessions move on, once.
async fn payments_graphql(
    State(shopify): State<ShopifyEmulator>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !shopify.authorized(&headers) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)" })),
        )
            .into_response();
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let document = match request["query"].as_str().map(Document::parse) {
        Some(Ok(document)) if document.mutation => document,
        _ => {
            return axum::Json(json!({ "errors": [{ "message": "expected a mutation",
                "extensions": { "code": "parseError" } }] }))
            .into_response();
        }
    };
    let variables = request
        .get("variables")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let mut data = Map::new();
    for field in &document.fields {
        let id = field
            .argument("id", &variables)
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let (target, refund) = match field.name.as_str() {
            "paymentSessionResolve" => ("resolved", false),
            "paymentSessionReject" => ("rejected", false),
            "paymentSessionPending" => ("pending", false),
            "refundSessionResolve" => ("resolved", true),
            "refundSessionReject" => ("rejected", true),
            other => {
                return axum::Json(json!({ "errors": [{ "message":
                    format!("Field '{other}' doesn't exist on type 'Mutation'") }] }))
                .into_response();
            }
        };
        let mut shop = shopify.shop();
        let sessions = if refund {
            &mut shop.refunds
        } else {
            &mut shop.sessions
        };
        let error =
            |message: &str| json!({ "userErrors": [{ "field": ["id"], "message": message }] });
        let answer = match sessions.get(&id).map(String::as_str) {
            None => error("Session not found"),
            // Shopify takes a repeated resolve, and nothing else once settled.
            Some("resolved") if target == "resolved" => {
                session_json(&shopify.domain, &id, target, refund)
            }
            Some(current @ ("resolved" | "rejected")) => error(&format!(
                "Session cannot transition from {current} to {target}"
            )),
            Some(_) => {
                sessions.insert(id.clone(), target.to_owned());
                session_json(&shopify.domain, &id, target, refund)
            }
        };
        data.insert(field.key().to_owned(), answer);
    }
    axum::Json(json!({ "data": data })).into_response()
}

fn session_json(domain: &str, gid: &str, state: &str, refund: bool) -> Value {
    let code = state.to_ascii_uppercase();
    if refund {
        return json!({ "refundSession": { "id": gid, "state": { "code": code } }, "userErrors": [] });
    }
    let token = gid.rsplit('/').next().unwrap_or_default();
    let redirect = if state == "rejected" {
        format!("https://{domain}/checkouts/c/{token}/payment?declined=1")
    } else {
        format!("https://{domain}/checkouts/c/{token}/thank-you")
    };
    json!({ "paymentSession": { "id": gid, "state": { "code": code },
        "nextAction": { "action": "REDIRECT", "context": { "redirectUrl": redirect } } },
        "userErrors": [] })
}

/// An order's status page, as the buyer sees it.
async fn status_page(State(shopify): State<ShopifyEmulator>, Path(id): Path<u64>) -> Response {
    let Some(order) = shopify.order(id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    axum::response::Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Order {}</title></head>\
         <body><main><h1>Order {}</h1><p id=\"financial-status\">{}</p></main></body></html>",
        order.name, order.name, order.financial_status
    ))
    .into_response()
}

/// The client credentials grant.
async fn access_token(State(shopify): State<ShopifyEmulator>, body: Bytes) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let asked = (
        request["client_id"].as_str(),
        request["client_secret"].as_str(),
        request["grant_type"].as_str(),
    );
    let granted = match (&shopify.app, asked) {
        (Some((id, secret)), (Some(given_id), Some(given_secret), Some("client_credentials"))) => {
            bool::from(given_id.as_bytes().ct_eq(id.as_bytes()))
                & bool::from(given_secret.as_bytes().ct_eq(secret.as_bytes()))
        }
        _ => false,
    };
    if !granted {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": "invalid_client",
                "error_description": "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method." })),
        )
            .into_response();
    }
    let mut shop = shopify.shop();
    shop.grants += 1;
    let token = format!("shpat_granted{:020}", shop.grants);
    shop.issued.push(token.clone());
    axum::Json(
        json!({ "access_token": token, "scope": "read_orders,write_orders",
        "expires_in": 86399 }),
    )
    .into_response()
}

fn order_json(order: &Order, storefront: &str) -> Value {
    let money = |amount: &str| {
        let money = json!({ "amount": amount, "currencyCode": order.currency });
        json!({ "shopMoney": money, "presentmentMoney": money })
    };
    json!({
        "id": format!("gid://shopify/Order/{}", order.id),
        "name": order.name,
        "confirmationNumber": order.confirmation_number,
        "statusPageUrl": format!("{storefront}/account/orders/{}", order.id),
        "note": order.note,
        "tags": order.tags,
        "cancelledAt": order.cancelled_at,
        "closed": order.cancelled_at.is_some(),
        "displayFinancialStatus": order.financial_status,
        "currencyCode": order.currency,
        "presentmentCurrencyCode": order.currency,
        "totalPriceSet": money(&order.total),
        "totalOutstandingSet": money(&order.outstanding),
    })
}

fn user_error(input: &str, message: &str) -> Value {
    json!({ "order": null, "userErrors": [{ "field": [input], "message": message }] })
}

fn order_number(id: Option<&Value>) -> Option<u64> {
    id?.as_str()?
        .strip_prefix("gid://shopify/Order/")?
        .parse()
        .ok()
}

async fn admin_graphql(
    State(shopify): State<ShopifyEmulator>,
    Path(version): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let version = if API_VERSIONS.contains(&version.as_str()) {
        version
    } else {
        API_VERSIONS[0].to_owned()
    };
    let reply = |status: StatusCode, body: Value| {
        (
            status,
            [("x-shopify-api-version", version.clone())],
            axum::Json(body),
        )
            .into_response()
    };
    {
        let mut shop = shopify.shop();
        if shop.unavailable > 0 {
            shop.unavailable -= 1;
            return reply(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "errors": "Service Unavailable" }),
            );
        }
    }
    if !shopify.authorized(&headers) {
        return reply(
            StatusCode::UNAUTHORIZED,
            json!({ "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)" }),
        );
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return reply(
            StatusCode::BAD_REQUEST,
            json!({ "errors": { "query": "Required parameter missing or invalid" } }),
        );
    };
    let Some(query) = request["query"].as_str() else {
        return reply(
            StatusCode::BAD_REQUEST,
            json!({ "errors": { "query": "Required parameter missing or invalid" } }),
        );
    };
    let document = match Document::parse(query) {
        Ok(document) => document,
        Err(message) => {
            return reply(
                StatusCode::OK,
                json!({ "errors": [{ "message": message,
                "extensions": { "code": "parseError" } }] }),
            );
        }
    };
    let variables = request
        .get("variables")
        .cloned()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    // Shopify's cost: 1 a query field, 10 a mutation.
    let cost = document.fields.len() as f64 * if document.mutation { 10.0 } else { 1.0 };
    let throttle = {
        let mut shop = shopify.shop();
        shop.bucket.refill();
        if cost > shop.bucket.available {
            shop.throttled += 1;
            Some(shop.bucket.status())
        } else {
            shop.bucket.available -= cost;
            None
        }
    };
    if let Some(status) = throttle {
        return reply(
            StatusCode::OK,
            json!({
                "errors": [{ "message": "Throttled", "extensions": { "code": "THROTTLED",
                    "documentation": "https://shopify.dev/api/usage/rate-limits" } }],
                "extensions": { "cost": { "requestedQueryCost": cost, "actualQueryCost": null,
                    "throttleStatus": status } },
            }),
        );
    }
    let (data, errors) = shopify.execute(&document, &variables);
    let status = shopify.shop().bucket.status();
    let mut answer = json!({ "extensions": { "cost": { "requestedQueryCost": cost,
        "actualQueryCost": cost, "throttleStatus": status } } });
    if errors.is_empty() {
        answer["data"] = Value::Object(data);
    } else {
        answer["errors"] = Value::Array(errors);
    }
    reply(StatusCode::OK, answer)
}

/// A GraphQL document, as far as the emulator reads it: query or mutation, and its root fields.
#[derive(Debug)]
struct Document {
    mutation: bool,
    fields: Vec<Field>,
}

#[derive(Debug)]
struct Field {
    alias: Option<String>,
    name: String,
    /// The arguments' source text, between the parentheses.
    arguments: String,
}

impl Field {
    fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }

    /// Argument `name`: a variable's value, or a string, number, boolean or enum literal.
    fn argument(&self, name: &str, variables: &Value) -> Option<Value> {
        let mut rest = self.arguments.as_str();
        while let Some(at) = rest.find(name) {
            let before = rest[..at].chars().next_back();
            let after = rest[at + name.len()..].trim_start();
            rest = &rest[at + name.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            let Some(value) = after.strip_prefix(':') else {
                continue;
            };
            let value = value.trim_start();
            if let Some(variable) = value.strip_prefix('$') {
                let end = variable
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(variable.len());
                return variables.get(&variable[..end]).cloned();
            }
            if let Some(text) = value.strip_prefix('"') {
                return text
                    .find('"')
                    .map(|end| Value::String(text[..end].to_owned()));
            }
            let end = value
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '-'))
                .unwrap_or(value.len());
            return Some(match &value[..end] {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                literal => serde_json::from_str(literal)
                    .unwrap_or_else(|_| Value::String(literal.to_owned())),
            });
        }
        None
    }
}

impl Document {
    fn parse(source: &str) -> Result<Document, String> {
        let text = source.trim_start();
        let mutation = text.starts_with("mutation");
        if !(mutation || text.starts_with("query") || text.starts_with('{')) {
            return Err("syntax error, unexpected start of document".into());
        }
        let open = text.find('{').ok_or("syntax error, expected {")?;
        let header = &text[..open];
        if header.contains("subscription") {
            return Err("subscriptions are not supported".into());
        }
        let body = &text[open + 1..];
        let mut fields: Vec<Field> = Vec::new();
        let mut chars = body.char_indices().peekable();
        let mut depth = 0usize;
        let mut word = String::new();
        let mut alias: Option<String> = None;
        let mut closed = false;
        while let Some((i, c)) = chars.next() {
            let in_word = c.is_alphanumeric() || c == '_';
            if depth == 0 && in_word {
                word.push(c);
                continue;
            }
            if depth == 0 && !word.is_empty() {
                let name = std::mem::take(&mut word);
                if c == ':' && alias.is_none() {
                    alias = Some(name);
                    continue;
                }
                fields.push(Field {
                    alias: alias.take(),
                    name,
                    arguments: String::new(),
                });
            }
            match c {
                // A comment, to the end of the line.
                '#' => {
                    for (_, s) in chars.by_ref() {
                        if s == '\n' {
                            break;
                        }
                    }
                }
                // Strings may hold braces: skipped as units.
                '"' => {
                    let mut escaped = false;
                    for (_, s) in chars.by_ref() {
                        if s == '"' && !escaped {
                            break;
                        }
                        escaped = s == '\\' && !escaped;
                    }
                }
                ':' if depth == 0 => {
                    // "alias :" with a space before the colon.
                    if let Some(last) = fields.pop() {
                        if alias.is_some() || last.alias.is_some() {
                            return Err("syntax error, unexpected ':'".into());
                        }
                        alias = Some(last.name);
                    }
                }
                '(' if depth == 0 => {
                    let start = i + 1;
                    let mut nested = 1;
                    let mut end = body.len();
                    for (j, p) in chars.by_ref() {
                        match p {
                            '(' => nested += 1,
                            ')' => nested -= 1,
                            _ => {}
                        }
                        if nested == 0 {
                            end = j;
                            break;
                        }
                    }
                    match fields.last_mut() {
                        Some(field) if field.arguments.is_empty() => {
                            field.arguments = body[start..end].to_owned();
                        }
                        _ => return Err("syntax error, unexpected '('".into()),
                    }
                }
                '{' => depth += 1,
                '}' if depth == 0 => {
                    closed = true;
                    break;
                }
                '}' => depth -= 1,
                _ => {}
            }
        }
        if !word.is_empty() {
            return Err("syntax error, unexpected end of document".into());
        }
        if !closed || alias.is_some() || fields.is_empty() {
            return Err("syntax error, unexpected end of document".into());
        }
        Ok(Document { mutation, fields })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_read_down_to_their_root_fields() {
        let doc = Document::parse(
            "mutation M($input: OrderInput!) { # a comment {\n a: orderUpdate(input: $input) { order { id } userErrors { field message } }\n orderCancel(orderId: \"gid://shopify/Order/3\", reason: DECLINED, staffNote: \"}{\") { job { id } } }",
        )
        .unwrap();
        assert!(doc.mutation);
        assert_eq!(doc.fields.len(), 2);
        assert_eq!(
            (doc.fields[0].key(), doc.fields[0].name.as_str()),
            ("a", "orderUpdate")
        );
        let vars = json!({ "input": { "id": "gid://shopify/Order/1" } });
        assert_eq!(
            doc.fields[0].argument("input", &vars),
            Some(vars["input"].clone())
        );
        assert_eq!(
            doc.fields[1].argument("orderId", &vars),
            Some(json!("gid://shopify/Order/3"))
        );
        assert_eq!(
            doc.fields[1].argument("reason", &vars),
            Some(json!("DECLINED"))
        );
        assert_eq!(
            doc.fields[1].argument("staffNote", &vars),
            Some(json!("}{"))
        );
        let query = Document::parse("{ shop { name } }").unwrap();
        assert!(!query.mutation);
        assert_eq!(query.fields[0].name, "shop");
        for bad in ["", "{ order(id: 1) {", "fragment X on Order { id }", "{ }"] {
            assert!(Document::parse(bad).is_err(), "{bad}");
        }
    }
}
