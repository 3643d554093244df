//! `GET /pay/{id}`: the hosted pay page, the "payment link" a shop can send a payer to.

use super::AppState;
use super::plain::{self, REFRESH_SECONDS, notice_page};
use crate::services::ServiceError;
use crate::words::Words;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use shim_api::{InvoiceId, Locale};

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
    query: Result<Query<PageQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let locale = page_locale(&query, &headers);
    let words = Words::of(locale);
    let id = id.ok().and_then(|Path(id)| InvoiceId::parse(&id));
    let found = match &id {
        Some(id) => match state.services.invoices.view(id).await {
            Ok(view) => Some(view),
            Err(ServiceError::NotFound) => None,
            Err(e) => {
                tracing::error!(error = %e, "could not read an invoice for the pay page");
                let page = &words.page;
                return notice_page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    words,
                    &page.unavailable_title,
                    &page.unavailable,
                    None,
                );
            }
        },
        None => None,
    };
    let Some(view) = found else {
        let page = &words.page;
        return notice_page(
            StatusCode::NOT_FOUND,
            words,
            &page.not_found_title,
            &page.not_found,
            None,
        );
    };
    let id = &view.id;
    let theme = page_theme(&query);
    let record = state.services.invoices.record(id).await.ok().flatten();
    let brand = match &record {
        Some(record) => plain::ShopBrand::of(&state, &record.shop_id).await,
        None => plain::ShopBrand::default(),
    };
    // Opened from a payment link: what is paid for, and to whom, above the widget; else the
    // merchant's brand, when it has one.
    let link = query.as_ref().ok().and_then(|q| q.link.as_deref());
    let link_header = match (link, &record) {
        (Some(link), Some(record)) => link_header(&state, link, record, &brand).await,
        _ => None,
    };
    let link_header = link_header
        .or_else(|| brand.header(None).map(maud::Markup::into_string))
        .unwrap_or_default();
    let accent = brand.host_style();
    let again = self_url(&format!("/pay/{id}"), &query, locale);
    // No coin yet: the plain page offers the coins too.
    let coins = if view.address.is_none() && view.status == shim_api::InvoiceStatus::Pending {
        state.services.invoices.coins().await.ok()
    } else {
        None
    };
    let fallback =
        plain::invoice(&view, words, &again, coins.as_deref().map(Vec::as_slice)).into_string();
    let refresh = if view.is_final { 0 } else { REFRESH_SECONDS };
    // The id has passed `InvoiceId::parse`: letters, digits and `_` only, safe in HTML attributes.
    let mut body = format!(
        r#"<main class="pay">{link_header}<div id="checkout"{accent}>{fallback}</div>
<script src="/widget/embed.js" data-invoice="{id}" data-target="checkout" data-theme="{theme}" data-refresh="{refresh}" async></script>"#
    );
    if let Some(script) = &state.pay_page_extra.script {
        body.push_str(&format!(
            r#"<section id="sandbox-panel" class="sandbox" data-invoice="{id}" aria-label="Sandbox controls"></section>
<script src="{script}" defer></script>"#
        ));
    }
    body.push_str("</main>");
    let head = &state.pay_page_extra.head.services;
    html_page(
        StatusCode::OK,
        plain::page(
            locale,
            &words.page.pay_title,
            head,
            !view.is_final,
            maud::PreEscaped(body),
        ),
    )
}

/// This page's own address with its `lang` and `theme`, for "check again now".
fn self_url(
    path: &str,
    query: &Result<Query<PageQuery>, QueryRejection>,
    locale: Locale,
) -> String {
    let mut url = format!("{path}?lang={}", locale.tag());
    if let Ok(Query(PageQuery {
        theme: Some(theme), ..
    })) = query
        && matches!(theme.as_str(), "light" | "dark" | "auto")
    {
        url.push_str(&format!("&theme={theme}"));
    }
    if let Ok(Query(PageQuery {
        link: Some(link), ..
    })) = query
        && !link.is_empty()
        && link.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        url.push_str(&format!("&link={link}"));
    }
    url
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
    query: Result<Query<PageQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let locale = page_locale(&query, &headers);
    let words = Words::of(locale);
    let wallets = &state.services.wallets;
    let found = match id {
        Ok(Path(id)) => match wallets.wallet(&id, None).await {
            Ok(record) => wallets
                .wallet_view(&record)
                .await
                .ok()
                .map(|view| (view, record.shop_id)),
            Err(_) => None,
        },
        Err(_) => None,
    };
    let Some((wallet, shop)) = found else {
        let page = &words.page;
        return notice_page(
            StatusCode::NOT_FOUND,
            words,
            &page.deposit_not_found_title,
            &page.deposit_not_found,
            None,
        );
    };
    let theme = page_theme(&query);
    // Wallet ids are `wal_` and hex digits: safe in an HTML attribute.
    let id = escape_html(&wallet.id);
    let again = self_url(&format!("/wallet/{id}"), &query, locale);
    let fallback = plain::wallet(&wallet, words, &again).into_string();
    let brand = plain::ShopBrand::of(&state, &shop).await;
    let header = brand
        .header(None)
        .map(maud::Markup::into_string)
        .unwrap_or_default();
    let accent = brand.host_style();
    let refresh = if wallet.blocked { 0 } else { REFRESH_SECONDS };
    let body = format!(
        r#"<main class="pay">{header}<div id="checkout"{accent}>{fallback}</div>
<script src="/widget/embed.js" data-wallet="{id}" data-target="checkout" data-theme="{theme}" data-refresh="{refresh}" async></script></main>"#
    );
    let head = &state.pay_page_extra.head.deposit;
    html_page(
        StatusCode::OK,
        plain::page(
            locale,
            &words.page.deposit_page_title,
            head,
            !wallet.blocked,
            maud::PreEscaped(body),
        ),
    )
}

/// The `?theme=` asked for, if it is one the widget knows; else `auto`.
fn page_theme<E>(query: &Result<Query<PageQuery>, E>) -> &str {
    query
        .as_ref()
        .ok()
        .and_then(|q| q.theme.as_deref())
        .filter(|t| matches!(*t, "light" | "dark" | "auto"))
        .unwrap_or("auto")
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

/// `?lang=` on the pay page.
#[derive(Debug, serde::Deserialize)]
pub(super) struct PageQuery {
    pub(super) lang: Option<String>,
    pub(super) theme: Option<String>,
    pub(super) link: Option<String>,
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
    brand: &plain::ShopBrand,
) -> Option<String> {
    let Ok(Some((link, _))) = state.services.links.origin_of(link, record).await else {
        return None;
    };
    let price = format!("{} {}", link.amount, link.currency);
    brand
        .header(Some((&link.description, &price)))
        .map(maud::Markup::into_string)
}

/// The page's language: `?lang=`, else the browser's languages (`Accept-Language`, in its order),
/// else English; the widget, reading the page's `lang`, follows it.
pub(super) fn page_locale(
    query: &Result<Query<PageQuery>, QueryRejection>,
    headers: &HeaderMap,
) -> Locale {
    let asked = query.as_ref().ok().and_then(|q| q.lang.as_deref());
    let browser = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    negotiate(asked, browser)
}

fn negotiate(asked: Option<&str>, accept_language: &str) -> Locale {
    let browser = accept_language
        .split(',')
        .filter_map(|part| part.split(';').next());
    Locale::negotiate(asked.into_iter().chain(browser))
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

#[cfg(test)]
mod tests {
    use super::{negotiate, widget_preloads};
    use shim_api::Locale;

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
        assert_eq!(negotiate(Some("de"), "fr-FR,fr;q=0.9"), Locale::De);
        assert_eq!(negotiate(None, "pt-BR,pt;q=0.9,en;q=0.8"), Locale::Pt);
        assert_eq!(
            negotiate(None, "xx-XX, he;q=0.5"),
            Locale::He,
            "the first it speaks"
        );
        assert_eq!(negotiate(None, "*"), Locale::En);
        assert_eq!(negotiate(Some("\"><script>"), ""), Locale::En);
        assert_eq!(negotiate(Some("x"), "ar"), Locale::Ar);
        assert_eq!(negotiate(None, ""), Locale::En);
    }
}
