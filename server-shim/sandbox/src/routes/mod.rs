//! HTTP: the Cryptomus paths with their header checks, envelopes and error shapes, and the controls
//! under `/sandbox/` that play the payer.
//!
//! - `payments`: invoices (`/v1/payment/...`), their QR codes, refunds and webhook tests.
//! - `wallets`: static wallets (`/v1/wallet/...`) and the deposit control.
//! - `payouts`: payouts (`/v1/payout/...`), signed with the payout key, and the payout control.
//! - `account`: the balance and the exchange rates.
//! - `controls`: `/sandbox/...`, which stand in for payers, the chain and the clock.
//! - `check`: field validation with the gateway's messages.

mod account;
mod check;
mod controls;
mod payments;
mod payouts;
mod wallets;

use crate::Sandbox;
use crate::ledger::{ControlError, Payment};
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use shim_gateway::ApiKey;
use shim_gateway::wire::{CryptomusSuccess, INVALID_SIGN};
use std::collections::BTreeMap;

/// Largest request body the sandbox reads.
const BODY_LIMIT: usize = 64 * 1024;

/// The sandbox's routes: Cryptomus paths plus controls. Mount at the root, or nest under a prefix
/// that is part of the gateway URL given to clients.
pub fn router(sandbox: Sandbox) -> Router {
    Router::new()
        .route("/v1/payment", post(payments::create_payment))
        .route("/v1/payment/info", post(payments::payment_info))
        .route("/v1/payment/list", post(payments::payment_list))
        .route("/v1/payment/services", post(payments::services))
        .route("/v1/payment/resend", post(payments::resend))
        .route("/v1/payment/refund", post(payments::refund))
        .route("/v1/payment/qr", post(payments::payment_qr))
        .route("/v1/test-webhook/payment", post(payments::test_webhook))
        .route("/v1/wallet", post(wallets::create_wallet))
        .route("/v1/wallet/block-address", post(wallets::block_wallet))
        .route(
            "/v1/wallet/blocked-address-refund",
            post(wallets::refund_blocked_wallet),
        )
        .route("/v1/wallet/qr", post(wallets::wallet_qr))
        .route(
            "/v1/test-webhook/wallet",
            post(wallets::test_webhook_wallet),
        )
        .route("/v1/payout", post(payouts::create_payout))
        .route("/v1/payout/info", post(payouts::payout_info))
        .route("/v1/payout/services", post(payouts::payout_services))
        .route("/v1/payout/list", post(payouts::payout_list))
        .route(
            "/v1/test-webhook/payout",
            post(payouts::test_webhook_payout),
        )
        .route("/v1/balance", post(account::balance))
        .route(
            "/v1/exchange-rate/{currency}/list",
            get(account::exchange_rates),
        )
        .route("/sandbox/pay", post(controls::control_pay))
        .route("/sandbox/confirm", post(controls::control_confirm))
        .route("/sandbox/expire", post(controls::control_expire))
        .route("/sandbox/advance", post(controls::control_advance))
        .route("/sandbox/refund", post(controls::control_refund))
        .route("/sandbox/fail", post(controls::control_fail))
        .route("/sandbox/hold", post(controls::control_hold))
        .route("/sandbox/deposit", post(wallets::control_deposit))
        .route(
            "/sandbox/deposit/settle",
            post(wallets::control_settle_deposit),
        )
        .route("/sandbox/payout", post(payouts::control_payout))
        .route("/sandbox/webhooks", get(controls::webhook_log))
        .route("/sandbox/webhooks/outage", post(controls::control_outage))
        .route(
            "/sandbox/lose-answers",
            post(controls::control_lose_answers),
        )
        .route("/sandbox/payments/{uuid}", get(payments::payment_page))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::map_response(json_errors))
        .layer(axum::middleware::from_fn_with_state(
            sandbox.clone(),
            note_changes,
        ))
        .layer(axum::middleware::from_fn_with_state(
            sandbox.clone(),
            lose_answers,
        ))
        .with_state(sandbox)
}

/// A successful POST may have changed the state: have it saved (when the sandbox keeps it).
async fn note_changes(
    axum::extract::State(sandbox): axum::extract::State<Sandbox>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let is_post = request.method() == axum::http::Method::POST;
    let response = next.run(request).await;
    if is_post && response.status().is_success() {
        sandbox.changed();
    }
    response
}

/// Carries out the call, then loses its answer when `/sandbox/lose-answers` asked for it.
async fn lose_answers(
    axum::extract::State(sandbox): axum::extract::State<Sandbox>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    if sandbox.answer_lost(&path) {
        return (
            StatusCode::GATEWAY_TIMEOUT,
            Json(json!({ "state": 1, "message": "Gateway Timeout" })),
        )
            .into_response();
    }
    response
}

/// Errors raised before a handler runs (body too large, unknown path, wrong method) get the
/// gateway's JSON shape too.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "The request body is too large",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::METHOD_NOT_ALLOWED => "Method not allowed",
        _ => "The request could not be read",
    };
    (status, Json(json!({ "state": 1, "message": message }))).into_response()
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
                    ControlError::NoCoinChosen | ControlError::NotRefundable => {
                        StatusCode::UNPROCESSABLE_ENTITY
                    }
                    ControlError::NotRefunding
                    | ControlError::NotOpen
                    | ControlError::NotBlocked
                    | ControlError::AlreadyRefunded => StatusCode::CONFLICT,
                    ControlError::InsufficientFunds => StatusCode::UNPROCESSABLE_ENTITY,
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

/// The gateway's header check: the merchant uuid, and `sign` over the exact body bytes under `key`.
fn authenticate(
    sandbox: &Sandbox,
    headers: &HeaderMap,
    body: &[u8],
    key: &ApiKey,
) -> Result<(), Refusal> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let merchant_ok = header("merchant") == Some(sandbox.config().merchant.as_str());
    let sign_ok = header("sign").is_some_and(|s| signed_right(body, s, key));
    if merchant_ok && sign_ok {
        Ok(())
    } else {
        Err(Refusal::InvalidSign)
    }
}

/// The gateway's check of a request's `sign`, written here from its documentation (the lowercase
/// hex MD5 of the body's base64 followed by the key), apart from the client's signing code, so
/// that a signing bug in the client fails against the sandbox.
fn signed_right(body: &[u8], given: &str, key: &ApiKey) -> bool {
    use base64::Engine as _;
    use md5::Digest as _;
    use secrecy::ExposeSecret as _;
    use subtle::ConstantTimeEq as _;
    let mut signed = base64::engine::general_purpose::STANDARD
        .encode(body)
        .into_bytes();
    signed.extend_from_slice(key.expose().expose_secret().as_bytes());
    let expected = hex::encode(md5::Md5::digest(&signed));
    expected
        .as_bytes()
        .ct_eq(given.to_ascii_lowercase().as_bytes())
        .into()
}

/// The payment, wallet or payout a request names: `uuid` first, else `order_id`.
fn reference(fields: &Fields) -> Result<crate::ledger::Reference, Refusal> {
    let text = |name: &str| {
        fields
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    // Both given: the order id decides, as the gateway documents.
    match (text("uuid"), text("order_id")) {
        (_, Some(order)) => Ok(crate::ledger::Reference::OrderId(order.to_owned())),
        (Some(uuid), None) => Ok(crate::ledger::Reference::Uuid(uuid.to_owned())),
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

/// Authenticates a request signed with the payment key and returns its fields.
fn signed(sandbox: &Sandbox, headers: &HeaderMap, body: &[u8]) -> Result<Fields, Refusal> {
    authenticate(sandbox, headers, body, &sandbox.config().payment_key)?;
    object(body)
}

/// The request's fields. PHP clients send an empty parameter list as `[]`, others send no body
/// at all (signed as `md5(base64("") + key)`): both count as `{}`, as at the gateway.
fn object(body: &[u8]) -> Result<Fields, Refusal> {
    if body.is_empty() {
        return Ok(Fields::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(Value::Array(items)) if items.is_empty() => Ok(Fields::new()),
        _ => Err(Refusal::NotObject),
    }
}

/// The payment or wallet a QR request names by the uuid in `field`.
fn qr_subject(
    sandbox: &Sandbox,
    headers: &HeaderMap,
    body: &[u8],
    field: &str,
) -> Result<crate::ledger::Reference, Refusal> {
    let fields = signed(sandbox, headers, body)?;
    let mut check = check::Check::default();
    let uuid = check.string(&fields, field, true, 64);
    check.finish()?;
    Ok(crate::ledger::Reference::Uuid(uuid.unwrap_or_default()))
}

/// A PNG QR code of `address`, as a data URI; `unencodable` when it cannot be drawn.
fn qr_answer(address: &str, unencodable: ControlError) -> Result<Response, Refusal> {
    let image = crate::qr_png::data_uri(address).ok_or(unencodable)?;
    Ok(success(json!({ "image": image })))
}

fn first20(bytes: &[u8; 32]) -> [u8; 20] {
    let mut out = [0u8; 20];
    out.copy_from_slice(&bytes[..20]);
    out
}

/// Answers a control with the payment's new state.
fn answer(changes: Vec<Payment>) -> Response {
    match changes.last() {
        Some(last) => success(last.to_wire()),
        None => success(json!([])),
    }
}
