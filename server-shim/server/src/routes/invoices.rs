//! `POST /v1/invoices` and `POST /v1/invoices/{id}/refund` (shops), `GET /v1/invoices/{id}` and
//! the coin picker (the widget).

use super::JsonBody;
use super::{ApiError, AppState, AuthShop, error::json_body};
use crate::services::{invoice_view, now, refund_view};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shim_api::{
    ChooseCoinRequest, CoinList, CreateInvoiceRequest, InvoiceId, InvoiceView, RefundAnswer,
    RefundRequest,
};

/// The answer to a shop: the invoice as the payer sees it, plus where to send the payer.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct CreatedInvoice {
    #[serde(flatten)]
    invoice: InvoiceView,
    /// The shop's order id.
    order_id: String,
    /// The hosted pay page.
    pay_url: String,
}

/// Creates the invoice for a shop's order, or returns the one it already has.
///
/// Idempotent per shop and `order_id`: the same request returns the same invoice (200); the same
/// `order_id` with another amount or currency is a 409.
#[utoipa::path(
    post, path = "/v1/invoices", tag = "invoices",
    request_body = CreateInvoiceRequest,
    security(("shop_token" = [])),
    responses(
        (status = 201, description = "Created", body = CreatedInvoice),
        (status = 200, description = "The order's existing invoice", body = CreatedInvoice),
        (status = 400, description = "A field is invalid; the message names it", body = shim_api::ErrorBody),
        (status = 401, description = "Missing or unknown shop token", body = shim_api::ErrorBody),
        (status = 409, description = "The order already has an invoice for another amount", body = shim_api::ErrorBody),
        (status = 415, description = "The body is not JSON", body = shim_api::ErrorBody),
        (status = 503, description = "The gateway cannot be reached; retry", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn create(
    State(state): State<AppState>,
    AuthShop(shop): AuthShop,
    JsonBody(request): JsonBody<CreateInvoiceRequest>,
) -> Result<Response, ApiError> {
    let (record, created) = state
        .services
        .invoices
        .create_invoice(&shop, request)
        .await?;
    let pay_url = format!("{}/pay/{}", state.services.public_url(), record.id);
    let answer = CreatedInvoice {
        invoice: invoice_view(&record, now()),
        order_id: record.order_id,
        pay_url,
    };
    Ok(super::created_or_found(created, answer))
}

/// The invoice as the payer sees it (the widget polls this when it cannot stream).
#[utoipa::path(
    get, path = "/v1/invoices/{id}", tag = "invoices",
    params(("id" = String, Path, description = "The invoice id, `inv_…`")),
    responses(
        (status = 200, description = "The invoice", body = InvoiceView),
        (status = 404, description = "No such invoice", body = shim_api::ErrorBody),
        (status = 429, description = "Too many requests from this client", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn get(
    State(state): State<AppState>,
    params: Result<axum::extract::RawPathParams, axum::extract::rejection::RawPathParamsRejection>,
) -> Result<impl IntoResponse, ApiError> {
    // The hottest route (every widget polls it): the id is read in place, not copied first.
    let id = params
        .ok()
        .and_then(|params| {
            params
                .iter()
                .next()
                .and_then(|(_, id)| InvoiceId::parse(id))
        })
        .ok_or_else(|| ApiError::not_found("no invoice with that id"))?;
    let json = state.services.invoices.view_json(&id).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json))
}

pub(super) fn invoice_id(id: Result<Path<String>, PathRejection>) -> Result<InvoiceId, ApiError> {
    id.ok()
        .and_then(|Path(id)| InvoiceId::parse(&id))
        .ok_or_else(|| ApiError::not_found("no invoice with that id"))
}

/// The coins the payer may pick (the widget's coin picker), from the gateway's services list.
#[utoipa::path(
    get, path = "/v1/invoices/{id}/coins", tag = "invoices",
    params(("id" = String, Path, description = "The invoice id")),
    responses(
        (status = 200, description = "The coins on offer", body = CoinList),
        (status = 404, description = "No such invoice", body = shim_api::ErrorBody),
        (status = 503, description = "The gateway cannot be reached; retry", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn coins(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<CoinList>, ApiError> {
    let id = invoice_id(id)?;
    // Only for invoices that exist: the list is not an open proxy to the gateway.
    state.services.invoices.view(&id).await?;
    let coins = state.services.invoices.coins().await?;
    Ok(Json(CoinList {
        coins: coins.as_ref().clone(),
    }))
}

/// The payer picks a coin: the invoice gets a payment in it and shows its address.
#[utoipa::path(
    post, path = "/v1/invoices/{id}/coin", tag = "invoices",
    params(("id" = String, Path, description = "The invoice id")),
    request_body = ChooseCoinRequest,
    responses(
        (status = 200, description = "The invoice, now in that coin", body = InvoiceView),
        (status = 400, description = "Not a coin on offer, or a malformed body", body = shim_api::ErrorBody),
        (status = 404, description = "No such invoice", body = shim_api::ErrorBody),
        (status = 409, description = "Paid, closed or expired: the coin can no longer change", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn choose_coin(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<InvoiceView>, ApiError> {
    let id = invoice_id(id)?;
    let choice: ChooseCoinRequest = json_body(&headers, body)?;
    let code = |value: &str, max: usize| {
        !value.is_empty()
            && value.len() <= max
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if !code(choice.currency.trim(), 10) {
        return Err(ApiError::invalid(
            "currency must be a coin code of 1 to 10 letters or digits, like USDT",
        ));
    }
    if !code(choice.network.trim(), 20) {
        return Err(ApiError::invalid(
            "network must be a network code of 1 to 20 letters, digits, - or _, like tron",
        ));
    }
    Ok(Json(
        state.services.invoices.choose_coin(&id, &choice).await?,
    ))
}

/// Refunds a paid or overpaid invoice to the payer's address through the gateway: the payer gets
/// back all they paid (the gateway's commission comes from the merchant's balance).
///
/// One refund per invoice unless it fails: asking again for the same address returns the refund
/// asked for (200), and sends it again if the gateway's answer was lost; another address is a 409.
/// The invoice then moves through `refunding` to `refunded` or `refund_failed` as the gateway
/// reports, and the shop's platform and callback hear of it as of any status.
#[utoipa::path(
    post, path = "/v1/invoices/{id}/refund", tag = "invoices",
    params(("id" = String, Path, description = "The invoice id, `inv_…`")),
    request_body = RefundRequest,
    security(("shop_token" = [])),
    responses(
        (status = 201, description = "The gateway took the refund", body = RefundAnswer),
        (status = 200, description = "The refund asked for before", body = RefundAnswer),
        (status = 400, description = "A field is invalid, or the gateway refused the address; the message says which", body = shim_api::ErrorBody),
        (status = 401, description = "Missing or unknown shop token", body = shim_api::ErrorBody),
        (status = 404, description = "The shop has no such invoice", body = shim_api::ErrorBody),
        (status = 409, description = "Not paid, refunded already, or refused by the gateway; the message says why", body = shim_api::ErrorBody),
        (status = 503, description = "The gateway cannot be reached; ask again with the same address", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn refund(
    State(state): State<AppState>,
    AuthShop(shop): AuthShop,
    id: Result<Path<String>, PathRejection>,
    JsonBody(request): JsonBody<RefundRequest>,
) -> Result<Response, ApiError> {
    let id = invoice_id(id)?;
    let (record, refund, created) = state
        .services
        .invoices
        .refund(&shop.id, &id, &request, "api")
        .await?;
    let answer = RefundAnswer {
        invoice: invoice_view(&record, now()),
        refund: refund_view(&refund),
    };
    Ok(super::created_or_found(created, answer))
}
