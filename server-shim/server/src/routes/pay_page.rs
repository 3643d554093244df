//! `GET /pay/{id}`: the hosted pay page, the "payment link" a shop can send a payer to.

use super::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use shim_api::InvoiceId;

/// The hosted pay page: the widget for one invoice (a payment link).
#[utoipa::path(
    get, path = "/pay/{id}", tag = "pages",
    params(("id" = String, Path, description = "The invoice id")),
    responses(
        (status = 200, description = "HTML", content_type = "text/html", body = String),
        (status = 404, description = "No such invoice (HTML)", content_type = "text/html", body = String),
    )
)]
pub(super) async fn page(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let id = id.ok().and_then(|Path(id)| InvoiceId::parse(&id));
    let known = match &id {
        Some(id) => match state.checkout.store().invoice(id).await {
            Ok(found) => found.is_some(),
            Err(e) => {
                tracing::error!(error = %e, "could not read an invoice for the pay page");
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Html(shell("Payment", UNAVAILABLE)),
                )
                    .into_response();
            }
        },
        None => false,
    };
    let Some(id) = id.filter(|_| known) else {
        return (
            StatusCode::NOT_FOUND,
            Html(shell("Payment not found", NOT_FOUND)),
        )
            .into_response();
    };
    // The id has passed `InvoiceId::parse`: letters, digits and `_` only, safe in HTML attributes.
    let mut body = format!(
        r#"<main class="pay"><div id="checkout"></div>
<script src="/widget/embed.js" data-invoice="{id}" data-target="checkout" async></script>
<noscript><p>This payment page needs JavaScript to show the payment details.</p></noscript>"#
    );
    if let Some(script) = &state.pay_page_extra.script {
        body.push_str(&format!(
            r#"<section id="sandbox-panel" class="sandbox" data-invoice="{id}" aria-label="Sandbox controls"></section>
<script src="{script}" defer></script>"#
        ));
    }
    body.push_str("</main>");
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_SECURITY_POLICY, PAY_PAGE_CSP),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        Html(shell("Pay with crypto", &body)),
    )
        .into_response()
}

/// Only this shim's scripts run on the pay page (and WebAssembly may compile); nothing is fetched
/// from elsewhere, no plugin runs, and no other site can frame the page to trick a payer. Inline
/// styles are allowed: the widget brings its stylesheet with it.
const PAY_PAGE_CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
    connect-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

const NOT_FOUND: &str = r#"<main class="pay"><h1>Payment not found</h1>
<p>This payment link is not valid. Go back to the shop and start the payment again.</p></main>"#;

const UNAVAILABLE: &str = r#"<main class="pay"><h1>Temporarily unavailable</h1>
<p>The payment page cannot be shown right now. Please reload in a minute.</p></main>"#;

fn shell(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<style>
  body {{ margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f4f5f7; color: #1d2330; }}
  .pay {{ max-width: 440px; margin: 0 auto; padding: 24px 16px; }}
  h1 {{ font-size: 1.4rem; }}
  .sandbox {{ margin-top: 24px; padding: 16px; border: 2px dashed #b7791f; border-radius: 12px; background: #fffaf0; }}
  .sandbox h2 {{ font-size: 1rem; margin: 0 0 8px; }}
  .sandbox button {{ margin: 4px 8px 4px 0; padding: 8px 12px; border-radius: 8px; border: 1px solid #b7791f; background: #fff; cursor: pointer; font: inherit; }}
  .sandbox button:focus-visible {{ outline: 3px solid #2b6cb0; outline-offset: 2px; }}
</style>
</head>
<body>
{body}
</body>
</html>
"#
    )
}
