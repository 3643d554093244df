//! What the pay and deposit pages say in plain HTML, rendered by the shim: everything a payer needs
//! to pay (amount, network warning, address, a QR code of the same payment URI the widget shows,
//! the status) in a browser that runs no WebAssembly or no script at all (iOS Lockdown Mode, some
//! wallets' in-app browsers, locked-down office machines). It stands inside the widget's host
//! element: the widget, when it loads, renders into that element's shadow root, which hides it.
//! Until the invoice is final the page reloads itself every [`REFRESH_SECONDS`].
//!
//! Also the receipt at `/pay/{id}/receipt`, printable, in the payer's language.

use super::AppState;
use super::pay_page::{PageQuery, html_page, page_locale};
use crate::domain::ShopId;
use crate::services::invoices::Receipt;
use crate::store::Brand;
use crate::words::{Words, fill};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use shim_api::network::{address_edges, explorer_url, fee_coin, network_name, wallet_link};
use shim_api::{
    ChooseCoinRequest, CoinOption, InvoiceId, InvoiceStatus, InvoiceView, Locale, WalletView,
    locale::amount,
};

/// What payers see of the shop behind a page: its name and, when the merchant set them, its logo
/// and accent colour (`server-shim shops brand`).
#[derive(Debug, Clone, Default)]
pub struct ShopBrand {
    /// The shop.
    pub shop: Option<ShopId>,
    /// The shop's own name.
    pub name: String,
    /// What the merchant set.
    pub brand: Brand,
}

impl ShopBrand {
    /// Shop `shop`'s; a shop that cannot be read shows no brand.
    pub async fn of(state: &AppState, shop: &ShopId) -> ShopBrand {
        let Ok(Some((name, brand))) = state.services.shops.brand(shop).await else {
            return ShopBrand::default();
        };
        ShopBrand {
            shop: Some(shop.clone()),
            name,
            brand,
        }
    }

    /// The name payers see.
    pub fn display_name(&self) -> &str {
        self.brand.display_name.as_deref().unwrap_or(&self.name)
    }

    /// The logo's address, if it has one.
    fn logo_url(&self) -> Option<String> {
        let shop = self.shop.as_ref()?;
        let version = self.brand.logo_version.as_ref()?;
        Some(format!("/brand/{}/logo?v={version}", shop.0))
    }

    /// The merchant above a page: logo and name, and with `offer` (a payment link's description
    /// and price) what is paid for. Nothing for a shop without a brand and no offer.
    pub fn header(&self, offer: Option<(&str, &str)>) -> Option<Markup> {
        let branded = self.brand.display_name.is_some() || self.brand.logo_version.is_some();
        if !branded && offer.is_none() {
            return None;
        }
        Some(html! {
            header.link {
                @if let Some(logo) = self.logo_url() { img.logo src=(logo) alt="" height="48"; }
                p.merchant { (self.display_name()) }
                @if let Some((what, price)) = offer {
                    h1 { (what) }
                    p.price { (price) }
                }
            }
        })
    }

    /// The ` style` attribute giving the widget's host (and, through it, the widget in its light
    /// theme) the merchant's accent colour; empty without one. The colour was checked when set:
    /// `#` and six hex digits.
    pub fn host_style(&self) -> String {
        self.accent_style()
            .map(|style| format!(r#" style="{style}""#))
            .unwrap_or_default()
    }

    /// The merchant's accent colour as a CSS declaration, if there is one.
    pub fn accent_style(&self) -> Option<String> {
        self.accent().map(|color| format!("--ckw-brand: {color}"))
    }

    /// The accent colour, if it is one (as stored: `#` and six hex digits).
    fn accent(&self) -> Option<&str> {
        self.brand.accent_color.as_deref().filter(|c| {
            c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
        })
    }
}

/// How often a page without the widget reloads itself while the invoice is open.
pub const REFRESH_SECONDS: u32 = 10;

/// `address` with its first and last characters set apart (see [`address_edges`]).
pub fn address(address: &str) -> Markup {
    match address_edges(address) {
        Some((start, middle, end)) => html! {
            code.address dir="ltr" { span.edge { (start) } (middle) span.edge { (end) } }
        },
        None => html! { code.address dir="ltr" { (address) } },
    }
}

/// A QR code of `uri` as SVG, named `label` for screen readers; nothing if it does not fit one.
pub fn qr(uri: &str, label: &str) -> Markup {
    let Ok(code) = qrcode::QrCode::new(uri.as_bytes()) else {
        return html! {};
    };
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    let svg = svg.find("<svg").map_or("", |start| &svg[start..]);
    // The renderer's own markup, with no text of ours in it.
    html! { div.qr role="img" aria-label=(label) { (PreEscaped(svg)) } }
}

/// The line under a network warning for tokens: the fee is paid in the chain's own coin.
fn network_warning(words: &Words, coin: &str, network: &str) -> Markup {
    let fee = fee_coin(network, coin).map(|fee| fill(&words.widget.network_fee, &[fee]));
    html! {
        p.warn role="note" {
            (fill(&words.widget.send_only, &[coin, &network_name(network)]))
            @if let Some(fee) = fee { " " (fee) }
        }
    }
}

/// The self-refreshing note of an open invoice or wallet, with a link to check at once.
fn refresh_note(words: &Words, again: &str) -> Markup {
    html! {
        p.muted {
            (fill(&words.page.refreshes, &[&words.number(&REFRESH_SECONDS.to_string())]))
            " " a href=(again) { (words.page.refresh_now) }
        }
    }
}

/// The coin picker without script: one button per coin the gateway offers, posting the choice
/// to `/pay/{id}/coin`, which answers with the page again.
fn coin_form(view: &InvoiceView, words: &Words, coins: &[CoinOption]) -> Markup {
    html! {
        form.coins method="post" action={ "/pay/" (view.id) "/coin" } {
            fieldset {
                legend { (words.widget.choose_coin) }
                input type="hidden" name="lang" value=(words.locale.tag());
                @for coin in coins {
                    button.coin type="submit" name="coin" value={ (coin.currency) ":" (coin.network) }
                        aria-label=(fill(&words.widget.pay_with, &[&coin.currency, &network_name(&coin.network)])) {
                        strong { (coin.currency) } " " span.muted { (network_name(&coin.network)) }
                    }
                }
            }
        }
    }
}

/// Invoice `view` in plain HTML; `again` is this page's own URL, `coins` what the payer may pick
/// from while the invoice has no coin yet (`None`: the list could not be had).
pub fn invoice(
    view: &InvoiceView,
    words: &Words,
    again: &str,
    coins: Option<&[CoinOption]>,
) -> Markup {
    let coin = view.payer_currency.clone().unwrap_or_default();
    let with_coin = |value: &str| format!("{} {coin}", words.number(&amount(value)));
    let accepting = matches!(
        view.status,
        InvoiceStatus::Pending | InvoiceStatus::PartiallyPaid
    );
    let due = if view.status == InvoiceStatus::PartiallyPaid {
        view.remaining_amount.as_deref()
    } else {
        view.payer_amount.as_deref()
    };
    let price = format!("{} {}", words.number(&amount(&view.amount)), view.currency);
    let back = if view.status.is_settled_paid() {
        view.url_success.as_ref().or(view.url_return.as_ref())
    } else {
        view.url_return.as_ref()
    };
    html! {
        section.plain aria-labelledby="plain-title" data-status=(view.status.as_str()) {
            h1 #plain-title { (words.title(view.status)) }
            @if let Some(detail) = words.detail(view.status) { p.muted { (detail) } }
            @if accepting {
                @if let (Some(due), Some(to)) = (due, &view.address) {
                    @if view.status == InvoiceStatus::PartiallyPaid {
                        p.warn { (fill(&words.widget.received_due, &[&with_coin(&view.paid_amount), &with_coin(due)])) }
                    }
                    p.row { span.label { (words.widget.amount) } " " strong.amount { bdi { (with_coin(due)) } } }
                    p.muted { (fill(&words.widget.order_total, &[&price])) }
                    @if let Some(network) = &view.network { (network_warning(words, &coin, network)) }
                    @if let Some(uri) = &view.payment_uri {
                        (qr(uri, &fill(&words.widget.qr_label, &[&with_coin(due), to])))
                    }
                    p.row { span.label { (words.widget.address) } " " (address(to)) }
                    p.muted { (words.widget.check_address) }
                    @if let Some(link) = view.payment_uri.as_deref().and_then(wallet_link) {
                        p { a.button href=(link) { (words.widget.open_wallet) } }
                    }
                    p.muted { (fill(&words.widget.time_left, &[&words.number(&shim_api::locale::countdown(view.seconds_left))])) }
                } @else if let Some(coins) = coins.filter(|c| !c.is_empty()) {
                    (coin_form(view, words, coins))
                } @else {
                    p { strong { (words.widget.choose_coin) } }
                    p { (words.page.choose_coin_here) }
                }
            }
            @if view.status.is_settled_paid() {
                p { a.button href={ "/pay/" (view.id) "/receipt" } { (words.widget.receipt) } }
            }
            @if let Some(url) = back.filter(|_| view.is_final) {
                p { a href=(url) { (words.widget.return_to_shop) } }
            }
            @if !view.is_final { (refresh_note(words, again)) }
        }
    }
}

/// Wallet `wallet` (a customer's deposit address) in plain HTML; `again` is the page's own URL.
pub fn wallet(wallet: &WalletView, words: &Words, again: &str) -> Markup {
    let coin = &wallet.currency;
    let with_coin = |value: &str| format!("{} {coin}", words.number(&amount(value)));
    html! {
        section.plain aria-labelledby="plain-title" {
            h1 #plain-title { (words.widget.deposit_title) }
            @if wallet.blocked {
                p.warn role="alert" { (words.widget.wallet_blocked) }
            } @else {
                p { (fill(&words.widget.deposit_hint, &[coin, &network_name(&wallet.network)])) }
                (network_warning(words, coin, &wallet.network))
                (qr(&wallet.payment_uri, &wallet.address))
                p.row { span.label { (words.widget.address) } " " (address(&wallet.address)) }
                p.muted { (words.widget.check_address) }
            }
            p { strong { (fill(&words.widget.credited, &[&with_coin(&wallet.credited)])) } }
            h2 { (words.widget.deposits) }
            @if wallet.deposits.is_empty() {
                p.muted { (words.widget.no_deposits) }
            } @else {
                ul.deposits {
                    @for deposit in wallet.deposits.iter().rev() {
                        li {
                            bdi { (with_coin(&deposit.amount)) } " "
                            span.muted { (if deposit.credited { &words.widget.deposit_credited } else { &words.widget.deposit_confirming }) }
                        }
                    }
                }
            }
            @if !wallet.blocked { (refresh_note(words, again)) }
        }
    }
}

/// A whole page of the shim's own for payers: `<html lang dir>`, the title, the shared look and a
/// print stylesheet; it reloads itself every [`REFRESH_SECONDS`] when `refresh`, unless a script
/// runs (the widget keeps such a page fresh itself, and a script-only reload covers browsers with
/// script but no WebAssembly: see `embed.js`).
pub fn page(locale: Locale, title: &str, head: &str, refresh: bool, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang=(locale.tag()) dir=(if locale.is_rtl() { "rtl" } else { "ltr" }) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                @if refresh {
                    noscript { meta http-equiv="refresh" content=(REFRESH_SECONDS); }
                }
                title { (title) }
                (PreEscaped(head))
                style { (PreEscaped(STYLE)) }
            }
            body { (body) }
        }
    }
    .into_string()
}

/// The look of the shim's pages for payers, and how they print.
const STYLE: &str = r#"
  body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f4f5f7; color: #1d2330; }
  .pay { max-width: 440px; margin: 0 auto; padding: 24px 16px; }
  h1 { font-size: 1.4rem; }
  h2 { font-size: 1.1rem; }
  a { color: var(--ckw-brand, #2b6cb0); }
  .logo { display: block; height: 48px; width: auto; max-width: 100%; margin: 0 0 8px; }
  .link { margin-bottom: 16px; } .link .merchant { color: #4a5568; margin: 0; } .link h1 { margin: 4px 0; } .link .price { margin: 0; font-weight: 600; }
  .plain { background: #fff; border-radius: 14px; padding: 20px; box-shadow: 0 2px 10px rgba(0,0,0,.08); }
  .plain h1 { margin-top: 0; }
  .muted { color: #4a5568; }
  .warn { background: #fffaf0; color: #7b341e; border-radius: 8px; padding: 8px 10px; }
  .label { color: #4a5568; display: inline-block; min-width: 4.5em; }
  .amount { font-size: 1.25rem; }
  .address { font: .95rem ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; background: #f7fafc; padding: 6px 8px; border-radius: 8px; }
  .address .edge { font-weight: 700; background: #e2e8f0; border-radius: 4px; padding: 0 2px; }
  .qr { display: flex; justify-content: center; margin: 12px 0; } .qr svg { max-width: 100%; height: auto; }
  .button { display: inline-block; font: inherit; border: 0; cursor: pointer; padding: 10px 16px; border-radius: 10px; background: var(--ckw-brand, #2b6cb0); color: #fff; text-decoration: none; }
  .coins fieldset { border: 0; margin: 0; padding: 0; } .coins legend { font-weight: 600; margin-bottom: 8px; padding: 0; }
  .coin { display: block; width: 100%; text-align: start; font: inherit; margin: 6px 0; padding: 10px 12px; border-radius: 10px; border: 1px solid #cbd5e0; background: #fff; color: inherit; cursor: pointer; }
  .coin:focus-visible { outline: 3px solid #c05621; outline-offset: 2px; }
  .deposits { padding: 0; list-style: none; } .deposits li { padding: 6px 0; border-top: 1px solid #e2e8f0; }
  a:focus-visible { outline: 3px solid #c05621; outline-offset: 2px; }
  .receipt dl { display: grid; grid-template-columns: max-content 1fr; gap: 6px 16px; margin: 16px 0; }
  .receipt dt { color: #4a5568; } .receipt dd { margin: 0; overflow-wrap: anywhere; }
  .receipt .txid { font: .85rem ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
  .receipt .actions { display: flex; gap: 16px; flex-wrap: wrap; align-items: center; }
  .sandbox { margin-top: 24px; padding: 16px; border: 2px dashed #b7791f; border-radius: 12px; background: #fffaf0; }
  .sandbox:empty { display: none; }
  .sandbox h2 { font-size: 1rem; margin: 0 0 8px; }
  .sandbox button { margin: 4px 8px 4px 0; padding: 8px 12px; border-radius: 8px; border: 1px solid #b7791f; background: #fff; cursor: pointer; font: inherit; }
  .sandbox button:focus-visible { outline: 3px solid #2b6cb0; outline-offset: 2px; }
  @media print {
    body { background: #fff; font-size: 12pt; }
    .pay { max-width: none; padding: 0; }
    .plain { box-shadow: none; padding: 0; }
    .receipt .actions, .sandbox { display: none; }
    a { color: inherit; text-decoration: none; }
    .receipt .txid a::after { content: " (" attr(href) ")"; font-size: 8pt; }
  }
"#;

/// `GET /pay/{id}/receipt`: what the payer paid, to whom, when and by which transactions,
/// printable, in the payer's language; for invoices not paid (yet), a note and a link back.
#[utoipa::path(
    get, path = "/pay/{id}/receipt", tag = "pages",
    params(
        ("id" = String, Path, description = "The invoice id"),
        ("lang" = Option<String>, Query, description = "The payer's language; else the browser's"),
    ),
    responses(
        (status = 200, description = "The receipt (HTML)", content_type = "text/html", body = String),
        (status = 404, description = "No such invoice (HTML)", content_type = "text/html", body = String),
        (status = 409, description = "Not paid (yet): a note and a link back to the payment (HTML)", content_type = "text/html", body = String),
    )
)]
pub(super) async fn receipt(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    query: Result<Query<PageQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let locale = page_locale(&query, &headers);
    let words = Words::of(locale);
    let id = id.ok().and_then(|Path(id)| InvoiceId::parse(&id));
    let found = match &id {
        Some(id) => state.services.invoices.receipt(id).await,
        None => Ok(None),
    };
    let receipt = match found {
        Ok(Some(receipt)) => receipt,
        Ok(None) => {
            return notice_page(
                StatusCode::NOT_FOUND,
                words,
                &words.page.not_found_title,
                &words.page.not_found,
                None,
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "could not read an invoice for its receipt");
            return notice_page(
                StatusCode::SERVICE_UNAVAILABLE,
                words,
                &words.page.unavailable_title,
                &words.page.unavailable,
                None,
            );
        }
    };
    let back = format!("/pay/{}?lang={}", receipt.record.id, locale.tag());
    let Some(paid_at) = receipt.paid_at else {
        return notice_page(
            StatusCode::CONFLICT,
            words,
            &words.page.receipt_title,
            &words.page.no_receipt_yet,
            Some(&back),
        );
    };
    let brand = ShopBrand::of(&state, &receipt.record.shop_id).await;
    let body = receipt_body(&receipt, &brand, paid_at, words, &back);
    html_page(
        StatusCode::OK,
        page(locale, &words.page.receipt_title, "", false, body),
    )
}

fn receipt_body(
    receipt: &Receipt,
    brand: &ShopBrand,
    paid_at: i64,
    words: &Words,
    back: &str,
) -> Markup {
    let record = &receipt.record;
    let coin = record.payer_currency.clone().unwrap_or_default();
    let network = record.network.clone().unwrap_or_default();
    let paid = format!(
        "{} {coin}",
        words.number(&record.paid_amount.normalize().to_string())
    );
    let price = format!(
        "{} {}",
        words.number(&record.amount.normalize().to_string()),
        record.currency
    );
    let when = time::OffsetDateTime::from_unix_timestamp(paid_at)
        .map(|t| {
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02} UTC",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            )
        })
        .unwrap_or_default();
    html! {
        main.pay style=[brand.accent_style()] {
            section.plain.receipt aria-labelledby="receipt-title" {
                @if let Some(logo) = brand.logo_url() { img.logo src=(logo) alt="" height="48"; }
                h1 #receipt-title { (words.page.receipt_title) }
                dl {
                    dt { (words.page.merchant) } dd { (brand.display_name()) }
                    dt { (words.page.order) } dd { bdi { (record.order_id) } }
                    dt { (words.page.price) } dd { bdi { (price) } }
                    dt { (words.page.paid) } dd { bdi { (paid) } }
                    @if !network.is_empty() {
                        dt { (words.page.network) } dd { (network_name(&network)) }
                    }
                    dt { (words.page.paid_on) } dd { bdi { (words.number(&when)) } }
                    dt { (words.page.status) } dd { (words.title(record.status)) }
                    dt { (words.page.payment_id) } dd { bdi.txid { (record.id) } }
                    @if !receipt.transactions.is_empty() {
                        dt { (words.page.transactions) }
                        dd {
                            @for txid in &receipt.transactions {
                                div.txid {
                                    @match explorer_url(&network, txid) {
                                        Some(url) => a href=(url) rel="noopener noreferrer" aria-label=(fill(&words.page.view_transaction, &[txid])) { bdi { (txid) } },
                                        None => bdi { (txid) },
                                    }
                                }
                            }
                        }
                    }
                }
                p.muted { (words.page.receipt_note) }
                p.actions {
                    a href=(back) { (words.page.back_to_payment) }
                    // Shown by its script: without script, the browser's own menu prints.
                    button.button type="button" data-print hidden { (words.page.print) }
                }
            }
            script src="/receipt.js" defer {}
        }
    }
}

/// The coin picker's form, without script.
#[derive(Debug, serde::Deserialize)]
pub(super) struct CoinForm {
    /// `USDT:tron`.
    coin: String,
    /// The payer's language, to come back in.
    lang: Option<String>,
}

/// `POST /pay/{id}/coin`: the coin a payer picked on the plain pay page (a browser without the
/// widget). The same choice as `POST /v1/invoices/{id}/coin`; answers with the pay page again
/// (303), or a page saying what went wrong and a way back.
pub(super) async fn choose_coin(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    form: Result<axum::Form<CoinForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let form = form.ok().map(|axum::Form(form)| form);
    let locale = Locale::negotiate(form.as_ref().and_then(|f| f.lang.as_deref()));
    let words = Words::of(locale);
    let Some(id) = id.ok().and_then(|Path(id)| InvoiceId::parse(&id)) else {
        let page = &words.page;
        return notice_page(
            StatusCode::NOT_FOUND,
            words,
            &page.not_found_title,
            &page.not_found,
            None,
        );
    };
    let back = format!("/pay/{id}?lang={}", locale.tag());
    let choice = form
        .as_ref()
        .and_then(|f| f.coin.split_once(':'))
        .map(|(currency, network)| ChooseCoinRequest {
            currency: currency.to_owned(),
            network: network.to_owned(),
        });
    let Some(choice) = choice else {
        return notice_page(
            StatusCode::BAD_REQUEST,
            words,
            &words.widget.choose_coin,
            "coin must be COIN:network, like USDT:tron",
            Some(&back),
        );
    };
    match state.services.invoices.choose_coin(&id, &choice).await {
        Ok(_) => (StatusCode::SEE_OTHER, [(header::LOCATION, back)]).into_response(),
        Err(e) => {
            let error = super::error::ApiError::from(e);
            let message = error.message().to_owned();
            notice_page(
                error.status(),
                words,
                &words.widget.choose_coin,
                &message,
                Some(&back),
            )
        }
    }
}

/// `GET /brand/{shop}/logo`: the logo the merchant set (`server-shim shops brand --logo`), served
/// by the shim so that the pages' content policy stays `img-src 'self'`. Its address carries the
/// logo's digest (`?v=`), so it is kept a day and revalidated by its ETag.
pub(super) async fn logo(
    State(state): State<AppState>,
    shop: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let shop = shop.ok().map(|Path(shop)| ShopId(shop));
    let logo = match &shop {
        Some(shop) => state.services.shops.logo(shop).await,
        None => Ok(None),
    };
    let logo = match logo {
        Ok(Some(logo)) => logo,
        Ok(None) => {
            return super::error::ApiError::not_found("no logo for that shop").into_response();
        }
        Err(e) => return super::error::ApiError::from(e).into_response(),
    };
    let etag = format!("\"{}\"", logo.version());
    let cache = [
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, "public, max-age=86400".to_owned()),
    ];
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|seen| seen.as_bytes() == etag.as_bytes())
    {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    (cache, [(header::CONTENT_TYPE, logo.media_type)], logo.bytes).into_response()
}

/// `GET /receipt.js`: the receipt's print button (the pages' content policy runs no inline script).
pub(super) async fn print_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        PRINT_SCRIPT,
    )
        .into_response()
}

const PRINT_SCRIPT: &str = "for (const button of document.querySelectorAll('[data-print]')) {\n  button.hidden = false;\n  button.addEventListener('click', () => window.print());\n}\n";

/// A short page in the payer's language: `title`, `message`, and a link back when there is one.
pub fn notice_page(
    status: StatusCode,
    words: &Words,
    title: &str,
    message: &str,
    back: Option<&str>,
) -> Response {
    let body = html! {
        main.pay {
            section.plain {
                h1 { (title) }
                p { (message) }
                @if let Some(back) = back { p { a href=(back) { (words.page.back_to_payment) } } }
            }
        }
    };
    html_page(status, page(words.locale, title, "", false, body))
}
