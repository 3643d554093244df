//! The shim's HTTP surface. Handlers are thin: parse, call a use case, shape the answer.

mod answers;
mod auth;
mod buttons;
mod console;
mod error;
mod events;
mod history;
mod invoices;
mod ipn;
mod links;
mod openapi;
pub mod pay_page;
mod payouts;
mod plain;
mod platforms;
mod shopify;
mod wallets;
pub mod widget;

pub use error::ApiError;
pub(crate) use events::{peek_stream_request, serve_direct};

use crate::services::Services;
use auth::{AuthShop, JsonBody};
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use std::path::PathBuf;
use tower_http::cors::{Any, CorsLayer};
use tower_http::services::ServeDir;

/// Largest request body the shim reads.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What every handler can reach: one shared allocation, so that the clone each request makes of
/// it (extractors, middleware) is one reference count, not one per field.
#[derive(Debug, Clone)]
pub struct AppState(std::sync::Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
#[derive(Debug)]
pub struct Shared {
    /// The use cases.
    pub services: Services,
    /// Extra markup for the pay page (the demo's sandbox controls); empty in production.
    pub pay_page_extra: PayPageExtra,
    /// The counters behind `/metrics`.
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
    /// Per-client limits on the public endpoints.
    pub limiter: crate::rate_limit::RateLimiter,
    /// Per-client limits on starting payments through pay buttons (each makes an invoice).
    pub button_limiter: crate::rate_limit::RateLimiter,
    /// The bearer token `/metrics` asks for; open without one.
    pub metrics_token: Option<secrecy::SecretString>,
    /// Webhooks applied at once while their answers wait (see `RateLimit::webhook_apply_slots`).
    pub apply_slots: std::sync::Arc<tokio::sync::Semaphore>,
    /// Per-source limits on the gateway's webhook route.
    pub webhook_limiter: crate::rate_limit::RateLimiter,
    /// The live streams held open, per client and in all.
    pub stream_slots: std::sync::Arc<crate::rate_limit::StreamSlots>,
}

impl AppState {
    /// The state of a shim over `checkout`, its public endpoints limited by `rate_limit`.
    pub fn new(
        services: Services,
        metrics: std::sync::Arc<crate::metrics::Metrics>,
        pay_page_extra: PayPageExtra,
        rate_limit: &crate::rate_limit::RateLimit,
        metrics_token: Option<secrecy::SecretString>,
    ) -> Self {
        let (burst, seconds) = crate::services::buttons::CREATE_RATE;
        Self(std::sync::Arc::new(Shared {
            services,
            pay_page_extra,
            metrics,
            limiter: crate::rate_limit::RateLimiter::new(rate_limit.clone()),
            button_limiter: crate::rate_limit::RateLimiter::slow(
                rate_limit.clone(),
                burst,
                seconds,
            ),
            metrics_token,
            apply_slots: std::sync::Arc::new(tokio::sync::Semaphore::new(
                rate_limit.webhook_apply_slots,
            )),
            webhook_limiter: crate::rate_limit::RateLimiter::webhooks(rate_limit.clone()),
            stream_slots: crate::rate_limit::StreamSlots::new(rate_limit),
        }))
    }
}

/// Something added to the hosted pay page below the widget.
#[derive(Debug, Clone, Default)]
pub struct PayPageExtra {
    /// A script URL loaded by the pay page, given the invoice id in `data-invoice` of its panel.
    pub script: Option<&'static str>,
    /// Markup for the pages' `<head>`: preloads of the widget's files (see
    /// [`pay_page::widget_preloads`]).
    pub head: pay_page::WidgetPreloads,
}

/// The shim's routes, with the widget assets served from `widget_dir`.
pub fn router(state: AppState, widget_dir: PathBuf) -> Router {
    // What payers' browsers call, from the shim's pages or embedded on a shop's own domain: open
    // to every origin, and rate-limited per client (by `edge`, which knows them by PUBLIC).
    let handlers = [
        get(invoices::get),
        get(events::stream),
        get(invoices::coins),
        post(invoices::choose_coin),
        get(pay_page::page),
        get(links::open),
        post(buttons::start),
        get(wallets::get),
        get(pay_page::deposit_page),
        get(plain::receipt),
        get(plain::logo),
        get(events::wallet_stream),
        post(plain::choose_coin),
    ];
    let public = PUBLIC
        .iter()
        .zip(handlers)
        .fold(Router::new(), |router, (path, handler)| {
            router.route(path, handler)
        })
        // Before the CORS layer, so that it wraps this fallback too and answers preflights
        // (`OPTIONS`) of these routes; set later, the fallback would replace the wrapped one.
        .method_not_allowed_fallback(method_not_allowed)
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::ACCEPT, header::CONTENT_TYPE])
                // The answers are the same whatever the origin or the preflight asks (`*`, fixed
                // lists), so nothing to vary on; and no `Vary` list to copy on every request.
                .vary([]),
        );
    // The widget's files, precompressed (brotli, gzip) by `cargo xtask build-widget`. Files with a
    // content hash in their name never change: browsers keep them a year. The rest (embed.js,
    // which names the hashed ones) are revalidated on every use, so a returning payer downloads
    // nothing but a 304.
    // From the directory when it holds a built widget, else from inside the binary.
    let files: tower::util::BoxCloneSyncService<
        axum::extract::Request,
        axum::response::Response,
        std::convert::Infallible,
    > = match widget::WidgetFiles::pick(&widget_dir) {
        widget::WidgetFiles::Embedded(files) => {
            tower::util::BoxCloneSyncService::new(tower::service_fn(move |request| async move {
                Ok(widget::serve_embedded(files, request).await)
            }))
        }
        widget::WidgetFiles::Dir(dir) => tower::util::BoxCloneSyncService::new(
            tower::ServiceExt::<axum::extract::Request>::map_response(
                ServeDir::new(dir).precompressed_br().precompressed_gzip(),
                axum::response::IntoResponse::into_response,
            ),
        ),
    };
    let widget = tower::ServiceBuilder::new()
        .map_response(|mut response: axum::response::Response| {
            response.headers_mut().insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
            response
        })
        .layer(axum::middleware::from_fn(widget_cache))
        .service(files);
    Router::new()
        .route("/v1/invoices", post(invoices::create).get(history::list))
        .route("/v1/invoices/{id}/history", get(history::history))
        .route("/v1/invoices/{id}/refund", post(invoices::refund))
        .route("/v1/reports/payments", get(history::report))
        .route("/v1/reports/payments.csv", get(history::report_csv))
        .merge(public)
        .route("/v1/ipn/cryptomus", post(ipn::cryptomus))
        .route("/receipt.js", get(plain::print_script))
        .route("/v1/links", post(links::create).get(links::list))
        .route("/v1/links/{id}/disable", post(links::disable))
        .route("/v1/links/{id}/enable", post(links::enable))
        .route("/v1/buttons", post(buttons::create).get(buttons::list))
        .route("/v1/buttons/{id}/disable", post(buttons::disable))
        .route("/v1/buttons/{id}/enable", post(buttons::enable))
        .route(
            "/v1/platforms/woocommerce/connect",
            post(platforms::connect),
        )
        .route("/v1/platforms/woocommerce/keys", post(platforms::woo_keys))
        .route(
            "/v1/platforms/prestashop/connect",
            post(platforms::connect_prestashop),
        )
        .route("/v1/shopify/proxy/pay", get(shopify::proxy_pay))
        .route("/v1/shopify/webhooks", post(shopify::webhook))
        .route("/v1/wallets", post(wallets::create).get(wallets::list))
        .route("/v1/wallets/{id}/block", post(wallets::block))
        .route("/v1/wallets/{id}/refund", post(wallets::refund))
        .route("/v1/payouts", post(payouts::create).get(payouts::list))
        .route("/v1/payouts/{id}", get(payouts::get))
        .route("/v1/shopify/payments/next/{id}", get(shopify::payment_next))
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi::document))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .nest_service("/widget", widget)
        .merge(console::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(state.clone(), edge))
        .with_state(state)
}

/// What Shopify's payments app calls: payment and refund sessions. Served only where Shopify's
/// client certificate is checked: on the shim's own mutual TLS listener, or on the main one behind
/// a proxy that checks it.
pub fn shopify_payments_router(state: AppState) -> Router {
    Router::new()
        .route(
            "/v1/shopify/payments/sessions",
            post(shopify::payment_session),
        )
        .route(
            "/v1/shopify/payments/refunds",
            post(shopify::refund_session),
        )
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(state.clone(), edge))
        .with_state(state)
}

/// New request ids: uuid-shaped, a random per-process prefix and a counter, so that making one
/// costs no system call (a v4 uuid asks the OS for randomness every time).
#[derive(Debug, Clone)]
struct RequestIds {
    prefix: u64,
    next: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl RequestIds {
    fn new() -> Self {
        let prefix = crate::domain::random_bytes::<8>().map_or_else(
            |_| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64)
            },
            u64::from_le_bytes,
        );
        Self {
            prefix,
            next: std::sync::Arc::default(),
        }
    }
}

impl RequestIds {
    fn next_id(&self) -> String {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = self.prefix;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            p >> 32,
            (p >> 16) & 0xffff,
            p & 0xffff,
            n >> 48,
            n & 0xffff_ffff_ffff
        )
    }
}

/// A request id for an answer made beside the router (a live stream served directly).
/// `201 Created` with `body`, or `200 OK` when the request found what an earlier one made
/// (idempotent creation).
pub(super) fn created_or_found(
    created: bool,
    body: impl serde::Serialize,
) -> axum::response::Response {
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, axum::Json(body)).into_response()
}

fn request_id() -> String {
    static IDS: std::sync::OnceLock<RequestIds> = std::sync::OnceLock::new();
    IDS.get_or_init(RequestIds::new).next_id()
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "`ok`", body = String)))]
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers.
#[utoipa::path(
    get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "`ready`", body = String),
        (status = 503, description = "The database does not answer", body = String),
    )
)]
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.services.shops.ready().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "database not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// The longest a request with a body may take to be answered (reading the body included): longer
/// than the gateway client's own deadline with its retries, so those fail first with a clear error.
const REQUEST_DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);

/// `answer`, or a JSON `503` if it is not ready within `limit`.
async fn within(
    limit: std::time::Duration,
    answer: impl Future<Output = axum::response::Response>,
) -> axum::response::Response {
    match tokio::time::timeout(limit, answer).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!("request timed out");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                shim_api::ErrorCode::Internal,
                format!(
                    "the request took longer than {} s; try again",
                    limit.as_secs_f64()
                ),
            )
            .into_response()
        }
    }
}

/// Whether a widget file name carries a content hash (`checkout.3fa9c01b2e.js`).
fn is_content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let mut parts = name.split('.');
    let (Some(_stem), Some(hash), Some(_ext), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    hash.len() >= 8 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Cache headers for the widget's files: a year for content-hashed names, revalidation for the rest.
async fn widget_cache(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let hashed = is_content_hashed(request.uri().path());
    let mut response = next.run(request).await;
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if hashed {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            }),
        );
    }
    response
}

/// The routes payers' browsers call; see [`router`].
const PUBLIC: [&str; 13] = [
    "/v1/invoices/{id}",
    "/v1/invoices/{id}/events",
    "/v1/invoices/{id}/coins",
    "/v1/invoices/{id}/coin",
    "/pay/{id}",
    "/l/{id}",
    "/v1/buttons/{id}/invoices",
    "/v1/wallets/{id}",
    "/wallet/{id}",
    "/pay/{id}/receipt",
    "/brand/{shop}/logo",
    "/v1/wallets/{id}/events",
    "/pay/{id}/coin",
];

/// What every request goes through, in one layer (each layer costs every request):
/// - a request id, the caller's own `X-Request-Id` or a new one, in the logs' span and the answer;
/// - the per-client rate limit of the [`PUBLIC`] routes: a 429 with `Retry-After`;
/// - a deadline: a request with a body that is not answered within [`REQUEST_DEADLINE`] (a client
///   trickling its body, a stuck dependency) gets a JSON 503 instead of holding the connection.
///   Reads have no body to trickle and answer from memory or one query (whose pool waits at most
///   5 s): they skip the timer;
/// - counts by route pattern (never the raw path, which holds ids) and status, and a log line;
/// - `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` unless set.
async fn edge(
    State(state): State<AppState>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use tracing::Instrument as _;
    let id = match request.headers().get(REQUEST_ID) {
        Some(given) => given.clone(),
        None => {
            let id = HeaderValue::from_str(&request_id())
                .unwrap_or_else(|_| HeaderValue::from_static("-"));
            request.headers_mut().insert(REQUEST_ID, id.clone());
            id
        }
    };
    // A cheap clone (the pattern is shared), not a new string per request.
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .cloned();
    let route = route.as_ref().map_or("unmatched", |p| p.as_str());
    let span = tracing::info_span!(
        "request",
        request_id = id.to_str().unwrap_or("-"),
        method = %request.method(),
        path = %request.uri().path(),
    );
    async move {
        let started = std::time::Instant::now();
        let mut response = if let Some(limited) = over_rate(&state, route, &request) {
            limited
        } else if matches!(request.method(), &Method::GET | &Method::HEAD) {
            next.run(request).await
        } else {
            within(REQUEST_DEADLINE, next.run(request)).await
        };
        let took = started.elapsed();
        let status = response.status();
        state.metrics.request(route, status.as_u16(), took);
        let headers = response.headers_mut();
        headers.insert(REQUEST_ID, id);
        for (name, value) in [
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ] {
            if !headers.contains_key(&name) {
                headers.insert(name, HeaderValue::from_static(value));
            }
        }
        if status.is_server_error() {
            tracing::warn!(
                status = status.as_u16(),
                latency_ms = took.as_secs_f64() * 1e3,
                "request failed"
            );
        } else {
            tracing::info!(
                status = status.as_u16(),
                latency_ms = took.as_secs_f64() * 1e3,
                "request done"
            );
        }
        response
    }
    .instrument(span)
    .await
}

const REQUEST_ID: header::HeaderName = header::HeaderName::from_static("x-request-id");

/// A 429 for a client over its rate on a [`PUBLIC`] route (preflights aside), with `Retry-After`
/// and open to every origin, like the route's own answers.
fn over_rate(
    state: &AppState,
    route: &str,
    request: &axum::extract::Request,
) -> Option<axum::response::Response> {
    if request.method() == Method::OPTIONS || !PUBLIC.contains(&route) {
        return None;
    }
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()?
        .0
        .ip();
    let forwarded = request
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    let client = state.limiter.client(peer, forwarded);
    let retry_after = state.limiter.check(client).err()?;
    Some(
        (
            [(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")],
            ApiError::rate_limited("too many requests", retry_after),
        )
            .into_response(),
    )
}

/// Counters in the Prometheus text format, for operators: with `SHIM_METRICS_TOKEN` set, only to
/// requests that carry it as a bearer token.
#[utoipa::path(
    get, path = "/metrics", tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition", content_type = "text/plain", body = String),
        (status = 401, description = "SHIM_METRICS_TOKEN is set and the request does not carry it", body = shim_api::ErrorBody),
    )
)]
async fn metrics(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, ApiError> {
    if let Some(token) = &state.metrics_token {
        use secrecy::ExposeSecret as _;
        use subtle::ConstantTimeEq as _;
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !bool::from(presented.as_bytes().ct_eq(token.expose_secret().as_bytes())) {
            let mut refused = ApiError::unauthorized(
                "/metrics needs the operators' bearer token (SHIM_METRICS_TOKEN)",
            )
            .into_response();
            refused.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"metrics\""),
            );
            return Ok(refused);
        }
    }
    let text = state.metrics.render(&state.services).await;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        shim_api::ErrorCode::InvalidRequest,
        format!("{method} is not allowed on {}", uri.path()),
    )
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!("no route for {method} {}", uri.path()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_slow_request_gets_a_json_503() {
        let limit = std::time::Duration::from_millis(20);
        let slow = async {
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            StatusCode::OK.into_response()
        };
        let response = within(limit, slow).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "internal");
        let quick = within(limit, async { StatusCode::OK.into_response() }).await;
        assert_eq!(quick.status(), StatusCode::OK);
    }

    #[test]
    fn hashed_widget_names_are_recognised() {
        assert!(is_content_hashed("/widget/checkout.0a1b2c3d4e.js"));
        assert!(is_content_hashed("/widget/checkout_bg.0a1b2c3d4e.wasm"));
        assert!(!is_content_hashed("/widget/embed.js"));
        assert!(!is_content_hashed("/widget/checkout.js.gz"));
        assert!(!is_content_hashed("/widget/a.notahash.js"));
    }
}
