//! HTTP: the Cryptomus paths with their header checks, envelopes and error shapes, and the controls
//! under `/sandbox/` that play the payer.

use crate::ledger::{ControlError, Payment, PaymentKey};
use crate::{Sandbox, addresses, coins, ids};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use shim_gateway::PaymentStatus;
use shim_gateway::wire::{CryptomusSuccess, INVALID_SIGN};
use std::collections::BTreeMap;

/// Largest request body the sandbox reads.
const BODY_LIMIT: usize = 64 * 1024;

/// The sandbox's routes: Cryptomus paths plus controls. Mount at the root, or nest under a prefix
/// that is part of the gateway URL given to clients.
pub fn router(sandbox: Sandbox) -> Router {
    Router::new()
        .route("/v1/payment", post(create_payment))
        .route("/v1/payment/info", post(payment_info))
        .route("/sandbox/pay", post(control_pay))
        .route("/sandbox/confirm", post(control_confirm))
        .route("/sandbox/expire", post(control_expire))
        .route("/sandbox/advance", post(control_advance))
        .route("/sandbox/webhooks", get(webhook_log))
        .route("/sandbox/payments/{uuid}", get(payment_page))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(sandbox)
}

type Fields = Map<String, Value>;
type FieldErrors = BTreeMap<String, Vec<String>>;

fn success(result: impl serde::Serialize) -> Response {
    Json(CryptomusSuccess { state: 0, result }).into_response()
}

/// Every way the sandbox says no, in the gateway's shapes.
#[derive(Debug)]
enum Refusal {
    /// `{"message":"Invalid Sign."}`, 401.
    InvalidSign,
    /// A body that is not a JSON object.
    NotObject,
    /// Field validation, 422 `{"state":1,"errors":{...}}`.
    Invalid(FieldErrors),
    /// A control that cannot act on the payment.
    Control(ControlError),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let failure = |status: StatusCode, message: &str| {
            (status, Json(json!({ "state": 1, "message": message }))).into_response()
        };
        match self {
            Refusal::InvalidSign => (
                StatusCode::UNAUTHORIZED,
                Json(json!({ "message": INVALID_SIGN })),
            )
                .into_response(),
            Refusal::NotObject => failure(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The request body must be a JSON object",
            ),
            Refusal::Invalid(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({ "state": 1, "errors": errors })),
            )
                .into_response(),
            Refusal::Control(error) => {
                let status = match error {
                    ControlError::NotFound => StatusCode::NOT_FOUND,
                    ControlError::Final | ControlError::NotConfirming => StatusCode::CONFLICT,
                    ControlError::NoCoinChosen => StatusCode::UNPROCESSABLE_ENTITY,
                };
                failure(status, error.message())
            }
        }
    }
}

impl From<ControlError> for Refusal {
    fn from(error: ControlError) -> Self {
        Refusal::Control(error)
    }
}

/// The gateway's header check: the merchant uuid, and `sign` over the exact body bytes.
fn authenticate(sandbox: &Sandbox, headers: &HeaderMap, body: &[u8]) -> Result<(), Refusal> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let config = sandbox.config();
    let merchant_ok = header("merchant") == Some(config.merchant.as_str());
    let sign_ok =
        header("sign").is_some_and(|s| shim_gateway::sign::verify(body, s, &config.payment_key));
    if merchant_ok && sign_ok {
        Ok(())
    } else {
        Err(Refusal::InvalidSign)
    }
}

fn object(body: &[u8]) -> Result<Fields, Refusal> {
    serde_json::from_slice::<Fields>(body).map_err(|_| Refusal::NotObject)
}

/// Collects per-field problems the way the gateway reports them.
#[derive(Default)]
struct Check {
    errors: FieldErrors,
}

impl Check {
    fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors
            .entry(field.to_owned())
            .or_default()
            .push(message.into());
    }

    fn string(
        &mut self,
        fields: &Fields,
        name: &str,
        required: bool,
        max: usize,
    ) -> Option<String> {
        match fields.get(name) {
            None | Some(Value::Null) => {
                if required {
                    self.fail(
                        name,
                        format!("The {} field is required.", name.replace('_', " ")),
                    );
                }
                None
            }
            Some(Value::String(s)) if s.chars().count() <= max => Some(s.clone()),
            Some(Value::String(_)) => {
                self.fail(
                    name,
                    format!(
                        "The {} may not be greater than {max} characters.",
                        name.replace('_', " ")
                    ),
                );
                None
            }
            Some(_) => {
                self.fail(
                    name,
                    format!("The {} must be a string.", name.replace('_', " ")),
                );
                None
            }
        }
    }

    /// A positive decimal given as a string or a JSON number: digits, an optional point and at most
    /// 18 decimals. Exponents, signs and blanks are refused.
    fn amount(&mut self, fields: &Fields, name: &str) -> Option<Decimal> {
        let text = match fields.get(name) {
            None | Some(Value::Null) => {
                self.fail(name, format!("The {name} field is required."));
                return None;
            }
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(_) => {
                self.fail(name, format!("The {name} must be a number."));
                return None;
            }
        };
        match parse_amount(&text) {
            Ok(amount) => Some(amount),
            Err(message) => {
                self.fail(name, message);
                None
            }
        }
    }

    fn boolean(&mut self, fields: &Fields, name: &str) -> Option<bool> {
        match fields.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.fail(
                    name,
                    format!(
                        "The {} field must be true or false.",
                        name.replace('_', " ")
                    ),
                );
                None
            }
        }
    }

    fn integer(&mut self, fields: &Fields, name: &str) -> Option<i64> {
        match fields.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64(),
            Some(Value::String(s)) if s.parse::<i64>().is_ok() => s.parse().ok(),
            Some(_) => {
                self.fail(name, format!("The {name} must be an integer."));
                None
            }
        }
    }

    fn finish(self) -> Result<(), Refusal> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Refusal::Invalid(self.errors))
        }
    }
}

fn parse_amount(text: &str) -> Result<Decimal, String> {
    use shim_gateway::amount::AmountError;
    shim_gateway::amount::parse_amount(text).map_err(|e| {
        match e {
            AmountError::Format => "The amount format is invalid.",
            AmountError::TooPrecise | AmountError::TooLarge => "The amount has too many digits.",
            AmountError::NotPositive => "The amount must be greater than 0.",
        }
        .to_owned()
    })
}

fn order_id_ok(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

async fn create_payment(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    create(&sandbox, &headers, &body).map(|payment| success(payment.to_wire()))
}

fn create(sandbox: &Sandbox, headers: &HeaderMap, body: &[u8]) -> Result<Payment, Refusal> {
    authenticate(sandbox, headers, body)?;
    let fields = object(body)?;
    let mut check = Check::default();
    let amount = check.amount(&fields, "amount");
    let currency = check.string(&fields, "currency", true, 10);
    let order_id = check.string(&fields, "order_id", true, 128);
    let network = check.string(&fields, "network", false, 20);
    let to_currency = check.string(&fields, "to_currency", false, 10);
    let url_callback = check.string(&fields, "url_callback", false, 255);
    // Used by the gateway's own hosted page, which the sandbox does not render.
    check.string(&fields, "url_return", false, 255);
    check.string(&fields, "url_success", false, 255);
    let additional_data = check.string(&fields, "additional_data", false, 255);
    let is_payment_multiple = check
        .boolean(&fields, "is_payment_multiple")
        .unwrap_or(true);
    let lifetime = check
        .integer(&fields, "lifetime")
        .unwrap_or(3600)
        .clamp(300, 43200);
    let accuracy = match fields.get("accuracy_payment_percent") {
        None | Some(Value::Null) => Decimal::ZERO,
        Some(v) => match parse_amount(&v.to_string().replace('"', "")) {
            Ok(p) if p <= Decimal::from(5) => p,
            _ => {
                check.fail(
                    "accuracy_payment_percent",
                    "The accuracy payment percent must be between 0 and 5.",
                );
                Decimal::ZERO
            }
        },
    };
    if let Some(id) = &order_id
        && !order_id_ok(id)
    {
        check.fail("order_id", "The order id format is invalid.");
    }
    if let Some(url) = &url_callback
        && url.len() < 6
    {
        check.fail(
            "url_callback",
            "The url callback must be at least 6 characters.",
        );
    }
    if let Some(c) = &currency
        && !coins::is_known_currency(c)
    {
        check.fail("currency", "The selected currency is invalid.");
    }
    let coin_code = to_currency
        .clone()
        .or_else(|| currency.clone().filter(|c| coins::coin(c).is_some()));
    let coin = coin_code.as_deref().and_then(coins::coin);
    if to_currency.is_some() && coin.is_none() {
        check.fail("to_currency", "The selected to currency is invalid.");
    }
    if let Some(n) = &network {
        if !coins::NETWORKS.contains(&n.as_str()) {
            check.fail("network", "The selected network is invalid.");
        } else if let Some(c) = coin
            && !c.networks.contains(&n.as_str())
        {
            check.fail(
                "network",
                format!("The network {n} is not available for {}.", c.code),
            );
        }
    }
    check.finish()?;
    // `finish` refused any missing required field, so these are present.
    let (Some(amount), Some(currency), Some(order_id)) = (amount, currency, order_id) else {
        return Err(Refusal::Invalid(FieldErrors::new()));
    };

    let now = sandbox.now();
    let mut payments = sandbox.payments();
    // An order id the merchant already used returns that invoice, as the gateway documents.
    if let Some(existing) = payments.get(&PaymentKey::OrderId(order_id.clone())) {
        return Ok(existing.clone());
    }
    let network = network.or_else(|| {
        coin.filter(|c| c.networks.len() == 1)
            .map(|c| c.networks[0].to_owned())
    });
    let n = payments.created + 1;
    let seed = sandbox.config().seed;
    let uuid = ids::uuid_from(&ids::derive(seed, "payment", n));
    let key: [u8; 20] = first20(&ids::derive(seed, "address", n));
    let payer_amount = coin.and_then(|c| coins::convert(amount, &currency, c));
    let address = match (coin, &network) {
        (Some(_), Some(n)) => addresses::address(n, &key),
        _ => None,
    };
    let payment = Payment {
        url: format!(
            "{}/sandbox/payments/{uuid}",
            sandbox.config().public_url.trim_end_matches('/')
        ),
        uuid,
        order_id,
        amount,
        currency,
        payer_coin: coin,
        payer_amount,
        network,
        address,
        paid: Decimal::ZERO,
        txid: None,
        from: None,
        status: PaymentStatus::Check,
        is_final: false,
        is_payment_multiple,
        accuracy_percent: accuracy,
        url_callback,
        additional_data,
        created_at: now,
        updated_at: now,
        expires_at: now + lifetime,
    };
    payments.insert(payment.clone());
    Ok(payment)
}

fn first20(bytes: &[u8; 32]) -> [u8; 20] {
    let mut out = [0u8; 20];
    out.copy_from_slice(&bytes[..20]);
    out
}

fn payment_key(fields: &Fields) -> Result<PaymentKey, Refusal> {
    let text = |name: &str| {
        fields
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    match (text("uuid"), text("order_id")) {
        (Some(uuid), _) => Ok(PaymentKey::Uuid(uuid.to_owned())),
        (None, Some(order)) => Ok(PaymentKey::OrderId(order.to_owned())),
        (None, None) => {
            let mut errors = FieldErrors::new();
            errors.insert(
                "uuid".into(),
                vec!["The uuid field is required when order id is not present.".into()],
            );
            Err(Refusal::Invalid(errors))
        }
    }
}

async fn payment_info(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    authenticate(&sandbox, &headers, &body)?;
    let key = payment_key(&object(&body)?)?;
    let invoice = sandbox.payments().get(&key).map(Payment::to_wire);
    Ok(success(invoice.ok_or(ControlError::NotFound)?))
}

/// Sends the webhooks a control's changes call for, and answers with the payment's new state.
fn answer(sandbox: &Sandbox, changes: Vec<Payment>) -> Response {
    for payment in &changes {
        sandbox.send_webhook(payment);
    }
    match changes.last() {
        Some(last) => success(last.to_wire()),
        None => success(json!([])),
    }
}

async fn control_pay(State(sandbox): State<Sandbox>, body: Bytes) -> Result<Response, Refusal> {
    let fields = object(&body)?;
    let key = payment_key(&fields)?;
    let mut check = Check::default();
    let amount = check.amount(&fields, "amount").unwrap_or_default();
    let confirm = check.boolean(&fields, "confirm").unwrap_or(true);
    let txid = check.string(&fields, "txid", false, 128);
    check.finish()?;
    let now = sandbox.now();
    let changes = {
        let mut payments = sandbox.payments();
        payments.transactions += 1;
        let n = payments.transactions;
        let txid =
            txid.unwrap_or_else(|| hex::encode(ids::derive(sandbox.config().seed, "txid", n)));
        let from = payments
            .get(&key)
            .and_then(|p| p.network.clone())
            .and_then(|network| {
                addresses::address(
                    &network,
                    &first20(&ids::derive(sandbox.config().seed, "from", n)),
                )
            });
        payments
            .pay(&key, amount, txid, confirm, now)
            .map(|mut changes| {
                for change in &mut changes {
                    change.from.clone_from(&from);
                }
                changes
            })?
    };
    Ok(answer(&sandbox, changes))
}

async fn control_confirm(State(sandbox): State<Sandbox>, body: Bytes) -> Result<Response, Refusal> {
    let key = payment_key(&object(&body)?)?;
    let now = sandbox.now();
    let payment = sandbox.payments().confirm(&key, now)?;
    Ok(answer(&sandbox, vec![payment]))
}

async fn control_expire(State(sandbox): State<Sandbox>, body: Bytes) -> Result<Response, Refusal> {
    let key = payment_key(&object(&body)?)?;
    let now = sandbox.now();
    let payment = sandbox.payments().expire(&key, now)?;
    Ok(answer(&sandbox, vec![payment]))
}

async fn control_advance(State(sandbox): State<Sandbox>, body: Bytes) -> Result<Response, Refusal> {
    let fields = object(&body)?;
    let mut check = Check::default();
    let seconds = check.integer(&fields, "seconds");
    if !seconds.is_some_and(|s| (0..=31_536_000).contains(&s)) {
        check.fail(
            "seconds",
            "The seconds must be an integer between 0 and 31536000.",
        );
    }
    check.finish()?;
    let offset = &sandbox.inner.clock_offset;
    offset.fetch_add(
        seconds.unwrap_or_default(),
        std::sync::atomic::Ordering::Relaxed,
    );
    sandbox.expire_due();
    Ok(success(json!({ "now": sandbox.now() })))
}

async fn webhook_log(State(sandbox): State<Sandbox>) -> Response {
    success(sandbox.deliveries())
}

async fn payment_page(
    State(sandbox): State<Sandbox>,
    Path(uuid): Path<String>,
) -> Result<Response, Refusal> {
    let invoice = sandbox
        .payments()
        .get(&PaymentKey::Uuid(uuid))
        .map(Payment::to_wire);
    Ok(success(invoice.ok_or(ControlError::NotFound)?))
}
