//! What routes take from a request: [`AuthShop`], the shop a token names, and [`JsonBody`], a
//! JSON body checked the way every route checks one.

use super::error::json_body;
use super::{ApiError, AppState};
use crate::domain::Shop;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// The shop whose token the request carries (`Authorization: Bearer <shop token>`). A route that
/// takes it answers 401, naming what is wrong with the header, before it reads anything else.
#[derive(Debug, Clone)]
pub(super) struct AuthShop(pub Shop);

impl FromRequestParts<AppState> for AuthShop {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("missing Authorization: Bearer <shop token>"))?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be: Bearer <shop token>")
            })?;
        state
            .services
            .shops
            .authenticate(token)
            .await?
            .map(AuthShop)
            .ok_or_else(|| ApiError::unauthorized("unknown shop token"))
    }
}

/// A JSON body of type `T`: declared as JSON (else 415), within the size limit (else 413), with
/// the fields of `T` (else 400 naming what is wrong). The last of a route's arguments.
#[derive(Debug)]
pub(super) struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let headers = request.headers().clone();
        let body = Bytes::from_request(request, state).await;
        json_body(&headers, body).map(JsonBody)
    }
}
