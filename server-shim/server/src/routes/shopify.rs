//! What Shopify sends the shim, each request signed with the app's secret:
//!
//! - `GET /v1/shopify/proxy/pay` — the "Pay with crypto" link of the thank-you and order status
//!   pages (`https://{shop}/apps/crypto-checkout/pay?order=N&confirmation=C`), forwarded by
//!   Shopify's app proxy with its `signature`: reads the order's outstanding amount through the
//!   Admin API, creates its invoice (the same one again on a reload) and sends the payer to the pay
//!   page. The confirmation number, which only the buyer has, is what makes a link for order N
//!   worth anything.
//! - `POST /v1/shopify/webhooks` — the app's webhooks (`app/uninstalled`) and the compliance
//!   topics every app must take, checked with `X-Shopify-Hmac-Sha256`, each acted on once by
//!   `X-Shopify-Webhook-Id`.

use super::pay_page::notice;
use super::{ApiError, AppState};
use crate::platforms::PlatformConfig;
use crate::services::{ServiceError, now};
use crate::shopify_payments::SessionError;
use crate::store::{SessionKey, ShopPlatform};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use shim_api::CreateInvoiceRequest;
use shop_adapters::OrderState;
use shop_adapters::platform::AdapterError;
use shop_adapters::shopify::Shopify;
use shop_adapters::shopify::transformers::{
    Order, PaymentSessionRequest, RefundSessionRequest, app_proxy_signature, is_shop_domain,
    order_gid, signature_matches, webhook_is_authentic,
};

/// How far an app proxy request's timestamp may be from the shim's clock, seconds (Shopify's own
/// libraries allow 90).
const PROXY_TOLERANCE: i64 = 90;

/// How long webhook ids are remembered, seconds: Shopify retries a failed delivery for 48 hours.
const WEBHOOK_MEMORY: i64 = 7 * 24 * 3600;

/// A shop connected to Shopify: its connection as read, and its app's client secret (app proxy
/// and webhooks).
struct ShopifyShop {
    api_secret: String,
    stored: ShopPlatform,
}

/// The shop connected to the Shopify shop `domain`.
async fn shop_for(state: &AppState, domain: &str) -> Result<Option<ShopifyShop>, ApiError> {
    if !is_shop_domain(domain) {
        return Ok(None);
    }
    let Some(stored) = state.services.shops.shopify_shop(domain).await? else {
        return Ok(None);
    };
    let PlatformConfig::Shopify { api_secret, .. } = &stored.config else {
        return Ok(None);
    };
    Ok(Some(ShopifyShop {
        api_secret: api_secret.clone(),
        stored,
    }))
}

/// A page for the buyer, titled like the step they are at.
fn page(status: StatusCode, message: &str, hint: &str) -> Response {
    notice(status, "Pay with crypto", message, hint)
}

const BACK: &str = "Go back to your order and open the payment link again.";

/// The app proxy's "Pay with crypto" link.
#[utoipa::path(
    get, path = "/v1/shopify/proxy/pay", tag = "shopify",
    params(
        ("order" = String, Query, description = "The order's number (the N of gid://shopify/Order/N)"),
        ("confirmation" = String, Query, description = "The order's confirmation number, as the thank-you page shows it"),
        ("shop" = String, Query, description = "Added by Shopify's app proxy, as are path_prefix, timestamp, logged_in_customer_id and signature"),
    ),
    responses(
        (status = 303, description = "To the pay page of the order's invoice, or to the order's status page when nothing is due"),
        (status = 400, description = "Not a request of the app proxy (HTML)", content_type = "text/html", body = String),
        (status = 401, description = "A wrong or stale signature (HTML)", content_type = "text/html", body = String),
        (status = 404, description = "No such order, or not this confirmation number (HTML)", content_type = "text/html", body = String),
        (status = 410, description = "The order was cancelled (HTML)", content_type = "text/html", body = String),
        (status = 503, description = "The shop did not answer (HTML)", content_type = "text/html", body = String),
    )
)]
pub(super) async fn proxy_pay(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return page(StatusCode::BAD_REQUEST, "This link is not valid.", BACK);
    };
    let one = |key: &str| {
        let mut values = query.iter().filter(|(k, _)| k == key).map(|(_, v)| v);
        match (values.next(), values.next()) {
            (Some(value), None) => Some(value.as_str()),
            _ => None,
        }
    };
    let (Some(domain), Some(timestamp), Some(signature)) =
        (one("shop"), one("timestamp"), one("signature"))
    else {
        return page(
            StatusCode::BAD_REQUEST,
            "This link only works from the shop's own pages.",
            BACK,
        );
    };
    let shop = match shop_for(&state, domain).await {
        Ok(Some(shop)) => shop,
        Ok(None) => {
            return page(
                StatusCode::NOT_FOUND,
                "This shop does not take crypto payments here.",
                "Contact the shop.",
            );
        }
        Err(e) => return e.into_response(),
    };
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|t: i64| now().abs_diff(t) <= PROXY_TOLERANCE.unsigned_abs());
    if !fresh || !signature_matches(&app_proxy_signature(&shop.api_secret, &query), signature) {
        return page(StatusCode::UNAUTHORIZED, "This link has expired.", BACK);
    }
    let (Some(order), Some(confirmation)) = (one("order"), one("confirmation")) else {
        return page(StatusCode::BAD_REQUEST, "This link names no order.", BACK);
    };
    pay(&state, &shop, order, confirmation).await
}

/// Where the buyer of `order` goes: the pay page of its invoice, made if need be.
async fn pay(state: &AppState, shop: &ShopifyShop, order: &str, confirmation: &str) -> Response {
    let PlatformConfig::Shopify { shop: domain, .. } = &shop.stored.config else {
        return page(StatusCode::NOT_FOUND, "No such shop.", BACK);
    };
    let no_order = || {
        page(
            StatusCode::NOT_FOUND,
            "No such order.",
            "Open the payment link from your order's page.",
        )
    };
    let shopify = match shop.stored.config.shopify(state.services.egress()) {
        Ok(Some(shopify)) => shopify,
        Ok(None) => return page(StatusCode::NOT_FOUND, "No such shop.", BACK),
        // The app was uninstalled, or the settings lack access.
        Err(e) => {
            tracing::warn!(shop = %domain, error = %e, "a payment link of a shop the shim cannot reach");
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "This shop does not take crypto payments right now.",
                "Contact the shop to pay for your order another way.",
            );
        }
    };
    let found = match proven_order(&shopify, domain, order, confirmation).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let status_page = found.status_page_url.clone();
    let done = |message: &str| match &status_page {
        Some(url) => see_other(url),
        None => page(StatusCode::OK, message, ""),
    };
    if found.display_financial_status.as_deref() == Some("AUTHORIZED") {
        // Another payment method already holds the money: a crypto payment would be a second.
        return done("This order's payment is already arranged.");
    }
    match found.state() {
        OrderState::Paid | OrderState::Refunded => return done("This order is paid."),
        OrderState::Cancelled => {
            return page(
                StatusCode::GONE,
                "This order was cancelled.",
                "Contact the shop if you still want it.",
            );
        }
        _ => {}
    }
    let due = &found.total_outstanding_set.presentment_money;
    if due
        .amount
        .parse::<rust_decimal::Decimal>()
        .is_ok_and(|a| a <= rust_decimal::Decimal::ZERO)
    {
        return done("Nothing is due on this order.");
    }
    let number = found.id.rsplit('/').next().unwrap_or(order).to_owned();
    let shop_record = match state.services.shops.shop(&shop.stored.shop_id).await {
        Ok(Some(shop)) => shop,
        Ok(None) => return no_order(),
        Err(e) => return ApiError::internal(&e).into_response(),
    };
    let request = CreateInvoiceRequest {
        order_id: format!("shopify-{number}"),
        amount: due.amount.clone(),
        currency: due.currency_code.clone(),
        network: None,
        to_currency: None,
        lifetime: None,
        url_return: status_page.clone(),
        url_success: status_page,
        platform_order_ref: Some(number),
    };
    match state
        .services
        .invoices
        .create_invoice(&shop_record, request)
        .await
    {
        Ok((invoice, _)) => see_other(&format!(
            "{}/pay/{}",
            state.services.public_url(),
            invoice.id
        )),
        Err(ServiceError::Conflict(reason)) => {
            tracing::warn!(shop = %domain, %reason, "a Shopify order no longer matches its invoice");
            page(
                StatusCode::CONFLICT,
                "This order changed since its crypto invoice was made.",
                "Contact the shop to pay it.",
            )
        }
        Err(e) => {
            tracing::warn!(shop = %domain, error = %e, "no invoice for a Shopify order");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The crypto payment could not be prepared right now.",
                "Try again in a minute.",
            )
        }
    }
}

/// The order a payment link names, once Shopify confirms it exists with that confirmation number;
/// otherwise the page to show the buyer.
async fn proven_order(
    shopify: &Shopify,
    domain: &str,
    order: &str,
    confirmation: &str,
) -> Result<Order, Response> {
    let no_order = || {
        page(
            StatusCode::NOT_FOUND,
            "No such order.",
            "Open the payment link from your order's page.",
        )
    };
    // What the link claims is checked as far as it can be before Shopify is asked anything: a
    // confirmation number is a few letters and digits (the order's own is compared after).
    let plausible = (4..=32).contains(&confirmation.len())
        && confirmation.bytes().all(|b| b.is_ascii_alphanumeric());
    if order_gid(order).is_none() || !plausible {
        return Err(no_order());
    }
    let found = match shopify.read(order).await {
        Ok(found) => found,
        Err(e @ AdapterError::Unavailable(_)) => {
            tracing::warn!(shop = %domain, error = %e, "Shopify did not answer for a payment link");
            return Err(page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The shop is not answering right now.",
                "Try again in a minute.",
            ));
        }
        Err(e @ AdapterError::Refused(_)) if !e.to_string().contains("no such order") => {
            // The shop's setup, not the buyer's link: the merchant must hear of it.
            tracing::warn!(shop = %domain, error = %e, "Shopify refused the shim: check the app's installation and credentials");
            return Err(page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The shop cannot take crypto payments right now.",
                "Try again later, or contact the shop.",
            ));
        }
        Err(e) => {
            tracing::info!(shop = %domain, error = %e, "a payment link for an order Shopify does not give");
            return Err(no_order());
        }
    };
    let proven = found.confirmation_number.as_deref().is_some_and(|number| {
        signature_matches(
            &number.to_ascii_lowercase(),
            &confirmation.to_ascii_lowercase(),
        )
    });
    if !proven {
        return Err(no_order());
    }
    Ok(found)
}

/// The answer to a Shopify webhook.
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
enum ShopifyWebhookAnswer {
    /// Taken before: nothing done again.
    Duplicate { duplicate: bool },
    /// Taken: its topic.
    Received { received: String },
}

/// Where Shopify sends the buyer next.
#[derive(Debug, serde::Serialize)]
struct SessionRedirect {
    redirect_url: String,
}

/// A refund session Shopify asked for, taken.
#[derive(Debug, serde::Serialize)]
struct SessionCreated {
    id: String,
}

/// A redirect the browser does not keep.
fn see_other(to: &str) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Redirect::to(to)).into_response()
}

/// The app's webhooks.
#[utoipa::path(
    post, path = "/v1/shopify/webhooks", tag = "shopify",
    request_body(content = String, description = "The topic's JSON, as Shopify sends it", content_type = "application/json"),
    responses(
        (status = 200, description = "`{\"received\": topic}`, or `{\"duplicate\": true}` for a redelivery"),
        (status = 400, description = "A Shopify header is missing", body = shim_api::ErrorBody),
        (status = 401, description = "Not signed by the app of a connected shop", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let refused = || {
        ApiError::unauthorized("the webhook is not signed by the app of a shop connected here")
            .into_response()
    };
    let Some(domain) = header("x-shopify-shop-domain") else {
        return refused();
    };
    let shop = match shop_for(&state, domain).await {
        Ok(Some(shop)) => shop,
        Ok(None) => return refused(),
        Err(e) => return e.into_response(),
    };
    // From the shop's app, or from its payments app.
    let authentic = header("x-shopify-hmac-sha256").is_some_and(|hmac| {
        shop.stored
            .config
            .shopify_secrets()
            .iter()
            .any(|secret| webhook_is_authentic(secret, &body, hmac))
    });
    if !authentic {
        return refused();
    }
    let (Some(topic), Some(id)) = (header("x-shopify-topic"), header("x-shopify-webhook-id"))
    else {
        return ApiError::invalid("X-Shopify-Topic and X-Shopify-Webhook-Id are required")
            .into_response();
    };
    let now = now();
    // Before the webhook is recorded as handled, so that a failure here is retried by Shopify.
    if topic == "app/uninstalled" {
        let from_the_app = header("x-shopify-hmac-sha256")
            .is_some_and(|hmac| webhook_is_authentic(&shop.api_secret, &body, hmac));
        if from_the_app && let Err(e) = mark_uninstalled(&state, &shop, now).await {
            return e.into_response();
        }
    }
    let first = match state
        .services
        .shops
        .first_delivery("shopify", id, &shop.stored.shop_id, topic, WEBHOOK_MEMORY)
        .await
    {
        Ok(first) => first,
        Err(e) => return ApiError::internal(&e).into_response(),
    };
    if !first {
        return Json(ShopifyWebhookAnswer::Duplicate { duplicate: true }).into_response();
    }
    match topic {
        "app/uninstalled" => tracing::warn!(
            shop = %domain,
            "a Shopify app was uninstalled: its access no longer works, so orders are not updated until it is installed again and the shop connected anew (`shops set-platform`)"
        ),
        // The shim keeps no customer data: invoices hold order numbers and amounts, and nothing
        // about the buyer. These are acknowledged, and logged for the merchant's records.
        "customers/data_request" | "customers/redact" | "shop/redact" => {
            tracing::info!(shop = %domain, %topic, "Shopify compliance request: the shim holds no customer data");
        }
        other => {
            tracing::info!(shop = %domain, topic = %other, "Shopify webhook without a use here")
        }
    }
    Json(ShopifyWebhookAnswer::Received {
        received: topic.to_owned(),
    })
    .into_response()
}

/// Notes in the shop's settings that its app was uninstalled, so that order updates stop with
/// that reason instead of calling Shopify with access it no longer has. Once is enough.
async fn mark_uninstalled(state: &AppState, shop: &ShopifyShop, now: i64) -> Result<(), ApiError> {
    let mut config = shop.stored.config.clone();
    if matches!(
        config,
        PlatformConfig::Shopify {
            uninstalled_at: Some(_),
            ..
        }
    ) || !config.mark_uninstalled(now)
    {
        return Ok(());
    }
    // `false`: the merchant connected the shop anew meanwhile, which stands.
    state
        .services
        .shops
        .replace_platform(&shop.stored, &config)
        .await?;
    Ok(())
}

/// The shop record of the Shopify shop that sent a payments app request (`Shopify-Shop-Domain`).
async fn requesting_shop(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(crate::domain::Shop, Shopify), Response> {
    let unknown = || {
        ApiError::unauthorized(
            "Shopify-Shop-Domain names no shop connected here through the payments app",
        )
        .into_response()
    };
    let domain = headers
        .get("shopify-shop-domain")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(unknown)?;
    let shop = shop_for(state, domain)
        .await
        .map_err(IntoResponse::into_response)?
        .ok_or_else(unknown)?;
    let shopify = match shop.stored.config.shopify_payments(state.services.egress()) {
        Ok(Some(shopify)) => shopify,
        Ok(None) => {
            return Err(ApiError::unauthorized(
                "the shop has no payments app connected here (shops set-platform with SHIM_SHOPIFY_PAYMENTS_TOKEN and SHIM_SHOPIFY_PAYMENTS_SECRET)",
            )
            .into_response());
        }
        Err(e) => return Err(ApiError::internal(&e).into_response()),
    };
    match state.services.shops.shop(&shop.stored.shop_id).await {
        Ok(Some(record)) => Ok((record, shopify)),
        Ok(None) => Err(unknown()),
        Err(e) => Err(ApiError::internal(&e).into_response()),
    }
}

fn session_error(error: SessionError) -> Response {
    match error {
        SessionError::Invalid(message) => ApiError::invalid(message).into_response(),
        SessionError::Conflict(message) => {
            ApiError::new(StatusCode::CONFLICT, shim_api::ErrorCode::Conflict, message)
                .into_response()
        }
        SessionError::Service(e) => ApiError::from(e).into_response(),
    }
}

/// Shopify's payment session: the buyer picked crypto at checkout.
#[utoipa::path(
    post, path = "/v1/shopify/payments/sessions", tag = "shopify",
    request_body(content = String, description = "Shopify's payment session request (id, gid, amount, currency, kind, payment_method.data.cancel_url, ...)", content_type = "application/json"),
    responses(
        (status = 200, description = "`{\"redirect_url\"}`: the pay page; the same for a repeated id"),
        (status = 400, description = "Not a session the shim can take", body = shim_api::ErrorBody),
        (status = 401, description = "Not from a Shopify shop connected here", body = shim_api::ErrorBody),
        (status = 409, description = "The id was used for another amount", body = shim_api::ErrorBody),
        (status = 503, description = "The gateway is unavailable: Shopify tries again", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn payment_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let (shop, _) = match requesting_shop(&state, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let request: PaymentSessionRequest = match super::error::json_body(&headers, body) {
        Ok(request) => request,
        Err(e) => return e.into_response(),
    };
    tracing::info!(
        shop = %shop.name,
        session = %request.id,
        request_id = headers.get("shopify-request-id").and_then(|v| v.to_str().ok()).unwrap_or(""),
        "Shopify payment session"
    );
    match crate::shopify_payments::start(&state.services, &shop, request).await {
        Ok(redirect_url) => Json(SessionRedirect { redirect_url }).into_response(),
        Err(e) => session_error(e),
    }
}

/// Shopify's refund session: answered, then rejected with a word for the merchant.
#[utoipa::path(
    post, path = "/v1/shopify/payments/refunds", tag = "shopify",
    request_body(content = String, description = "Shopify's refund session request (id, gid, payment_id, amount, currency)", content_type = "application/json"),
    responses(
        (status = 201, description = "Taken; Shopify hears `refundSessionReject` right after"),
        (status = 400, description = "Not a refund session", body = shim_api::ErrorBody),
        (status = 401, description = "Not from a Shopify shop connected here", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn refund_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let (shop, shopify) = match requesting_shop(&state, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let request: RefundSessionRequest = match super::error::json_body(&headers, body) {
        Ok(request) => request,
        Err(e) => return e.into_response(),
    };
    let id = request.id.clone();
    match crate::shopify_payments::refund(&state.services, &shop, shopify, request).await {
        Ok(_) => (StatusCode::CREATED, Json(SessionCreated { id })).into_response(),
        Err(e) => session_error(e),
    }
}

/// How many times the "finishing" page has looked again.
#[derive(Debug, serde::Deserialize)]
pub(super) struct Waited {
    waited: Option<u32>,
}

/// How many times (2 s apart) the "finishing" page looks again before it stops.
const MAX_WAITS: u32 = 30;

/// Where the pay page sends the buyer of a payment session once the invoice is paid: on to
/// Shopify, as soon as Shopify said where.
#[utoipa::path(
    get, path = "/v1/shopify/payments/next/{id}", tag = "shopify",
    params(("id" = String, Path, description = "Shopify's payment session id")),
    responses(
        (status = 303, description = "To Shopify: the thank-you page, or back to checkout"),
        (status = 200, description = "A page that looks again in a moment, while Shopify is being told (HTML)", content_type = "text/html", body = String),
        (status = 404, description = "No such payment session (HTML)", content_type = "text/html", body = String),
    )
)]
pub(super) async fn payment_next(
    State(state): State<AppState>,
    Path(id): Path<String>,
    waited: Result<Query<Waited>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let session = match state
        .services
        .shops
        .payment_session(SessionKey::Id(&id))
        .await
    {
        Ok(Some(session)) => session,
        Ok(None) => {
            return page(
                StatusCode::NOT_FOUND,
                "No such payment.",
                "Go back to the shop's checkout.",
            );
        }
        Err(e) => return ApiError::internal(&e).into_response(),
    };
    match (session.next_url, session.state.as_str()) {
        (Some(next), _) => see_other(&next),
        (None, "rejected") => see_other(&session.cancel_url),
        _ => {
            let waited = waited.map_or(0, |Query(w)| w.waited.unwrap_or(0));
            let back = super::pay_page::escape_html(&session.cancel_url);
            // About a minute of looking again every 2 s; then the buyer decides.
            let (refresh, text) = if waited < MAX_WAITS {
                (
                    format!(
                        "<meta http-equiv=\"refresh\" content=\"2;url=?waited={}\">",
                        waited + 1
                    ),
                    "Telling the shop… this page moves on by itself.",
                )
            } else {
                (
                    String::new(),
                    "The shop has not confirmed yet. Your payment is safe: the shop will confirm it, and email you.",
                )
            };
            let body = format!(
                "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
                 {refresh}<title>Finishing your payment</title></head>\
                 <body style=\"font-family: system-ui, sans-serif; max-width: 440px; margin: 0 auto; padding: 24px 16px\">\
                 <main><h1>Finishing your payment</h1><p role=\"status\">{text}</p>\
                 <p><a href=\"{back}\">Back to the shop</a></p></main></body></html>"
            );
            super::pay_page::html_page(StatusCode::OK, body)
        }
    }
}
