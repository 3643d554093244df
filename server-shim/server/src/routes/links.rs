//! Payment links: the shop's API to make and manage them, and `GET /l/{id}`, where payers land.

use super::answers::LinkList;
use super::{ApiError, AppState};
use super::{AuthShop, JsonBody};
use crate::domain::Shop;
use crate::services::links::{LinkError, LinkView, NewLinkRequest};
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

/// Makes a payment link.
#[utoipa::path(
    post, path = "/v1/links", tag = "links",
    request_body = NewLinkRequest,
    security(("shop_token" = [])),
    responses(
        (status = 201, description = "The link, with the URL to send payers", body = LinkView),
        (status = 400, description = "A field is invalid; the message names it", body = shim_api::ErrorBody),
        (status = 401, description = "Missing or unknown shop token", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn create(
    State(state): State<AppState>,
    AuthShop(shop): AuthShop,
    JsonBody(request): JsonBody<NewLinkRequest>,
) -> Result<Response, ApiError> {
    let link = state.services.links.create_link(&shop, request).await?;
    Ok((
        StatusCode::CREATED,
        Json(state.services.links.link_view(&link)),
    )
        .into_response())
}

/// The shop's payment links, newest first.
#[utoipa::path(
    get, path = "/v1/links", tag = "links",
    security(("shop_token" = [])),
    responses(
        (status = 200, description = "The shop's links, newest first", body = LinkList),
        (status = 401, description = "Missing or unknown shop token", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn list(
    State(state): State<AppState>,
    AuthShop(shop): AuthShop,
) -> Result<Json<LinkList>, ApiError> {
    let links = state.services.links.list(&shop.id).await?;
    let views: Vec<LinkView> = links
        .iter()
        .map(|l| state.services.links.link_view(l))
        .collect();
    Ok(Json(LinkList { links: views }))
}

async fn set_enabled(
    state: &AppState,
    shop: &Shop,
    id: Result<Path<String>, PathRejection>,
    enabled: bool,
) -> Result<Json<LinkView>, ApiError> {
    let Ok(Path(id)) = id else {
        return Err(ApiError::not_found("no link with that id"));
    };
    let link = state
        .services
        .links
        .set_enabled(&shop.id, &id, enabled)
        .await?
        .ok_or_else(|| ApiError::not_found("no link with that id"))?;
    Ok(Json(state.services.links.link_view(&link)))
}

/// Stops a link: its page says it is disabled.
#[utoipa::path(
    post, path = "/v1/links/{id}/disable", tag = "links",
    params(("id" = String, Path, description = "The link id, `lnk_…`")),
    security(("shop_token" = [])),
    responses(
        (status = 200, description = "The link", body = LinkView),
        (status = 404, description = "The shop has no such link", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn disable(
    State(state): State<AppState>,
    AuthShop(shop): AuthShop,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<LinkView>, ApiError> {
    set_enabled(&state, &shop, id, false).await
}

/// Takes payments through a link again.
#[utoipa::path(
    post, path = "/v1/links/{id}/enable", tag = "links",
    params(("id" = String, Path, description = "The link id, `lnk_…`")),
    security(("shop_token" = [])),
    responses(
        (status = 200, description = "The link", body = LinkView),
        (status = 404, description = "The shop has no such link", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn enable(
    State(state): State<AppState>,
    AuthShop(shop): AuthShop,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<LinkView>, ApiError> {
    set_enabled(&state, &shop, id, true).await
}

/// Where a payer lands: the link's invoice on the hosted pay page, or a page saying why not.
#[utoipa::path(
    get, path = "/l/{id}", tag = "pages",
    params(("id" = String, Path, description = "The link id")),
    responses(
        (status = 303, description = "To the pay page of the link's invoice"),
        (status = 404, description = "No such link (HTML)", content_type = "text/html", body = String),
        (status = 410, description = "Disabled or expired (HTML)", content_type = "text/html", body = String),
        (status = 429, description = "A reusable link with too many payments waiting (HTML)", content_type = "text/html", body = String),
    )
)]
pub(super) async fn open(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let Ok(Path(id)) = id else {
        return closed(StatusCode::NOT_FOUND, &LinkError::NotFound.to_string());
    };
    let client = peer.map_or_else(
        || "unknown".to_owned(),
        |axum::Extension(axum::extract::ConnectInfo(peer))| {
            let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
            state.limiter.client(peer.ip(), forwarded).to_string()
        },
    );
    match state.services.links.open_link(&id, &client).await {
        Ok((link, _, invoice)) => {
            let to = format!("/pay/{}?link={}", invoice.id, link.id);
            ([(header::CACHE_CONTROL, "no-store")], Redirect::to(&to)).into_response()
        }
        Err(LinkError::Service(e)) => ApiError::from(e).into_response(),
        Err(e @ LinkError::NotFound) => closed(StatusCode::NOT_FOUND, &e.to_string()),
        Err(e @ (LinkError::Busy | LinkError::YoursBusy(_))) => {
            closed(StatusCode::TOO_MANY_REQUESTS, &e.to_string())
        }
        Err(e) => closed(StatusCode::GONE, &e.to_string()),
    }
}

fn closed(status: StatusCode, message: &str) -> Response {
    super::pay_page::notice(
        status,
        "Payment link",
        &format!("{}.", capitalized(message)),
        "Ask the merchant for a new link if you still need to pay.",
    )
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
