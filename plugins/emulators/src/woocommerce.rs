//! WooCommerce's REST API v3, as far as a payment gateway uses it: `GET`/`PUT`
//! `/wp-json/wc/v3/orders/{id}` and `GET`/`POST .../orders/{id}/notes`.
//!
//! Authentication as `WC_REST_Authentication` does it: HTTP Basic with the consumer key and secret
//! only over HTTPS (the emulator is told whether it stands behind TLS); over plain HTTP, one-legged
//! OAuth 1.0a in the query string, HMAC-SHA1 or HMAC-SHA256, timestamps at most 15 minutes old,
//! each nonce once. `set_paid` runs `payment_complete()` after the status is set, and only on an
//! order that then needs payment (pending or failed), as WooCommerce's REST controller does.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use subtle::ConstantTimeEq as _;

/// An order in the emulated shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// Status word.
    pub status: String,
    /// Currency.
    pub currency: String,
    /// Total, decimal string.
    pub total: String,
    /// Set by `payment_complete()`.
    pub transaction_id: String,
    /// Set by `payment_complete()`.
    pub date_paid: Option<String>,
    /// Notes, oldest first.
    pub notes: Vec<String>,
}

#[derive(Debug, Default)]
struct Shop {
    orders: BTreeMap<u64, Order>,
    nonces: HashSet<String>,
    /// Requests still to answer with 503 (the shop "down for a while").
    unavailable: u32,
    /// Every write, for tests: (order id, what).
    writes: Vec<(u64, String)>,
}

/// The emulated shop. Cheap to clone.
#[derive(Debug, Clone)]
pub struct WooEmulator {
    shop: Arc<Mutex<Shop>>,
    consumer_key: String,
    consumer_secret: String,
    tls: bool,
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(
            json!({ "code": code, "message": message, "data": { "status": status.as_u16() } }),
        ),
    )
        .into_response()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl WooEmulator {
    /// A shop with one API key. `tls`: whether it pretends to be served over HTTPS (then Basic
    /// authentication is accepted, as WooCommerce does behind TLS).
    pub fn new(consumer_key: &str, consumer_secret: &str, tls: bool) -> Self {
        Self {
            shop: Arc::default(),
            consumer_key: consumer_key.into(),
            consumer_secret: consumer_secret.into(),
            tls,
        }
    }

    fn shop(&self) -> std::sync::MutexGuard<'_, Shop> {
        self.shop
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds order `id` in `status`.
    pub fn add_order(&self, id: u64, status: &str, total: &str, currency: &str) {
        self.shop().orders.insert(
            id,
            Order {
                status: status.into(),
                currency: currency.into(),
                total: total.into(),
                transaction_id: String::new(),
                date_paid: None,
                notes: Vec::new(),
            },
        );
    }

    /// Order `id` as it stands.
    pub fn order(&self, id: u64) -> Option<Order> {
        self.shop().orders.get(&id).cloned()
    }

    /// Changes an order's status as the merchant would in the admin.
    pub fn set_status(&self, id: u64, status: &str) {
        if let Some(order) = self.shop().orders.get_mut(&id) {
            order.status = status.into();
        }
    }

    /// The next `count` requests get a 503, as from a shop that is down.
    pub fn go_down_for(&self, count: u32) {
        self.shop().unavailable = count;
    }

    /// Every write so far: (order id, what changed).
    pub fn writes(&self) -> Vec<(u64, String)> {
        self.shop().writes.clone()
    }

    /// The API's routes.
    pub fn router(&self) -> Router {
        Router::new()
            .route(
                "/wp-json/wc/v3/orders/{id}",
                get(read_order).put(update_order).post(update_order),
            )
            .route(
                "/wp-json/wc/v3/orders/{id}/notes",
                get(list_notes).post(add_note),
            )
            .with_state(self.clone())
    }

    /// Checks the request's credentials as WooCommerce does; the error response if they fail.
    fn authenticate(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        query: &[(String, String)],
    ) -> Result<(), Box<Response>> {
        let denied = |message: &str| {
            Box::new(error(
                StatusCode::UNAUTHORIZED,
                "woocommerce_rest_authentication_error",
                message,
            ))
        };
        if self.tls
            && let Some(basic) = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Basic "))
        {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(basic.trim())
                .ok()
                .and_then(|d| String::from_utf8(d).ok())
                .unwrap_or_default();
            let (key, secret) = decoded.split_once(':').unwrap_or_default();
            return if key == self.consumer_key
                && bool::from(secret.as_bytes().ct_eq(self.consumer_secret.as_bytes()))
            {
                Ok(())
            } else {
                Err(denied("Consumer secret is invalid."))
            };
        }
        let param = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        // Over plain HTTP, Basic credentials are not even looked at: nobody is logged in.
        let Some(key) = param("oauth_consumer_key") else {
            return Err(Box::new(error(
                StatusCode::UNAUTHORIZED,
                "woocommerce_rest_cannot_view",
                "Sorry, you cannot view this resource.",
            )));
        };
        for required in [
            "oauth_timestamp",
            "oauth_nonce",
            "oauth_signature",
            "oauth_signature_method",
        ] {
            if param(required).is_none() {
                return Err(Box::new(error(
                    StatusCode::UNAUTHORIZED,
                    "woocommerce_rest_authentication_missing_parameter",
                    &format!("Missing OAuth parameter {required}"),
                )));
            }
        }
        if key != self.consumer_key {
            return Err(denied("Consumer key is invalid."));
        }
        let method_name = param("oauth_signature_method").unwrap_or_default();
        if method_name != "HMAC-SHA256" && method_name != "HMAC-SHA1" {
            return Err(denied("Invalid signature - signature method is invalid."));
        }
        let host = headers
            .get("host")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("localhost");
        let url = format!("http://{host}{}", uri.path());
        let expected = if method_name == "HMAC-SHA256" {
            woocommerce_signature(method.as_str(), &url, query, &self.consumer_secret)
        } else {
            // The shim never signs with SHA-1; the emulator refuses what it cannot check.
            return Err(denied("Invalid signature - signature method is invalid."));
        };
        let given = param("oauth_signature")
            .unwrap_or_default()
            .replace(' ', "+");
        if !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
            return Err(denied(
                "Invalid signature - provided signature does not match.",
            ));
        }
        let timestamp: i64 = param("oauth_timestamp")
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        if timestamp < now() - 15 * 60 {
            return Err(denied("Invalid timestamp."));
        }
        let nonce = param("oauth_nonce").unwrap_or_default();
        if !self.shop().nonces.insert(format!("{key}:{nonce}")) {
            return Err(denied("Invalid nonce - nonce has already been used."));
        }
        Ok(())
    }

    /// The checks every request goes through: availability, then credentials.
    fn admit(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        query: &[(String, String)],
    ) -> Result<(), Box<Response>> {
        {
            let mut shop = self.shop();
            if shop.unavailable > 0 {
                shop.unavailable -= 1;
                return Err(Box::new(StatusCode::SERVICE_UNAVAILABLE.into_response()));
            }
        }
        self.authenticate(method, uri, headers, query)
    }
}

fn invalid_id() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "woocommerce_rest_shop_order_invalid_id",
        "Invalid ID.",
    )
}

fn order_json(id: u64, order: &Order) -> Value {
    json!({
        "id": id, "status": order.status, "currency": order.currency, "total": order.total,
        "transaction_id": order.transaction_id, "date_paid": order.date_paid,
        "needs_payment": needs_payment(&order.status),
    })
}

fn needs_payment(status: &str) -> bool {
    matches!(status, "pending" | "failed")
}

/// A request that got through [`WooEmulator::admit`]; otherwise the shop's answer to it.
struct Admitted;

impl FromRequestParts<WooEmulator> for Admitted {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, shop: &WooEmulator) -> Result<Self, Response> {
        let Query(query) = Query::<Vec<(String, String)>>::from_request_parts(parts, shop)
            .await
            .map_err(IntoResponse::into_response)?;
        shop.admit(&parts.method, &parts.uri, &parts.headers, &query)
            .map_err(|denied| *denied)?;
        Ok(Admitted)
    }
}

async fn read_order(State(shop): State<WooEmulator>, Path(id): Path<u64>, _: Admitted) -> Response {
    match shop.order(id) {
        Some(order) => axum::Json(order_json(id, &order)).into_response(),
        None => invalid_id(),
    }
}

async fn update_order(
    State(shop): State<WooEmulator>,
    Path(id): Path<u64>,
    _: Admitted,
    body: Bytes,
) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "rest_invalid_json",
            "Invalid JSON body passed.",
        );
    };
    let mut guard = shop.shop();
    let Shop { orders, writes, .. } = &mut *guard;
    let Some(order) = orders.get_mut(&id) else {
        return invalid_id();
    };
    if let Some(status) = request.get("status").and_then(Value::as_str)
        && status != order.status
    {
        writes.push((id, format!("status {} -> {status}", order.status)));
        order.notes.push(format!(
            "Order status changed from {} to {status}.",
            order.status
        ));
        order.status = status.to_owned();
    }
    if request.get("set_paid").and_then(Value::as_bool) == Some(true) {
        // The REST controller (`WC_REST_Orders_V2_Controller::save_object`) sets the status and
        // saves first, then calls payment_complete() only `if ( $creating ||
        // $object->needs_payment() )`: pending or failed. An on-hold order stays on hold.
        if needs_payment(&order.status) {
            order.transaction_id = request
                .get("transaction_id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            order.date_paid = Some(now().to_string());
            writes.push((id, format!("paid {} -> processing", order.status)));
            order.notes.push(format!(
                "Order status changed from {} to processing.",
                order.status
            ));
            order.status = "processing".into();
        }
    }
    axum::Json(order_json(id, order)).into_response()
}

async fn list_notes(State(shop): State<WooEmulator>, Path(id): Path<u64>, _: Admitted) -> Response {
    match shop.order(id) {
        Some(order) => axum::Json(
            order
                .notes
                .iter()
                .enumerate()
                .rev()
                .map(|(i, note)| json!({ "id": i + 1, "note": note, "customer_note": false }))
                .collect::<Vec<_>>(),
        )
        .into_response(),
        None => invalid_id(),
    }
}

async fn add_note(
    State(shop): State<WooEmulator>,
    Path(id): Path<u64>,
    _: Admitted,
    body: Bytes,
) -> Response {
    let note = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("note").and_then(Value::as_str).map(str::to_owned));
    let Some(note) = note.filter(|n| !n.is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "woocommerce_rest_missing_note",
            "Missing note.",
        );
    };
    let mut guard = shop.shop();
    let Shop { orders, writes, .. } = &mut *guard;
    let Some(order) = orders.get_mut(&id) else {
        return invalid_id();
    };
    order.notes.push(note.clone());
    writes.push((id, format!("note: {note}")));
    (
        StatusCode::CREATED,
        axum::Json(json!({ "id": order.notes.len(), "note": note, "customer_note": false })),
    )
        .into_response()
}

/// A WooCommerce shop with our plugin, as the adapter meets it through the plugin's route: the
/// plugin's REAL route (`?wc-api=crypto_checkout`), served by PHP's built-in server over stubs of
/// WordPress and WooCommerce that keep WooCommerce's rules for what the route calls
/// (`plugins/woocommerce/tests/server/`). Orders, options and nonces live in a JSON state file,
/// which the tests read and edit under the same lock as the router.
#[derive(Debug)]
pub struct WooShop {
    php: crate::php::PhpShop,
}

impl WooShop {
    /// A shop whose plugin shares `secret` with the shim, and has no orders.
    ///
    /// # Panics
    /// When PHP is missing or the server does not start within 10 s (a test's setup failing).
    pub fn start(secret: &str) -> WooShop {
        let initial = json!({
            "options": { "crypto_checkout_shared_secret": secret },
            "orders": {},
            "writes": [],
            "log": [],
            "down": 0,
        });
        WooShop {
            php: crate::php::PhpShop::start(
                "woocommerce",
                "woocommerce/tests/server/router.php",
                "WOO_STATE",
                &[],
                &initial,
            ),
        }
    }

    /// WordPress's home URL, as the adapter's `site`.
    pub fn site(&self) -> &str {
        self.php.site()
    }

    /// Adds an order paid with the plugin's gateway, of physical goods (paid means processing).
    pub fn add_order(&self, id: u64, status: &str, total: &str, currency: &str) {
        self.php.edit(|state| {
            state["orders"][id.to_string()] = json!({ "status": status, "total": total,
                "currency": currency, "payment_method": "crypto_checkout",
                "needs_processing": true, "meta": {}, "notes": [], "transaction_id": "",
                "date_paid": null, "stock_reduced": false, "mails": [] });
        });
    }

    /// An order as WooCommerce stores it (`status`, `notes`, `transaction_id`, `date_paid`,
    /// `stock_reduced`, `mails`, ...), or `Null`.
    pub fn order(&self, id: u64) -> Value {
        self.php.edit(|_| ())["orders"][id.to_string()].clone()
    }

    /// What the merchant does in the admin: a new status, without a note.
    pub fn set_status(&self, id: u64, status: &str) {
        self.php.edit(|state| {
            state["orders"][id.to_string()]["status"] = json!(status);
        });
    }

    /// The plugin's "Status of underpaid orders" setting.
    pub fn set_underpaid_status(&self, status: &str) {
        self.php.edit(|state| {
            state["options"]["woocommerce_crypto_checkout_settings"]["underpaid_status"] =
                json!(status);
        });
    }

    /// The site answers `503` to the next `count` requests.
    pub fn go_down_for(&self, count: u32) {
        self.php.edit(|state| state["down"] = json!(count));
    }

    /// Status changes written so far: `(order, "pending -> processing")`.
    pub fn writes(&self) -> Vec<(u64, String)> {
        self.php.edit(|_| ())["writes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|w| Some((w[0].as_u64()?, w[1].as_str()?.to_owned())))
            .collect()
    }

    /// What the plugin wrote to WooCommerce's log.
    pub fn log(&self) -> Vec<String> {
        self.php.strings("log")
    }
}

/// WooCommerce's own OAuth 1.0a signature (`WC_REST_Authentication::check_oauth_signature`, with
/// `join_with_equals_sign`, `normalize_parameters` and `wc_rest_urlencode_rfc3986`), written here
/// from WooCommerce's PHP and apart from the adapter's signing code, so that a signing bug in the
/// adapter fails against the emulator: parameters but the signature sorted by key (`strcmp`),
/// keys and values encoded, each `key=value` encoded again, joined with `%26`, after the method
/// and the encoded URL; HMAC-SHA256 under `consumer_secret&`, base64.
fn woocommerce_signature(
    method: &str,
    url: &str,
    params: &[(String, String)],
    consumer_secret: &str,
) -> String {
    use base64::Engine as _;
    use hmac::{KeyInit as _, Mac as _};
    // PHP's rawurlencode (RFC 3986: all but letters, digits and `-_.~`), then WooCommerce's
    // `+` → space and `%7E` → `~`, which rawurlencode never produces.
    fn php_rawurlencode(text: &str) -> String {
        let mut out = String::with_capacity(text.len() * 3);
        for byte in text.bytes() {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
                out.push(char::from(byte));
            } else {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
        out
    }
    // A PHP array: one value per key, the last one given.
    let mut by_key: std::collections::BTreeMap<&[u8], (&str, &str)> = Default::default();
    for (key, value) in params.iter().filter(|(k, _)| k != "oauth_signature") {
        by_key.insert(key.as_bytes(), (key, value));
    }
    let joined: Vec<String> = by_key
        .values()
        .map(|(key, value)| {
            php_rawurlencode(&format!(
                "{}={}",
                php_rawurlencode(key),
                php_rawurlencode(value)
            ))
        })
        .collect();
    let base = format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        php_rawurlencode(url),
        joined.join("%26")
    );
    let Ok(mut mac) =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(format!("{consumer_secret}&").as_bytes())
    else {
        return String::new();
    };
    mac.update(base.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod signature_tests {
    use super::woocommerce_signature;

    #[test]
    fn the_signature_is_woocommerces_own() {
        // Printed by WooCommerce's PHP (plugins/tests/woocommerce_oauth.php) for these parameters.
        let params: Vec<(String, String)> = [
            ("oauth_consumer_key", "ck_s"),
            ("oauth_nonce", "n0nce"),
            ("oauth_signature_method", "HMAC-SHA256"),
            ("oauth_timestamp", "1700000000"),
            ("include", "1,2"),
            ("search", "a b+c~d/é"),
            ("oauth_signature", "ignored"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        assert_eq!(
            woocommerce_signature(
                "get",
                "http://127.0.0.1:8081/wp-json/wc/v3/orders/42",
                &params,
                "cs_s"
            ),
            "tBv4VLJc8gYbU7vQvh5tl2q3x/Ty6wk/gzCqJ5tX708="
        );
    }
}
