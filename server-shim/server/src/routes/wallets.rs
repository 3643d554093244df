//! Static deposit addresses: the shop's API to make, list, block and refund them, and the public
//! view the widget's deposit mode reads.

use super::answers::{Refund, ShopWallet, WalletList};
use super::error::json_body;
use super::{ApiError, AppState};
use super::{AuthShop, JsonBody};
use crate::services::wallets::{NewWalletRequest, WalletError};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use shim_api::WalletView;

impl From<WalletError> for ApiError {
    fn from(error: WalletError) -> Self {
        match error {
            WalletError::NotFound => ApiError::not_found("no wallet with that id"),
            WalletError::Blocked => ApiError::new(
                StatusCode::CONFLICT,
                shim_api::ErrorCode::Conflict,
                "the wallet is blocked",
            ),
            WalletError::Service(e) => e.into(),
        }
    }
}

/// The view with the shop's reference for its customer (the public view leaves it out).
fn shop_view(wallet: WalletView, customer: &str) -> ShopWallet {
    ShopWallet {
        wallet,
        customer: customer.to_owned(),
    }
}

/// Gives a customer a static deposit address for a coin (the same one when asked again).
#[utoipa::path(
    post, path = "/v1/wallets", tag = "wallets",
    request_body = NewWalletRequest,
    security(("shop_token" = [])),
    responses(
        (status = 201, description = "Made: the wallet, with `customer`", body = WalletView),
        (status = 200, description = "The customer already had it", body = WalletView),
        (status = 400, description = "A field is invalid; the message names it", body = shim_api::ErrorBody),
        (status = 401, description = "Missing or unknown shop token", body = shim_api::ErrorBody),
        (status = 422, description = "The gateway does not offer that coin and network", body = shim_api::ErrorBody),
        (status = 503, description = "The gateway is unavailable", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn create(
    State(state): State<AppState>,
    AuthShop(shop): AuthShop,
    JsonBody(request): JsonBody<NewWalletRequest>,
) -> Result<Response, ApiError> {
    let (wallet, created) = state.services.wallets.create_wallet(&shop, request).await?;
    let view = state.services.wallets.wallet_view(&wallet).await?;
    Ok(super::created_or_found(
        created,
        shop_view(view, &wallet.customer),
    ))
}

/// `GET /v1/wallets?customer=...`.
#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    customer: Option<String>,
}

/// The shop's wallets, newest first (500 at most); one customer's with `?customer=`.
#[utoipa::path(
    get, path = "/v1/wallets", tag = "wallets",
    params(("customer" = Option<String>, Query, description = "Only this customer's wallets")),
    security(("shop_token" = [])),
    responses(
        (status = 200, description = "The shop's wallets, newest first, each with its customer", body = WalletList),
        (status = 401, description = "Missing or unknown shop token", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn list(
    State(state): State<AppState>,
    AuthShop(shop): AuthShop,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<WalletList>, ApiError> {
    let Ok(Query(query)) = query else {
        return Err(ApiError::invalid("customer must be text"));
    };
    let wallets = state
        .services
        .wallets
        .list(&shop.id, query.customer.as_deref())
        .await?;
    let mut views = Vec::with_capacity(wallets.len());
    for wallet in wallets.iter().filter(|w| w.address.is_some()) {
        views.push(shop_view(
            state.services.wallets.wallet_view(wallet).await?,
            &wallet.customer,
        ));
    }
    Ok(Json(WalletList { wallets: views }))
}

/// A wallet as the widget shows it: address, payment URI, deposits, credited total (public, CORS
/// open: the id is the capability, like an invoice's).
#[utoipa::path(
    get, path = "/v1/wallets/{id}", tag = "wallets",
    params(("id" = String, Path, description = "The wallet id")),
    responses(
        (status = 200, description = "The wallet", body = WalletView),
        (status = 404, description = "No such wallet", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn get(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<WalletView>, ApiError> {
    let Ok(Path(id)) = id else {
        return Err(ApiError::not_found("no wallet with that id"));
    };
    let wallet = state.services.wallets.wallet(&id, None).await?;
    Ok(Json(state.services.wallets.wallet_view(&wallet).await?))
}

/// `POST /v1/wallets/{id}/block`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct BlockRequest {
    /// Send what arrives later back to its senders (the gateway's forced refund).
    #[serde(default)]
    refund: bool,
}

/// Blocks a wallet: it takes no more deposits.
#[utoipa::path(
    post, path = "/v1/wallets/{id}/block", tag = "wallets",
    params(("id" = String, Path, description = "The wallet id")),
    request_body = BlockRequest,
    security(("shop_token" = [])),
    responses(
        (status = 200, description = "Blocked: the wallet", body = ShopWallet),
        (status = 401, description = "Missing or unknown shop token", body = shim_api::ErrorBody),
        (status = 404, description = "No such wallet of this shop", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn block(
    State(state): State<AppState>,
    AuthShop(shop): AuthShop,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ShopWallet>, ApiError> {
    let Ok(Path(id)) = id else {
        return Err(ApiError::not_found("no wallet with that id"));
    };
    let empty = body.as_ref().is_ok_and(Bytes::is_empty);
    let request: BlockRequest = if empty {
        BlockRequest::default()
    } else {
        json_body(&headers, body)?
    };
    let wallet = state.services.wallets.wallet(&id, Some(&shop.id)).await?;
    state
        .services
        .wallets
        .block_wallet(&wallet, request.refund)
        .await?;
    let wallet = state.services.wallets.wallet(&id, Some(&shop.id)).await?;
    let view = state.services.wallets.wallet_view(&wallet).await?;
    Ok(Json(shop_view(view, &wallet.customer)))
}

/// `POST /v1/wallets/{id}/refund`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RefundRequest {
    /// Where the money goes.
    address: String,
}

/// The one refund of a blocked wallet's money.
#[utoipa::path(
    post, path = "/v1/wallets/{id}/refund", tag = "wallets",
    params(("id" = String, Path, description = "The wallet id")),
    request_body = RefundRequest,
    security(("shop_token" = [])),
    responses(
        (status = 200, description = "What goes back, and the gateway's commission", body = Refund),
        (status = 400, description = "No address", body = shim_api::ErrorBody),
        (status = 404, description = "No such wallet of this shop", body = shim_api::ErrorBody),
        (status = 409, description = "The wallet is not blocked, or the gateway refused: refunded already, nothing to refund", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn refund(
    State(state): State<AppState>,
    AuthShop(shop): AuthShop,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Refund>, ApiError> {
    let Ok(Path(id)) = id else {
        return Err(ApiError::not_found("no wallet with that id"));
    };
    let request: RefundRequest = json_body(&headers, body)?;
    let wallet = state.services.wallets.wallet(&id, Some(&shop.id)).await?;
    let (commission, amount) = state
        .services
        .wallets
        .refund_blocked_wallet(&wallet, &request.address)
        .await?;
    Ok(Json(Refund {
        amount: amount.normalize().to_string(),
        commission: commission.normalize().to_string(),
    }))
}
