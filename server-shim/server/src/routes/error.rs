//! The one error type of the HTTP layer: every failure becomes `{"error":{"code","message"}}`.

use crate::services::{IpnError, ServiceError};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use shim_api::{ApiError as WireError, ErrorBody, ErrorCode};
use shim_gateway::GatewayError;

/// An error answer. 5xx messages say nothing internal; the cause goes to the log when the error is
/// made.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    /// Seconds a client should wait (`Retry-After`), for a 429.
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with the given parts.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 429 `rate_limited`: `what` may be asked again in `retry_after` seconds.
    pub fn rate_limited(what: &str, retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                format!("{what}; retry in {retry_after} s"),
            )
        }
    }

    /// 400 `invalid_request`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest, message)
    }

    /// 401 `unauthorized`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, message)
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    /// 500 `internal`, logging the cause.
    pub fn internal(cause: &dyn std::error::Error) -> Self {
        tracing::error!(error = %chain(cause), "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "internal error; see the shim's log",
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// What went wrong, as the answer's body says it.
    pub fn message(&self) -> &str {
        &self.message
    }
}

fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: WireError {
                code: self.code,
                message: self.message,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        }
        response
    }
}

impl From<crate::store::StoreError> for ApiError {
    /// A store failure is the shim's own: a 500, its cause in the log.
    fn from(error: crate::store::StoreError) -> Self {
        Self::internal(&error)
    }
}

impl From<GatewayError> for ApiError {
    fn from(error: GatewayError) -> Self {
        match &error {
            GatewayError::InvalidRequest(_) | GatewayError::Validation(_) => Self::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::GatewayRejected,
                error.to_string(),
            ),
            GatewayError::Unavailable(_) => {
                tracing::warn!(error = %error, "gateway unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::GatewayUnavailable,
                    "the payment gateway cannot be reached right now; try again shortly",
                )
            }
            GatewayError::InvalidSign => {
                tracing::error!(
                    "the gateway refused our signature: check SHIM_MERCHANT_UUID and SHIM_PAYMENT_KEY"
                );
                Self::new(
                    StatusCode::BAD_GATEWAY,
                    ErrorCode::GatewayRejected,
                    "the payment gateway refused the shim's credentials; the merchant must check its configuration",
                )
            }
            GatewayError::NotFound(_) | GatewayError::Rejected(_) => {
                tracing::error!(error = %error, "gateway refused a call");
                Self::new(
                    StatusCode::BAD_GATEWAY,
                    ErrorCode::GatewayRejected,
                    error.to_string(),
                )
            }
            GatewayError::Decode(_) => {
                tracing::error!(error = %error, "gateway answered something unreadable");
                Self::new(
                    StatusCode::BAD_GATEWAY,
                    ErrorCode::GatewayRejected,
                    "the payment gateway's answer could not be read; see the shim's log",
                )
            }
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Invalid(message) => Self::invalid(message),
            ServiceError::Conflict(message) => {
                Self::new(StatusCode::CONFLICT, ErrorCode::Conflict, message)
            }
            ServiceError::NotFound => Self::not_found("no invoice with that id"),
            ServiceError::ShopUnavailable(message) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::ShopUnavailable,
                message,
            ),
            ServiceError::Gateway(e) => e.into(),
            ServiceError::Store(e) => Self::internal(&e),
            ServiceError::Random(e) => Self::internal(&e),
        }
    }
}

impl From<IpnError> for ApiError {
    fn from(error: IpnError) -> Self {
        match error {
            IpnError::Rejected(e) => {
                tracing::warn!(error = %e, "webhook rejected");
                Self::unauthorized(format!("webhook rejected: {e}"))
            }
            IpnError::GatewayUnavailable(e) => {
                tracing::warn!(error = %chain(&e), "could not re-fetch a webhook's payment");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::GatewayUnavailable,
                    "could not confirm the payment with the gateway; send the webhook again",
                )
            }
            IpnError::Gateway(e) => {
                tracing::error!(error = %chain(&e), "the gateway refused to confirm a webhook's payment");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    "the shim could not confirm the payment with the gateway; see the shim's log",
                )
            }
            IpnError::Store(e) => Self::internal(&e),
        }
    }
}

/// Reads a JSON body: the declared type must be JSON, the body within the limit, and the fields
/// those of `T`. Each failure says what to fix.
pub fn json_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
        });
    if !is_json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "send the body as JSON with Content-Type: application/json",
        ));
    }
    let bytes = body.map_err(body_error)?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::invalid(format!("invalid JSON body: {e}")))
}

/// A body that could not be read: too large, or broken in transit.
pub fn body_error(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            format!("request body is larger than {} bytes", super::BODY_LIMIT),
        )
    } else {
        ApiError::invalid("could not read the request body")
    }
}
