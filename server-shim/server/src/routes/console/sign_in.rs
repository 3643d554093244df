//! Signing in and out. The sign-in form is protected against cross-site posts by a token in both
//! a cookie and the form (no session exists yet to hold one).

use super::{Frame, SESSION_COOKIE, SignedForm, cookie, message_page, page};
use crate::domain::random_bytes;
use crate::routes::AppState;
use crate::services::console::{GUESSES, SESSION_LIFETIME, SignIn};
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

/// The sign-in form's own cookie.
const FORM_COOKIE: &str = "console_sign_in";

#[derive(Debug, Deserialize)]
pub(super) struct Next {
    next: Option<String>,
}

/// Where to go after signing in: a console page, never another site.
fn next_page(next: Option<&str>) -> &str {
    next.filter(|n| {
        (*n == "/console" || n.starts_with("/console/") || n.starts_with("/console?"))
            && !n.contains("//")
            && !n.contains('\\')
    })
    .unwrap_or("/console")
}

fn cookie_header(name: &str, value: &str, max_age: i64) -> HeaderValue {
    let text = format!(
        "{name}={value}; Path=/console; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict"
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The sign-in page, with `error` above the form.
fn form_page(status: StatusCode, next: &str, email: &str, error: Option<&str>) -> Response {
    let token = random_bytes::<16>().map(hex::encode).unwrap_or_default();
    let frame = Frame {
        title: "Sign in",
        session: None,
        shop: None,
        current: "",
    };
    let main = html! {
        h1 { "Sign in" }
        @if let Some(error) = error {
            p.error role="alert" #sign-in-error { (error) }
        }
        form.stack method="post" action="/console/sign-in" {
            input type="hidden" name="form_token" value=(token);
            input type="hidden" name="next" value=(next);
            label for="email" { "Email" }
            input #email type="email" name="email" value=(email) autocomplete="username" required
                aria-describedby=[error.map(|_| "sign-in-error")];
            label for="password" { "Password" }
            input #password type="password" name="password" autocomplete="current-password" required;
            button type="submit" { "Sign in" }
        }
        p.hint { "Accounts are made by the shim's operator (" code { "server-shim users add" } ")." }
    };
    let mut response = page(status, frame, main);
    response
        .headers_mut()
        .append(header::SET_COOKIE, cookie_header(FORM_COOKIE, &token, 3600));
    response
}

/// `GET /console/sign-in`.
pub(super) async fn form(next: Result<Query<Next>, QueryRejection>) -> Response {
    let next = next.as_ref().ok().and_then(|Query(n)| n.next.as_deref());
    form_page(StatusCode::OK, next_page(next), "", None)
}

#[derive(Debug, Deserialize)]
pub(super) struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /console/sign-in`.
pub(super) async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return form_page(
            StatusCode::BAD_REQUEST,
            "/console",
            "",
            Some("The form could not be read. Fill it in again."),
        );
    };
    let next = next_page(form.next.as_deref()).to_owned();
    let expected = cookie(&headers, FORM_COOKIE).unwrap_or_default();
    if expected.is_empty() || expected != form.form_token {
        return form_page(
            StatusCode::FORBIDDEN,
            &next,
            &form.email,
            Some("This sign-in form is too old or came from elsewhere. Sign in again here."),
        );
    }
    match state
        .services
        .console
        .sign_in(&form.email, &form.password)
        .await
    {
        Ok(SignIn::Welcome(token)) => {
            let mut response = Redirect::to(&next).into_response();
            let headers = response.headers_mut();
            headers.append(
                header::SET_COOKIE,
                cookie_header(SESSION_COOKIE, &token, SESSION_LIFETIME),
            );
            headers.append(header::SET_COOKIE, cookie_header(FORM_COOKIE, "", 0));
            response
        }
        Ok(SignIn::Wrong) => form_page(
            StatusCode::UNAUTHORIZED,
            &next,
            &form.email,
            Some("Wrong email or password."),
        ),
        Ok(SignIn::SlowDown(seconds)) => {
            let minutes = (seconds + 59) / 60;
            let message = format!(
                "{GUESSES} wrong passwords for this email in a short time: sign-in for it is paused. Try again in {minutes} minute{}.",
                if minutes == 1 { "" } else { "s" }
            );
            let mut response = form_page(
                StatusCode::TOO_MANY_REQUESTS,
                &next,
                &form.email,
                Some(&message),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "console sign-in failed");
            message_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Unavailable",
                "Signing in is not possible right now. Try again in a minute.",
            )
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct SignOutForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    everywhere: String,
}

/// `POST /console/sign-out`: this browser, or (`everywhere=yes`) every browser of the user.
pub(super) async fn sign_out(
    State(state): State<AppState>,
    SignedForm(signed, form): SignedForm<SignOutForm>,
) -> Response {
    if let Err(e) = state
        .services
        .console
        .sign_out(&signed.0, form.everywhere == "yes")
        .await
    {
        tracing::error!(error = %e, "console sign-out failed");
        return super::unavailable();
    }
    let mut response = Redirect::to("/console/sign-in").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, cookie_header(SESSION_COOKIE, "", 0));
    response
}

console_forms!(SignOutForm);
