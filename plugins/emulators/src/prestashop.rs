//! PrestaShop's Webservice, as far as a payment module's backend uses it: `GET /api/orders/{id}`
//! and `/api/currencies/{id}` (XML, or JSON with `output_format=JSON`), `POST /api/order_histories`
//! and `POST /api/messages` (XML).
//!
//! As PrestaShop: the key is the HTTP Basic user name (or `ws_key`), a wrong or missing key is a
//! `401` with an empty body and a `WWW-Authenticate` challenge; every answer carries
//! `PSWS-Version`; an order history is NOT idempotent: every post adds a row, moves the order and,
//! with `sendemail=1`, mails the customer; when that mail cannot be sent, the answer is a `500`
//! "Unable to save resource" although the row and the state are saved. `POST /api/messages`
//! writes the legacy `message` table, which PrestaShop 8's order page never shows.
//!
//! [`PrestaModuleShop`] is the other way in: the module's own route, run by PHP over stubs.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use subtle::ConstantTimeEq as _;

/// The Webservice version the emulator announces.
pub const PSWS_VERSION: &str = "1.7.8.11";

/// An order in the emulated shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// The current state's id.
    pub current_state: u32,
    /// Total paid, taxes included.
    pub total: String,
    /// The currency's id.
    pub id_currency: u32,
    /// Every state it went through, oldest first (the order history).
    pub history: Vec<u32>,
    /// Private messages in the legacy `message` table (the Webservice's `messages`): PrestaShop
    /// 8's order page does not show them.
    pub messages: Vec<String>,
    /// Mails sent to the customer.
    pub mails: u32,
}

#[derive(Debug, Default)]
struct Shop {
    orders: BTreeMap<u64, Order>,
    currencies: HashMap<u32, String>,
    unavailable: u32,
    mail_fails: bool,
}

/// The emulated shop. Cheap to clone.
#[derive(Debug, Clone)]
pub struct PrestaEmulator {
    shop: Arc<Mutex<Shop>>,
    key: String,
}

impl PrestaEmulator {
    /// A shop whose Webservice accepts `key`, with EUR (id 1) and USD (id 2).
    pub fn new(key: &str) -> Self {
        let shop = Shop {
            currencies: HashMap::from([(1, "EUR".to_owned()), (2, "USD".to_owned())]),
            ..Shop::default()
        };
        Self {
            shop: Arc::new(Mutex::new(shop)),
            key: key.into(),
        }
    }

    fn shop(&self) -> std::sync::MutexGuard<'_, Shop> {
        self.shop
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds order `id` in state `state`.
    pub fn add_order(&self, id: u64, state: u32, total: &str, id_currency: u32) {
        self.shop().orders.insert(
            id,
            Order {
                current_state: state,
                total: total.into(),
                id_currency,
                history: vec![state],
                messages: Vec::new(),
                mails: 0,
            },
        );
    }

    /// Order `id` as it stands.
    pub fn order(&self, id: u64) -> Option<Order> {
        self.shop().orders.get(&id).cloned()
    }

    /// Moves an order as the merchant would in the back office.
    pub fn set_state(&self, id: u64, state: u32) {
        if let Some(order) = self.shop().orders.get_mut(&id) {
            order.current_state = state;
            order.history.push(state);
        }
    }

    /// The next `count` requests get a 503.
    pub fn go_down_for(&self, count: u32) {
        self.shop().unavailable = count;
    }

    /// Every mail from now on fails (a shop whose mail server is down), or works again.
    pub fn fail_mail(&self, fails: bool) {
        self.shop().mail_fails = fails;
    }

    /// The Webservice's routes.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/api/orders/{id}", get(read_order))
            .route("/api/currencies/{id}", get(read_currency))
            .route("/api/order_histories", post(add_history))
            .route("/api/messages", post(add_message))
            .with_state(self.clone())
    }

    fn admit(
        &self,
        headers: &HeaderMap,
        query: &HashMap<String, String>,
    ) -> Result<(), Box<Response>> {
        {
            let mut shop = self.shop();
            if shop.unavailable > 0 {
                shop.unavailable -= 1;
                return Err(Box::new(answer(
                    StatusCode::SERVICE_UNAVAILABLE,
                    None,
                    String::new(),
                )));
            }
        }
        let from_basic = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            })
            .and_then(|d| String::from_utf8(d).ok())
            .map(|d| d.split(':').next().unwrap_or_default().to_owned());
        let given = from_basic.or_else(|| query.get("ws_key").cloned());
        match given {
            Some(key) if bool::from(key.as_bytes().ct_eq(self.key.as_bytes())) => Ok(()),
            _ => {
                let mut response = answer(StatusCode::UNAUTHORIZED, None, String::new());
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static(
                        "Basic realm=\"Welcome to PrestaShop Webservice, please enter the authentication key as the login. No password required.\"",
                    ),
                );
                Err(Box::new(response))
            }
        }
    }
}

/// A response with PrestaShop's headers; `json`: `Some(true)` JSON, `Some(false)` XML.
fn answer(status: StatusCode, json: Option<bool>, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        "psws-version",
        header::HeaderValue::from_static(PSWS_VERSION),
    );
    if let Some(json) = json {
        headers.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static(if json {
                "application/json;charset=utf-8"
            } else {
                "text/xml;charset=utf-8"
            }),
        );
    }
    response
}

fn xml_error(status: StatusCode, code: u32, message: &str) -> Response {
    answer(
        status,
        Some(false),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<prestashop xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n\
             <errors>\n<error>\n<code><![CDATA[{code}]]></code>\n<message><![CDATA[{message}]]></message>\n\
             </error>\n</errors>\n</prestashop>\n"
        ),
    )
}

fn wants_json(query: &HashMap<String, String>) -> bool {
    query
        .get("output_format")
        .is_some_and(|f| f.eq_ignore_ascii_case("json"))
}

/// A resource as PrestaShop writes it: XML with CDATA, or JSON.
fn resource(kind: &str, fields: &[(&str, String)], json: bool) -> String {
    if json {
        let object: serde_json::Map<String, serde_json::Value> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(v.as_str())))
            .collect();
        return serde_json::json!({ kind: object }).to_string();
    }
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<prestashop xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n<{kind}>\n"
    );
    for (k, v) in fields {
        xml.push_str(&format!("\t<{k}><![CDATA[{v}]]></{k}>\n"));
    }
    xml.push_str(&format!("</{kind}>\n</prestashop>\n"));
    xml
}

/// The text of `<tag>` in `xml`, CDATA or not (enough for the bodies a module posts).
fn field(xml: &str, tag: &str) -> Option<String> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    let text = xml[start..end].trim();
    let text = text
        .strip_prefix("<![CDATA[")
        .and_then(|t| t.strip_suffix("]]>"))
        .unwrap_or(text);
    Some(
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&amp;", "&"),
    )
}

/// The query of a request that got through [`PrestaEmulator::admit`]; otherwise the shop's
/// answer to it.
struct Admitted(HashMap<String, String>);

impl FromRequestParts<PrestaEmulator> for Admitted {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        shop: &PrestaEmulator,
    ) -> Result<Self, Response> {
        let Query(query) = Query::<HashMap<String, String>>::from_request_parts(parts, shop)
            .await
            .map_err(IntoResponse::into_response)?;
        shop.admit(&parts.headers, &query)
            .map_err(|denied| *denied)?;
        Ok(Admitted(query))
    }
}

/// PrestaShop's answer to an id it does not have.
fn not_exists(id: impl std::fmt::Display) -> Response {
    xml_error(
        StatusCode::NOT_FOUND,
        87,
        &format!("Id(s) not exists: {id}"),
    )
}

async fn read_order(
    State(shop): State<PrestaEmulator>,
    Path(id): Path<String>,
    Admitted(query): Admitted,
) -> Response {
    let json = wants_json(&query);
    let Some((id, order)) = id
        .parse::<u64>()
        .ok()
        .and_then(|id| shop.order(id).map(|o| (id, o)))
    else {
        return not_exists(id);
    };
    let fields = [
        ("id", id.to_string()),
        ("id_currency", order.id_currency.to_string()),
        ("current_state", order.current_state.to_string()),
        ("module", "cryptocheckout".to_owned()),
        ("total_paid_tax_incl", order.total.clone()),
        ("reference", format!("REF{id:06}")),
    ];
    answer(StatusCode::OK, Some(json), resource("order", &fields, json))
}

async fn read_currency(
    State(shop): State<PrestaEmulator>,
    Path(id): Path<u32>,
    Admitted(query): Admitted,
) -> Response {
    let json = wants_json(&query);
    let Some(code) = shop.shop().currencies.get(&id).cloned() else {
        return not_exists(id);
    };
    let fields = [("id", id.to_string()), ("iso_code", code)];
    answer(
        StatusCode::OK,
        Some(json),
        resource("currency", &fields, json),
    )
}

async fn add_history(
    State(shop): State<PrestaEmulator>,
    Admitted(query): Admitted,
    body: Bytes,
) -> Response {
    let xml = String::from_utf8_lossy(&body);
    let (Some(order_id), Some(state)) = (
        field(&xml, "id_order").and_then(|v| v.parse::<u64>().ok()),
        field(&xml, "id_order_state").and_then(|v| v.parse::<u32>().ok()),
    ) else {
        return xml_error(
            StatusCode::BAD_REQUEST,
            41,
            "parameter \"id_order\" and \"id_order_state\" required",
        );
    };
    let mail = query.get("sendemail").is_some_and(|v| v == "1");
    let mut guard = shop.shop();
    let mail_fails = guard.mail_fails;
    let Some(order) = guard.orders.get_mut(&order_id) else {
        return xml_error(StatusCode::BAD_REQUEST, 89, "id_order is not valid");
    };
    // Not idempotent, as the real thing: a row, a state change and maybe a mail every time.
    order.current_state = state;
    order.history.push(state);
    if mail && mail_fails {
        // OrderHistory::addWithemail() answers false once the row is saved and the mail fails;
        // the Webservice turns that into a 500.
        return xml_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            46,
            "Unable to save resource",
        );
    }
    if mail {
        order.mails += 1;
    }
    let row = order.history.len();
    let fields = [
        ("id", row.to_string()),
        ("id_order", order_id.to_string()),
        ("id_order_state", state.to_string()),
    ];
    answer(
        StatusCode::CREATED,
        Some(false),
        resource("order_history", &fields, false),
    )
}

async fn add_message(State(shop): State<PrestaEmulator>, _: Admitted, body: Bytes) -> Response {
    let xml = String::from_utf8_lossy(&body);
    let order_id = field(&xml, "id_order").and_then(|v| v.parse::<u64>().ok());
    // The outer <message> holds an inner <message>: the text is the innermost one.
    let text = xml
        .find("<message>")
        .and_then(|outer| field(&xml[outer + "<message>".len()..], "message"));
    let (Some(order_id), Some(text)) = (order_id, text.filter(|t| !t.is_empty())) else {
        return xml_error(
            StatusCode::BAD_REQUEST,
            41,
            "parameter \"id_order\" and \"message\" required",
        );
    };
    let mut guard = shop.shop();
    let Some(order) = guard.orders.get_mut(&order_id) else {
        return xml_error(StatusCode::BAD_REQUEST, 89, "id_order is not valid");
    };
    order.messages.push(text.clone());
    let fields = [
        ("id", order.messages.len().to_string()),
        ("id_order", order_id.to_string()),
        ("message", text),
        ("private", "1".to_owned()),
    ];
    answer(
        StatusCode::CREATED,
        Some(false),
        resource("message", &fields, false),
    )
}

/// A PrestaShop shop with our module, as the adapter meets it through the module's route: the
/// module's REAL route (`index.php?fc=module&module=cryptocheckout&controller=shim`), served by
/// PHP's built-in server over stubs of PrestaShop that keep its rules for what the route calls
/// (`plugins/prestashop/tests/server/`): order histories, the payment recorded by a paid state,
/// mails that can fail after the state is saved, and notes that the order page only shows from
/// customer threads.
#[derive(Debug)]
pub struct PrestaModuleShop {
    php: crate::php::PhpShop,
}

/// The module's own states in these shops: awaiting, confirming, underpaid.
pub const MODULE_STATES: (u32, u32, u32) = (14, 15, 16);

impl PrestaModuleShop {
    /// A shop whose module shares `secret` with the shim, with PrestaShop's default states and
    /// one customer (7) paying in USD (currency 1), and no orders.
    pub fn start(secret: &str) -> PrestaModuleShop {
        let (awaiting, confirming, underpaid) = MODULE_STATES;
        let initial = json!({
            // Employee 1 connected the shop: the notes are written in their name.
            "config": { "CRYPTOCHECKOUT_SHARED_SECRET": secret, "CRYPTOCHECKOUT_EMPLOYEE": 1,
                "CRYPTOCHECKOUT_OS_AWAITING": awaiting, "CRYPTOCHECKOUT_OS_CONFIRMING": confirming,
                "CRYPTOCHECKOUT_OS_UNDERPAID": underpaid, "PS_OS_PAYMENT": 2, "PS_OS_CANCELED": 6,
                "PS_OS_ERROR": 8, "PS_OS_REFUND": 7 },
            // PrestaShop's installed states: 2 Payment accepted, 3 Processing in progress,
            // 4 Shipped, 5 Delivered, 6 Canceled, 7 Refunded, 8 Payment error; and the module's.
            "states": { "2": { "paid": 1, "send_email": 1 }, "3": { "paid": 1, "send_email": 1 },
                "4": { "paid": 1, "send_email": 1 }, "5": { "paid": 1, "send_email": 1 },
                "6": { "send_email": 1 }, "7": { "paid": 1, "send_email": 1 },
                "8": { "send_email": 1 }, awaiting.to_string(): {}, confirming.to_string(): {},
                underpaid.to_string(): {} },
            "orders": {}, "customers": { "7": "payer@example.com" },
            "currencies": { "1": { "iso_code": "USD", "precision": 2 },
                "2": { "iso_code": "JPY", "precision": 0 } },
            "threads": [], "messages": [], "nonces": {}, "applied": [], "log": [],
            "mail_fails": false, "down": 0,
        });
        PrestaModuleShop {
            php: crate::php::PhpShop::start(
                "prestashop",
                "prestashop/tests/server/router.php",
                "PRESTA_STATE",
                &[],
                &initial,
            ),
        }
    }

    /// Where the shop's `index.php` is, as the adapter's `site`.
    pub fn site(&self) -> &str {
        self.php.site()
    }

    /// Adds an order of customer 7 in `state`, of `total` in currency `currency` (1: USD).
    pub fn add_order(&self, id: u64, state: u32, total: &str, currency: u32) {
        self.php.edit(|shop| {
            shop["orders"][id.to_string()] = json!({ "current_state": state,
                "total_paid_tax_incl": total, "id_currency": currency, "id_customer": 7,
                "reference": format!("REF{id:06}"), "history": [state], "payments": [],
                "mails": [] });
        });
    }

    /// An order (`current_state`, `history`, `payments`, `mails`...), or `Null`.
    pub fn order(&self, id: u64) -> Value {
        self.php.edit(|_| ())["orders"][id.to_string()].clone()
    }

    /// The notes the merchant reads on the order page: the private messages of its customer
    /// threads that an employee wrote (a message with no employee shows as the customer's).
    pub fn notes(&self, id: u64) -> Vec<String> {
        let shop = self.php.edit(|_| ());
        let threads: Vec<usize> = shop["threads"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .filter(|(_, t)| t["id_order"].as_u64() == Some(id))
            .map(|(i, _)| i + 1)
            .collect();
        shop["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| {
                m["id_customer_thread"]
                    .as_u64()
                    .is_some_and(|t| threads.contains(&(t as usize)))
                    && m["private"] == 1
                    && m["id_employee"].as_u64().is_some_and(|e| e > 0)
            })
            .filter_map(|m| m["message"].as_str().map(str::to_owned))
            .collect()
    }

    /// What the merchant does in the back office: a new state.
    pub fn set_state(&self, id: u64, state: u32) {
        self.php.edit(|shop| {
            let order = &mut shop["orders"][id.to_string()];
            order["current_state"] = json!(state);
            if let Some(history) = order["history"].as_array_mut() {
                history.push(json!(state));
            }
        });
    }

    /// Every mail from now on fails (a shop whose mail server is down), or works again.
    pub fn fail_mail(&self, fails: bool) {
        self.php.edit(|shop| shop["mail_fails"] = json!(fails));
    }

    /// The shop answers `503` to the next `count` requests.
    pub fn go_down_for(&self, count: u32) {
        self.php.edit(|shop| shop["down"] = json!(count));
    }

    /// What the module wrote to PrestaShop's log.
    pub fn log(&self) -> Vec<String> {
        self.php.strings("log")
    }
}
