//! Who is calling: the [`AuthShop`] extractor of every route a shop calls with its token.

use super::{ApiError, AppState};
use crate::domain::Shop;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

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
