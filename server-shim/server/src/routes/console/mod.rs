//! The merchant console at `/console`: server-rendered pages for the shop's people, behind a
//! sign-in; one small script adds copy buttons, and every page works without it. Every page needs a session; every form carries the session's CSRF
//! token; the pages run under a strict CSP and are never cached.

use super::AppState;
use crate::domain::Shop;
use crate::services::console::ConsoleSession;
use crate::store::ConsoleRole;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, html};

/// Implements [`ConsoleForm`] for forms with a `csrf` field.
macro_rules! console_forms {
    ($($form:ty),*) => {
        $(impl super::ConsoleForm for $form {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        })*
    };
}

mod invoices;
mod money;
mod offers;
mod operator;
mod overview;
mod sign_in;

/// The session cookie's name.
const SESSION_COOKIE: &str = "console_session";

/// Only the console's own script and stylesheet run, nothing is fetched from elsewhere, and no
/// other site may frame the pages or receive their forms.
const CONSOLE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The console's routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(overview::overview))
        .route("/console/sign-in", get(sign_in::form).post(sign_in::submit))
        .route("/console/sign-out", post(sign_in::sign_out))
        .route("/console/invoices", get(invoices::list))
        .route("/console/invoices.csv", get(invoices::export))
        .route("/console/invoices/{id}", get(invoices::one))
        .route("/console/invoices/{id}/refund", post(invoices::refund))
        .route("/console/invoices/{id}/recheck", post(invoices::recheck))
        .route(
            "/console/invoices/{id}/redeliver",
            post(invoices::redeliver),
        )
        .route("/console/invoices/{id}/resolve", post(invoices::resolve))
        .route(
            "/console/links",
            get(offers::links).post(offers::create_link),
        )
        .route("/console/links/{id}/enabled", post(offers::link_enabled))
        .route(
            "/console/buttons",
            get(offers::buttons).post(offers::create_button),
        )
        .route(
            "/console/buttons/{id}/enabled",
            post(offers::button_enabled),
        )
        .route("/console/wallets", get(money::wallets))
        .route("/console/payouts", get(money::payouts).post(money::create))
        .route(
            "/console/shops",
            get(operator::shops).post(operator::shops_action),
        )
        .route(
            "/console/queues",
            get(operator::queues).post(operator::replay),
        )
        .route("/console/console.css", get(stylesheet))
        .route("/console/console.js", get(script))
}

async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", include_str!("console.css"))
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", include_str!("console.js"))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// The value of cookie `name` in the request.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A signed-in console user. Without a session, a page answers with the way to the sign-in page
/// (and back to where the user was going).
#[derive(Debug)]
pub(super) struct Signed(pub ConsoleSession);

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        if let Some(token) = cookie(&parts.headers, SESSION_COOKIE) {
            match state.services.console.session(token).await {
                Ok(Some(session)) => return Ok(Signed(session)),
                Ok(None) => {}
                Err(e) => {
                    tracing::error!(error = %e, "could not read a console session");
                    return Err(message_page(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "Unavailable",
                        "The console cannot be shown right now. Reload in a minute.",
                    ));
                }
            }
        }
        let next = parts
            .uri
            .path_and_query()
            .map_or("/console", |p| p.as_str());
        let to = format!("/console/sign-in?next={}", encode(next));
        Err(Redirect::to(&to).into_response())
    }
}

impl Signed {
    /// Refuses a form whose CSRF token is not this session's (another site's, or an old one).
    fn check_form(&self, given: &str) -> Result<(), Refusal> {
        use subtle::ConstantTimeEq as _;
        let expected = self.0.csrf.as_bytes();
        if given.len() == expected.len() && bool::from(given.as_bytes().ct_eq(expected)) {
            Ok(())
        } else {
            tracing::warn!(email = %self.0.user.email, "a console form without its CSRF token was refused");
            Err(Refusal {
                status: StatusCode::FORBIDDEN,
                title: "Form refused",
                message: "This form was not sent from this console page, or it is too old. Go back, reload the page and send it again.",
            })
        }
    }

    /// Refuses a user who may not move money.
    fn check_moves_money(&self) -> Result<(), Refusal> {
        if self.0.user.role.moves_money() {
            Ok(())
        } else {
            Err(Refusal {
                status: StatusCode::FORBIDDEN,
                title: "Not allowed",
                message: "Staff accounts do not move money: ask the shop's owner to do this.",
            })
        }
    }

    /// The shop the page is about: the user's own, or for an operator the one named by `shop`
    /// (the first shop if none); a "No such shop" page when there is none.
    async fn shop(&self, state: &AppState, asked: Option<&str>) -> Result<Shop, Response> {
        let shops = state.services.store().list_shops().await.map_err(|e| {
            tracing::error!(error = %e, "could not list shops");
            unavailable()
        })?;
        let found = match (&self.0.user.shop_id, self.0.user.role) {
            (Some(own), _) => shops.into_iter().find(|s| &s.id == own),
            (None, ConsoleRole::Operator) => match asked.filter(|s| !s.is_empty()) {
                Some(name) => shops.into_iter().find(|s| s.name == name),
                None => shops.into_iter().next(),
            },
            (None, _) => None,
        };
        found.ok_or_else(|| {
            message_page(
                StatusCode::NOT_FOUND,
                "No such shop",
                "There is no such shop, or this account does not work for it.",
            )
        })
    }

    /// The shops this user may switch between (an operator's), by name.
    async fn shop_names(&self, state: &AppState) -> Vec<String> {
        if self.0.user.role != ConsoleRole::Operator {
            return Vec::new();
        }
        state
            .services
            .store()
            .list_shops()
            .await
            .map(|shops| shops.into_iter().map(|s| s.name).collect())
            .unwrap_or_default()
    }
}

/// A page of one shop's: the signed-in user, and the shop the page is about (theirs, or the one
/// an operator picked with `?shop=`); a "No such shop" page when there is none.
#[derive(Debug)]
pub(super) struct ShopPage(pub Signed, pub Shop);

/// `?shop=NAME`.
#[derive(Debug, Default, serde::Deserialize)]
struct ShopQuery {
    #[serde(default)]
    shop: String,
}

impl FromRequestParts<AppState> for ShopPage {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let signed = Signed::from_request_parts(parts, state).await?;
        let asked = axum::extract::Query::<ShopQuery>::try_from_uri(&parts.uri)
            .map(|axum::extract::Query(q)| q.shop)
            .unwrap_or_default();
        let shop = signed.shop(state, Some(&asked)).await?;
        Ok(ShopPage(signed, shop))
    }
}

/// A console form: it names the CSRF token it carries.
pub(super) trait ConsoleForm {
    /// The `csrf` field.
    fn csrf(&self) -> &str;
}

/// A form posted by a signed-in user, read and checked: its CSRF token is the session's (else a
/// "Form refused" page, and nothing is done). The last of a handler's arguments.
#[derive(Debug)]
pub(super) struct SignedForm<T>(pub Signed, pub T);

impl<T> axum::extract::FromRequest<AppState> for SignedForm<T>
where
    T: serde::de::DeserializeOwned + ConsoleForm + Send,
{
    type Rejection = Response;

    async fn from_request(
        request: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let signed = Signed::from_request_parts(&mut parts, state).await?;
        let request = axum::extract::Request::from_parts(parts, body);
        let axum::extract::Form(form) = axum::extract::Form::<T>::from_request(request, state)
            .await
            .map_err(|_| {
                message_page(
                    StatusCode::BAD_REQUEST,
                    "Form refused",
                    "The form could not be read.",
                )
            })?;
        signed
            .check_form(form.csrf())
            .map_err(IntoResponse::into_response)?;
        Ok(SignedForm(signed, form))
    }
}

/// A request refused, said plainly on a page of its own.
#[derive(Debug)]
pub(super) struct Refusal {
    status: StatusCode,
    title: &'static str,
    message: &'static str,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        message_page(self.status, self.title, self.message)
    }
}

/// `text`, percent-encoded for a query string.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A query string of the given pairs (empty values left out).
fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| format!("{key}={}", encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The console's sections: key, label, path.
const NAVIGATION: [(&str, &str, &str); 6] = [
    ("overview", "Overview", "/console"),
    ("invoices", "Invoices", "/console/invoices"),
    ("links", "Links", "/console/links"),
    ("buttons", "Buttons", "/console/buttons"),
    ("wallets", "Wallets", "/console/wallets"),
    ("payouts", "Payouts", "/console/payouts"),
];

/// The operator's sections.
const OPERATOR_NAVIGATION: [(&str, &str, &str); 2] = [
    ("shops", "Shops", "/console/shops"),
    ("queues", "Queues", "/console/queues"),
];

/// What a page is about, for its frame.
struct Frame<'a> {
    /// The page's title.
    title: &'a str,
    /// The signed-in session (none on the sign-in page).
    session: Option<&'a ConsoleSession>,
    /// The shop the page shows, and the shops an operator may switch to.
    shop: Option<(&'a Shop, Vec<String>)>,
    /// Which navigation entry is this page.
    current: &'static str,
}

/// A whole console page.
fn page(status: StatusCode, frame: Frame<'_>, main: Markup) -> Response {
    let shop_name = frame.shop.as_ref().map(|(shop, _)| shop.name.as_str());
    let with_shop = |path: &str| match (shop_name, frame.shop.as_ref()) {
        (Some(name), Some((_, names))) if !names.is_empty() => {
            format!("{path}?shop={}", encode(name))
        }
        _ => path.to_owned(),
    };
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (frame.title) " · Checkout console" }
                link rel="stylesheet" href="/console/console.css";
                script src="/console/console.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    span.brand { "Checkout console" }
                    @if let Some(session) = frame.session {
                        nav aria-label="Console" {
                            ul {
                                @for (key, label, path) in NAVIGATION.iter().chain(if session.user.role == ConsoleRole::Operator { &OPERATOR_NAVIGATION[..] } else { &[] }) {
                                    li {
                                        a href=(with_shop(path)) aria-current=[(*key == frame.current).then_some("page")] { (label) }
                                    }
                                }
                            }
                        }
                        @if let Some((shop, names)) = &frame.shop {
                            @if names.is_empty() {
                                span.shop { "Shop: " strong { (shop.name) } }
                            } @else {
                                form.shop method="get" action=(NAVIGATION.iter().find(|(key, _, _)| *key == frame.current).map_or("/console", |(_, _, path)| *path)) {
                                    label for="shop-switch" { "Shop" }
                                    select #shop-switch name="shop" {
                                        @for name in names {
                                            option value=(name) selected[name == &shop.name] { (name) }
                                        }
                                    }
                                    button type="submit" { "Switch" }
                                }
                            }
                        }
                        div.account {
                            span { (session.user.email) " (" (session.user.role.as_str()) ")" }
                            form method="post" action="/console/sign-out" {
                                input type="hidden" name="csrf" value=(session.csrf);
                                button type="submit" name="everywhere" value="no" { "Sign out" }
                                button type="submit" name="everywhere" value="yes" { "Sign out everywhere" }
                            }
                        }
                    }
                }
                main #main { (main) }
            }
        }
    };
    let mut response = (status, markup.into_string()).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CONTENT_SECURITY_POLICY, CONSOLE_CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// A page that only says something (an error, a refusal).
fn message_page(status: StatusCode, title: &str, message: &str) -> Response {
    let frame = Frame {
        title,
        session: None,
        shop: None,
        current: "",
    };
    page(
        status,
        frame,
        html! {
            h1 { (title) }
            p { (message) }
            p { a href="/console" { "Back to the console" } }
        },
    )
}

fn unavailable() -> Response {
    message_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Unavailable",
        "The console cannot be shown right now. Reload in a minute.",
    )
}

/// Unix seconds as `2026-12-04 21:05:09 UTC`.
fn when(unix: i64) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}
