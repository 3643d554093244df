//! `GET /pay/{id}`: the hosted pay page, the "payment link" a shop can send a payer to.

use super::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use shim_api::InvoiceId;

/// The hosted pay page: the widget for one invoice (a payment link).
#[utoipa::path(
    get, path = "/pay/{id}", tag = "pages",
    params(
        ("id" = String, Path, description = "The invoice id"),
        ("lang" = Option<String>, Query, description = "The payer's language (`de`, `pt-BR`, `ar`); else the browser's"),
        ("theme" = Option<String>, Query, description = "`light`, `dark` or `auto` (the payer's system setting, the default)"),
        ("link" = Option<String>, Query, description = "The payment link the payer came from: its description and the merchant's name are shown"),
    ),
    responses(
        (status = 200, description = "HTML", content_type = "text/html", body = String),
        (status = 404, description = "No such invoice (HTML)", content_type = "text/html", body = String),
    )
)]
pub(super) async fn page(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let lang = requested_language(&query, &headers);
    let id = id.ok().and_then(|Path(id)| InvoiceId::parse(&id));
    let record = match &id {
        Some(id) => match state.services.invoices.record(id).await {
            Ok(found) => found,
            Err(e) => {
                tracing::error!(error = %e, "could not read an invoice for the pay page");
                return html_page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    shell(&lang, "Payment", UNAVAILABLE),
                );
            }
        },
        None => None,
    };
    let Some((id, record)) = id.zip(record) else {
        return html_page(
            StatusCode::NOT_FOUND,
            shell(&lang, "Payment not found", NOT_FOUND),
        );
    };
    let theme = page_theme(&query);
    // Opened from a payment link: what is paid for, and to whom, above the widget.
    let link_header = match query.as_ref().ok().and_then(|q| q.link.as_deref()) {
        Some(link) => link_header(&state, link, &record).await,
        None => String::new(),
    };
    // The id has passed `InvoiceId::parse`: letters, digits and `_` only, safe in HTML attributes.
    let mut body = format!(
        r#"<main class="pay">{link_header}<div id="checkout"></div>
<script src="/widget/embed.js" data-invoice="{id}" data-target="checkout" data-theme="{theme}" async></script>
<noscript><p>This payment page needs JavaScript to show the payment details.</p></noscript>"#
    );
    if let Some(script) = &state.pay_page_extra.script {
        body.push_str(&format!(
            r#"<section id="sandbox-panel" class="sandbox" data-invoice="{id}" aria-label="Sandbox controls"></section>
<script src="{script}" defer></script>"#
        ));
    }
    body.push_str("</main>");
    hosted(
        &state.pay_page_extra.head.services,
        &lang,
        "Pay with crypto",
        &body,
    )
}

/// The hosted deposit page: a customer's permanent deposit address and the deposits that reached
/// it, live (the widget's deposit mode).
#[utoipa::path(
    get, path = "/wallet/{id}", tag = "pages",
    params(
        ("id" = String, Path, description = "The wallet id"),
        ("lang" = Option<String>, Query, description = "The customer's language; else the browser's"),
        ("theme" = Option<String>, Query, description = "`light`, `dark` or `auto`"),
    ),
    responses(
        (status = 200, description = "HTML", content_type = "text/html", body = String),
        (status = 404, description = "No such wallet (HTML)", content_type = "text/html", body = String),
    )
)]
pub(super) async fn deposit_page(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let lang = requested_language(&query, &headers);
    let found = match id {
        Ok(Path(id)) => state.services.wallets.wallet(&id, None).await.ok(),
        Err(_) => None,
    };
    let Some(wallet) = found else {
        return html_page(
            StatusCode::NOT_FOUND,
            shell(&lang, "Deposit address not found", DEPOSIT_NOT_FOUND),
        );
    };
    let theme = page_theme(&query);
    // Wallet ids are `wal_` and hex digits: safe in an HTML attribute.
    let body = format!(
        r#"<main class="pay"><div id="checkout"></div>
<script src="/widget/embed.js" data-wallet="{}" data-target="checkout" data-theme="{theme}" async></script>
<noscript><p>This page needs JavaScript to show the deposit address.</p></noscript></main>"#,
        escape_html(&wallet.id)
    );
    hosted(
        &state.pay_page_extra.head.deposit,
        &lang,
        "Deposit with crypto",
        &body,
    )
}

const DEPOSIT_NOT_FOUND: &str = r#"<main class="pay"><h1>Deposit address not found</h1>
<p>This link is not valid. Go back to the shop and open your deposit page again.</p></main>"#;

/// The `?theme=` asked for, if it is one the widget knows; else `auto`.
fn page_theme<E>(query: &Result<Query<PageQuery>, E>) -> &str {
    query
        .as_ref()
        .ok()
        .and_then(|q| q.theme.as_deref())
        .filter(|t| matches!(*t, "light" | "dark" | "auto"))
        .unwrap_or("auto")
}

/// A hosted page around the widget, with `head` (that build's preloads) in its `<head>`, and its
/// headers: no caching, only this shim's scripts, no framing.
fn hosted(head: &str, lang: &str, title: &str, body: &str) -> Response {
    html_page(StatusCode::OK, shell_with(lang, title, head, body))
}

/// Every HTML page the shim serves to payers (the pay and deposit pages, their notices, the
/// finishing pages): not cached, under the pay page's content policy, and never framed.
pub(super) fn html_page(status: StatusCode, html: String) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_SECURITY_POLICY, PAY_PAGE_CSP),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        Html(html),
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

/// `?lang=` on the pay page.
#[derive(Debug, serde::Deserialize)]
pub(super) struct PageQuery {
    lang: Option<String>,
    theme: Option<String>,
    link: Option<String>,
}

/// A short page for a payer who cannot pay here: `title`, what happened, and what to do.
pub(super) fn notice(status: StatusCode, title: &str, message: &str, hint: &str) -> Response {
    let hint = if hint.is_empty() {
        String::new()
    } else {
        format!("<p>{}</p>", escape_html(hint))
    };
    let body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title></head><body style=\"font-family: system-ui, sans-serif; max-width: 440px; margin: 0 auto; padding: 24px 16px\">\
         <main><h1>{title}</h1><p>{}</p>{hint}</main></body></html>",
        escape_html(message),
        title = escape_html(title),
    );
    html_page(status, body)
}

/// Text for HTML, escaped.
pub fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The merchant's name and the link's description, when the invoice came from that link.
async fn link_header(
    state: &AppState,
    link: &str,
    record: &crate::domain::InvoiceRecord,
) -> String {
    let Ok(Some((link, merchant))) = state.services.links.origin_of(link, record).await else {
        return String::new();
    };
    format!(
        r#"<header class="link"><p class="merchant">{}</p><h1>{}</h1><p class="price">{} {}</p></header>"#,
        escape_html(&merchant),
        escape_html(&link.description),
        escape_html(&link.amount.to_string()),
        escape_html(&link.currency)
    )
}

/// A language tag that is safe in an attribute: letters, digits and `-`, starting with a 2 or 3
/// letter language.
fn language_tag(tag: &str) -> Option<&str> {
    let tag = tag.trim();
    let language = tag.split('-').next()?;
    let ok = (2..=35).contains(&tag.len())
        && (2..=3).contains(&language.len())
        && language.bytes().all(|b| b.is_ascii_alphabetic())
        && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    ok.then_some(tag)
}

/// The page's language: `?lang=`, else the browser's `Accept-Language`.
fn requested_language(
    query: &Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
    headers: &HeaderMap,
) -> String {
    page_language(
        query.as_ref().ok().and_then(|q| q.lang.as_deref()),
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// The page's `lang`: `?lang=`, else the browser's first language, else English. The widget
/// follows it when it speaks it, else the browser's other languages.
fn page_language(asked: Option<&str>, accept_language: Option<&str>) -> String {
    asked
        .and_then(language_tag)
        .or_else(|| {
            accept_language?
                .split(',')
                .filter_map(|part| part.split(';').next())
                .find_map(language_tag)
        })
        .unwrap_or("en")
        .to_owned()
}

/// The `<head>` markup of the pages that show the widget: each build's preloads.
#[derive(Debug, Clone, Default)]
pub struct WidgetPreloads {
    /// For the pay page (`checkout.js`, the widget for invoices).
    pub services: std::sync::Arc<str>,
    /// For the deposit page (`deposit.js`, the deposit card).
    pub deposit: std::sync::Arc<str>,
}

/// `<link>`s that start fetching each build's module and WebAssembly with the page itself, named
/// by the `manifest.json` of `cargo xtask build-widget`; empty when there is none.
pub fn widget_preloads(widget_dir: &std::path::Path) -> WidgetPreloads {
    let Some(text) = super::widget::WidgetFiles::pick(widget_dir)
        .read("manifest.json")
        .and_then(|bytes| String::from_utf8(bytes).ok())
    else {
        return WidgetPreloads::default();
    };
    let Ok(manifest) = serde_json::from_str::<serde_json::Value>(&text) else {
        tracing::warn!("widget manifest.json is not JSON; pay pages will not preload the widget");
        return WidgetPreloads::default();
    };
    let safe = |key: &str| {
        manifest[key].as_str().filter(|name| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        })
    };
    let head = |name: &str| {
        let mut head = String::new();
        if let Some(js) = safe(&format!("{name}.js")) {
            head.push_str(&format!(
                r#"<link rel="modulepreload" href="/widget/{js}">"#
            ));
        }
        if let Some(wasm) = safe(&format!("{name}_bg.wasm")) {
            head.push_str(&format!(
                r#"<link rel="preload" href="/widget/{wasm}" as="fetch" type="application/wasm" crossorigin>"#
            ));
        }
        head.into()
    };
    WidgetPreloads {
        services: head("checkout"),
        deposit: head("deposit"),
    }
}

fn shell(lang: &str, title: &str, body: &str) -> String {
    shell_with(lang, title, "", body)
}

fn shell_with(lang: &str, title: &str, head: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
{head}
<style>
  body {{ margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f4f5f7; color: #1d2330; }}
  .pay {{ max-width: 440px; margin: 0 auto; padding: 24px 16px; }}
  h1 {{ font-size: 1.4rem; }}
  .link {{ margin-bottom: 16px; }} .link .merchant {{ color: #4a5568; margin: 0; }} .link h1 {{ margin: 4px 0; }} .link .price {{ margin: 0; font-weight: 600; }}
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

#[cfg(test)]
mod tests {
    use super::{page_language, widget_preloads};

    #[test]
    fn the_page_preloads_the_widget_named_in_its_manifest() {
        let dir = std::env::temp_dir().join(format!("shim-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(
            &*widget_preloads(&dir).services,
            "",
            "no build, no preloads"
        );
        std::fs::write(
            dir.join("manifest.json"),
            r#"{"checkout.js": "checkout.0a1b2c3d4e.js", "checkout_bg.wasm": "x\"><script>.wasm",
                "deposit.js": "deposit.1a1b2c3d4e.js", "deposit_bg.wasm": "deposit_bg.2a1b2c3d4e.wasm"}"#,
        )
        .unwrap();
        let head = widget_preloads(&dir);
        assert_eq!(
            &*head.services, r#"<link rel="modulepreload" href="/widget/checkout.0a1b2c3d4e.js">"#,
            "a name that is not a plain file name is left out"
        );
        assert_eq!(
            &*head.deposit,
            r#"<link rel="modulepreload" href="/widget/deposit.1a1b2c3d4e.js"><link rel="preload" href="/widget/deposit_bg.2a1b2c3d4e.wasm" as="fetch" type="application/wasm" crossorigin>"#,
            "the deposit page preloads the deposit card's build"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_page_speaks_what_was_asked_or_what_the_browser_prefers() {
        assert_eq!(page_language(Some("de"), Some("fr-FR,fr;q=0.9")), "de");
        assert_eq!(
            page_language(None, Some("pt-BR,pt;q=0.9,en;q=0.8")),
            "pt-BR"
        );
        assert_eq!(page_language(None, Some("*")), "en");
        assert_eq!(page_language(Some("\"><script>"), None), "en");
        assert_eq!(page_language(Some("x"), Some("ar")), "ar");
        assert_eq!(page_language(None, None), "en");
    }
}
