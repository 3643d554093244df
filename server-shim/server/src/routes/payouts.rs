//! Payouts: the shop's API to pay out from the merchant's balance and follow the payouts.

use super::answers::PayoutList;
use super::{ApiError, AppState};
use super::{AuthShop, JsonBody};
use crate::services::payouts::{NewPayoutRequest, PayoutError, payout_view};
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use shim_api::ErrorCode;
use shim_api::PayoutView;

impl From<PayoutError> for ApiError {
    fn from(error: PayoutError) -> Self {
        match error {
            e @ PayoutError::NotAllowed => {
                ApiError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, e.to_string())
            }
            e @ PayoutError::NoPayoutKey => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::GatewayUnavailable,
                e.to_string(),
            ),
            PayoutError::BalanceShort(message) => {
                ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict, message)
            }
            e @ PayoutError::AddressNotAllowed(_) => {
                ApiError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, e.to_string())
            }
            e @ PayoutError::Rejected(_) => ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::GatewayRejected,
                e.to_string(),
            ),
            PayoutError::NotFound => ApiError::not_found("no payout with that id"),
            PayoutError::Service(e) => e.into(),
        }
    }
}

/// Pays out from the merchant's balance (shops the operator allowed; once per `order_id`).
#[utoipa::path(
    post, path = "/v1/payouts", tag = "payouts",
    request_body = NewPayoutRequest,
    security(("shop_token" = [])),
    responses(
        (status = 201, description = "Sent to the gateway", body = PayoutView),
        (status = 200, description = "The payout this order id already made", body = PayoutView),
        (status = 400, description = "A field is invalid; the message names it", body = shim_api::ErrorBody),
        (status = 401, description = "Missing or unknown shop token", body = shim_api::ErrorBody),
        (status = 403, description = "This shop may not make payouts", body = shim_api::ErrorBody),
        (status = 409, description = "The balance is short, or the order id was used for another payout", body = shim_api::ErrorBody),
        (status = 422, description = "The gateway refused it (address, network, minimum)", body = shim_api::ErrorBody),
        (status = 503, description = "The gateway is unavailable, or the shim has no payout key", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn create(
    State(state): State<AppState>,
    AuthShop(shop): AuthShop,
    JsonBody(request): JsonBody<NewPayoutRequest>,
) -> Result<Response, ApiError> {
    let (payout, created) = state.services.payouts.create_payout(&shop, request).await?;
    Ok(super::created_or_found(created, payout_view(&payout)))
}

/// The shop's payouts, newest first (500 at most).
#[utoipa::path(
    get, path = "/v1/payouts", tag = "payouts",
    security(("shop_token" = [])),
    responses(
        (status = 200, description = "The shop's payouts, newest first", body = PayoutList),
        (status = 401, description = "Missing or unknown shop token", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn list(
    State(state): State<AppState>,
    AuthShop(shop): AuthShop,
) -> Result<Json<PayoutList>, ApiError> {
    let payouts = state.services.payouts.list(&shop.id).await?;
    let views: Vec<PayoutView> = payouts.iter().map(payout_view).collect();
    Ok(Json(PayoutList { payouts: views }))
}

/// One payout; while it is not final, asked of the gateway again (in case its webhook was lost).
#[utoipa::path(
    get, path = "/v1/payouts/{id}", tag = "payouts",
    params(("id" = String, Path, description = "The payout id")),
    security(("shop_token" = [])),
    responses(
        (status = 200, description = "The payout", body = PayoutView),
        (status = 401, description = "Missing or unknown shop token", body = shim_api::ErrorBody),
        (status = 404, description = "No such payout of this shop", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn get(
    State(state): State<AppState>,
    AuthShop(shop): AuthShop,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<PayoutView>, ApiError> {
    let Ok(Path(id)) = id else {
        return Err(ApiError::not_found("no payout with that id"));
    };
    let payout = state.services.payouts.fresh_payout(&id, &shop.id).await?;
    Ok(Json(payout_view(&payout)))
}
