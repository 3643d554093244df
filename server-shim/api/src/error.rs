//! The error body every endpoint of the shim answers with.

use serde::{Deserialize, Serialize};

/// A machine-readable error code; the message beside it is for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request is malformed or a field is invalid; the message names the field.
    InvalidRequest,
    /// Missing or wrong credentials.
    Unauthorized,
    /// Authenticated (or not needed), but not allowed from here.
    Forbidden,
    /// No such resource.
    NotFound,
    /// The resource exists but takes no requests now (a disabled payment link or pay button).
    Disabled,
    /// The request conflicts with an existing resource (same order id, other amount).
    Conflict,
    /// The request body is larger than the shim accepts.
    PayloadTooLarge,
    /// The body is not JSON, or not declared as such.
    UnsupportedMediaType,
    /// The gateway could not be reached or is overloaded; retrying later may help.
    GatewayUnavailable,
    /// The gateway refused the request.
    GatewayRejected,
    /// The shop's own platform (WooCommerce, ...) could not be reached; retrying later may help.
    ShopUnavailable,
    /// Too many requests from this client; retry after the `Retry-After` seconds.
    RateLimited,
    /// Something failed inside the shim; details are in its logs, never in the body.
    Internal,
    /// A code this build does not know (newer server).
    #[serde(other)]
    Unknown,
}

/// The `error` object of an [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    /// What went wrong, for programs.
    pub code: ErrorCode,
    /// What went wrong and what to fix, for people. Never contains secrets.
    pub message: String,
}

/// `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// The error.
    pub error: ApiError,
}
