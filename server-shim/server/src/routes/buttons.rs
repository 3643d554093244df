//! Pay buttons: the shop's API to define and manage them, and the public endpoint a button's
//! click calls (from any page on the button's allowed origins) to start a payment.

use super::answers::ButtonList;
use super::{ApiError, AppState};
use super::{AuthShop, JsonBody};
use crate::domain::Shop;
use crate::services::buttons::{ButtonError, ButtonPayment, ButtonView, NewButtonRequest};
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use shim_api::ErrorCode;
use std::net::SocketAddr;

/// Defines a pay button.
#[utoipa::path(
    post, path = "/v1/buttons", tag = "buttons",
    request_body = NewButtonRequest,
    security(("shop_token" = [])),
    responses(
        (status = 201, description = "The button, with the tag to paste into a page", body = ButtonView),
        (status = 400, description = "A field is invalid; the message names it", body = shim_api::ErrorBody),
        (status = 401, description = "Missing or unknown shop token", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn create(
    State(state): State<AppState>,
    AuthShop(shop): AuthShop,
    JsonBody(request): JsonBody<NewButtonRequest>,
) -> Result<Response, ApiError> {
    let button = state.services.buttons.create_button(&shop, request).await?;
    Ok((
        StatusCode::CREATED,
        Json(state.services.buttons.button_view(&button)),
    )
        .into_response())
}

/// The shop's pay buttons, newest first.
#[utoipa::path(
    get, path = "/v1/buttons", tag = "buttons",
    security(("shop_token" = [])),
    responses(
        (status = 200, description = "The shop's buttons, newest first", body = ButtonList),
        (status = 401, description = "Missing or unknown shop token", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn list(
    State(state): State<AppState>,
    AuthShop(shop): AuthShop,
) -> Result<Json<ButtonList>, ApiError> {
    let buttons = state.services.buttons.list(&shop.id).await?;
    let views: Vec<ButtonView> = buttons
        .iter()
        .map(|b| state.services.buttons.button_view(b))
        .collect();
    Ok(Json(ButtonList { buttons: views }))
}

async fn set_enabled(
    state: &AppState,
    shop: &Shop,
    id: Result<Path<String>, PathRejection>,
    enabled: bool,
) -> Result<Json<ButtonView>, ApiError> {
    let missing = || ApiError::not_found("no button with that id");
    let Ok(Path(id)) = id else {
        return Err(missing());
    };
    let button = state
        .services
        .buttons
        .set_enabled(&shop.id, &id, enabled)
        .await?
        .ok_or_else(missing)?;
    Ok(Json(state.services.buttons.button_view(&button)))
}

/// Stops a button: clicks say it is disabled.
#[utoipa::path(
    post, path = "/v1/buttons/{id}/disable", tag = "buttons",
    params(("id" = String, Path, description = "The button id, `btn_…`")),
    security(("shop_token" = [])),
    responses(
        (status = 200, description = "The button", body = ButtonView),
        (status = 404, description = "The shop has no such button", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn disable(
    State(state): State<AppState>,
    AuthShop(shop): AuthShop,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<ButtonView>, ApiError> {
    set_enabled(&state, &shop, id, false).await
}

/// Takes payments through a button again.
#[utoipa::path(
    post, path = "/v1/buttons/{id}/enable", tag = "buttons",
    params(("id" = String, Path, description = "The button id, `btn_…`")),
    security(("shop_token" = [])),
    responses(
        (status = 200, description = "The button", body = ButtonView),
        (status = 404, description = "The shop has no such button", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn enable(
    State(state): State<AppState>,
    AuthShop(shop): AuthShop,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<ButtonView>, ApiError> {
    set_enabled(&state, &shop, id, true).await
}

/// A click on a pay button: a fresh invoice at the button's price. Called by `embed.js` from a
/// page on one of the button's allowed origins (the browser's `Origin` header says which). No body.
#[utoipa::path(
    post, path = "/v1/buttons/{id}/invoices", tag = "buttons",
    params(("id" = String, Path, description = "The button id, `btn_…`")),
    responses(
        (status = 201, description = "The invoice to show", body = ButtonPayment),
        (status = 403, description = "The page's origin is not one the button allows", body = shim_api::ErrorBody),
        (status = 404, description = "No such button", body = shim_api::ErrorBody),
        (status = 410, description = "The merchant disabled the button", body = shim_api::ErrorBody),
        (status = 429, description = "Too many payments started, or waiting, from this client or for this button", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let Ok(Path(id)) = id else {
        return ApiError::not_found(ButtonError::NotFound.to_string()).into_response();
    };
    let client = peer.map(|Extension(ConnectInfo(peer))| {
        let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
        state.button_limiter.client(peer.ip(), forwarded)
    });
    // Each start makes an invoice at the gateway: a tighter rate than the reads'.
    if let Some(client) = client
        && let Err(retry_after) = state.button_limiter.check(client)
    {
        let error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            format!("too many payments started from this address; retry in {retry_after} s"),
        );
        return ([(header::RETRY_AFTER, retry_after.to_string())], error).into_response();
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let client = client.map_or_else(|| "unknown".to_owned(), |c| c.to_string());
    match state
        .services
        .buttons
        .start_button_payment(&id, origin, &client)
        .await
    {
        Ok(payment) => (
            StatusCode::CREATED,
            [(header::CACHE_CONTROL, "no-store")],
            Json(payment),
        )
            .into_response(),
        Err(e @ ButtonError::NotFound) => ApiError::not_found(e.to_string()).into_response(),
        Err(e @ ButtonError::Disabled) => {
            ApiError::new(StatusCode::GONE, ErrorCode::Disabled, e.to_string()).into_response()
        }
        Err(ButtonError::Origin(message)) => {
            ApiError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message).into_response()
        }
        Err(ButtonError::Busy(message)) => (
            [(header::RETRY_AFTER, "60")],
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                message,
            ),
        )
            .into_response(),
        Err(ButtonError::Service(e)) => ApiError::from(e).into_response(),
    }
}
