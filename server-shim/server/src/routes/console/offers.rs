//! Payment links and pay buttons: the shop's own ways to take a payment without an order of its
//! platform. Listed with their URL or snippet to copy (and a QR code of a link); owners make them
//! and stop or restart them.

use super::{Frame, ShopPage, Signed, SignedForm, message_page, page, unavailable, when};
use crate::domain::Shop;
use crate::routes::AppState;
use crate::services::ServiceError;
use crate::services::buttons::NewButtonRequest;
use crate::services::links::NewLinkRequest;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

/// The fields of the forms on these pages (each form sends those it has).
#[derive(Debug, Default, Deserialize)]
pub(super) struct OfferForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    shop: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    reusable: String,
    #[serde(default)]
    expires_in_hours: String,
    #[serde(default)]
    allowed_origins: String,
    #[serde(default)]
    url_success: String,
    #[serde(default)]
    enabled: String,
}

/// Which of the two this page is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Links,
    Buttons,
}

impl Kind {
    fn path(self) -> &'static str {
        match self {
            Kind::Links => "/console/links",
            Kind::Buttons => "/console/buttons",
        }
    }
}

/// A QR code of `text`, drawn as SVG.
fn qr_svg(text: &str, label: &str) -> Markup {
    let svg = qrcode::QrCode::new(text.as_bytes()).map(|code| {
        code.render::<qrcode::render::svg::Color>()
            .min_dimensions(160, 160)
            .quiet_zone(true)
            .build()
    });
    match svg {
        // The renderer's own markup, with no text of ours inside: safe to include as it is.
        Ok(svg) => html! {
            div.qr role="img" aria-label=(label) { (PreEscaped(svg.trim_start_matches(r#"<?xml version="1.0" standalone="yes"?>"#))) }
        },
        Err(_) => html! {},
    }
}

/// The page of `kind` for the signed-in user's shop, with `notice` at its top.
async fn offers_page(
    state: &AppState,
    signed: &Signed,
    shop: &Shop,
    kind: Kind,
    status: StatusCode,
    notice: Option<(&str, bool)>,
    form: &OfferForm,
) -> Response {
    let names = signed.shop_names(state).await;
    let shop_field = if names.is_empty() {
        ""
    } else {
        shop.name.as_str()
    };
    let owner = signed.0.user.role.moves_money();
    let list = match kind {
        Kind::Links => state
            .services
            .links
            .list(&shop.id)
            .await
            .map(|links| links_table(state, signed, shop_field, owner, &links)),
        Kind::Buttons => state
            .services
            .buttons
            .list(&shop.id)
            .await
            .map(|buttons| buttons_table(state, signed, shop_field, owner, &buttons)),
    };
    let Ok(list) = list else {
        return unavailable();
    };
    let title = match kind {
        Kind::Links => "Payment links",
        Kind::Buttons => "Pay buttons",
    };
    let main = html! {
        h1 { (title) }
        @if let Some((text, is_error)) = notice {
            p class=(if is_error { "error" } else { "notice" }) role=(if is_error { "alert" } else { "status" }) { (text) }
        }
        (list)
        @if owner {
            (new_form(kind, &signed.0.csrf, shop_field, form))
        }
    };
    let frame = Frame {
        title,
        session: Some(&signed.0),
        shop: Some((shop, names)),
        current: match kind {
            Kind::Links => "links",
            Kind::Buttons => "buttons",
        },
    };
    page(status, frame, main)
}

/// The form that starts or stops offer `id`.
fn toggle(kind: Kind, id: &str, enabled: bool, csrf: &str, shop: &str) -> Markup {
    html! {
        form method="post" action=(format!("{}/{id}/enabled", kind.path())) {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="shop" value=(shop);
            input type="hidden" name="enabled" value=(if enabled { "no" } else { "yes" });
            button type="submit" { (if enabled { "Disable" } else { "Enable" }) }
        }
    }
}

fn links_table(
    state: &AppState,
    signed: &Signed,
    shop: &str,
    owner: bool,
    links: &[crate::store::Link],
) -> Markup {
    html! {
        @if links.is_empty() {
            p { "No payment links yet." }
        }
        @for link in links {
            @let view = state.services.links.link_view(link);
            article.offer aria-labelledby=(format!("{}-title", link.id)) {
                h2 #(format!("{}-title", link.id)) { (link.description) }
                dl.facts {
                    dt { "Price" } dd { (link.amount) " " (link.currency) }
                    dt { "Kind" } dd { (if link.reusable { "reusable: a new invoice on every visit" } else { "one payment" }) }
                    dt { "State" } dd { (if link.enabled { "enabled" } else { "disabled" }) }
                    @if link.reusable { dt { "Payments started" } dd { (link.uses) } }
                    @if let Some(at) = link.expires_at { dt { "Ends" } dd { (when(at)) } }
                }
                label for=(format!("{}-url", link.id)) { "Link to send to payers" }
                input.copy #(format!("{}-url", link.id)) readonly value=(view.url) data-copy;
                details {
                    summary { "QR code" }
                    (qr_svg(&view.url, &format!("QR code of the link {}", view.url)))
                }
                @if owner { (toggle(Kind::Links, &link.id, link.enabled, &signed.0.csrf, shop)) }
            }
        }
    }
}

fn buttons_table(
    state: &AppState,
    signed: &Signed,
    shop: &str,
    owner: bool,
    buttons: &[crate::store::Button],
) -> Markup {
    html! {
        @if buttons.is_empty() {
            p { "No pay buttons yet." }
        }
        @for button in buttons {
            @let view = state.services.buttons.button_view(button);
            article.offer aria-labelledby=(format!("{}-title", button.id)) {
                h2 #(format!("{}-title", button.id)) { (button.description) }
                dl.facts {
                    dt { "Price" } dd { (button.amount) " " (button.currency) }
                    dt { "Pages allowed" } dd { (button.allowed_origins.join(", ")) }
                    dt { "State" } dd { (if button.enabled { "enabled" } else { "disabled" }) }
                    dt { "Payments started" } dd { (button.uses) }
                }
                label for=(format!("{}-snippet", button.id)) { "Snippet to paste into the page" }
                textarea.copy #(format!("{}-snippet", button.id)) readonly rows="3" data-copy { (view.snippet) }
                @if owner { (toggle(Kind::Buttons, &button.id, button.enabled, &signed.0.csrf, shop)) }
            }
        }
    }
}

fn new_form(kind: Kind, csrf: &str, shop: &str, form: &OfferForm) -> Markup {
    html! {
        section aria-labelledby="new-offer" {
            h2 #new-offer { (match kind { Kind::Links => "New payment link", Kind::Buttons => "New pay button" }) }
            form.stack method="post" action=(kind.path()) {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="shop" value=(shop);
                label for="description" { "What is paid for" }
                input #description name="description" required maxlength="200" value=(form.description);
                label for="amount" { "Price" }
                input #amount name="amount" required inputmode="decimal" value=(form.amount) placeholder="15.00";
                label for="currency" { "Currency" }
                input #currency name="currency" required value=(form.currency) placeholder="USD";
                @match kind {
                    Kind::Links => {
                        label.check { input type="checkbox" name="reusable" value="yes" checked[form.reusable == "yes"]; " Reusable: a new invoice on every visit" }
                        label for="expires" { "Ends after (hours, optional)" }
                        input #expires name="expires_in_hours" inputmode="numeric" value=(form.expires_in_hours);
                    }
                    Kind::Buttons => {
                        label for="origins" { "Pages that may show it (origins, one per line)" }
                        textarea #origins name="allowed_origins" required rows="2" placeholder="https://shop.example" { (form.allowed_origins) }
                        label for="success" { "Where the payer goes after paying (optional)" }
                        input #success name="url_success" type="url" value=(form.url_success);
                    }
                }
                button type="submit" { (match kind { Kind::Links => "Make the link", Kind::Buttons => "Make the button" }) }
            }
        }
    }
}

/// `GET /console/links` and `GET /console/buttons`.
pub(super) async fn links(
    State(state): State<AppState>,
    ShopPage(signed, shop): ShopPage,
) -> Response {
    let form = OfferForm::default();
    offers_page(
        &state,
        &signed,
        &shop,
        Kind::Links,
        StatusCode::OK,
        None,
        &form,
    )
    .await
}

pub(super) async fn buttons(
    State(state): State<AppState>,
    ShopPage(signed, shop): ShopPage,
) -> Response {
    let form = OfferForm::default();
    offers_page(
        &state,
        &signed,
        &shop,
        Kind::Buttons,
        StatusCode::OK,
        None,
        &form,
    )
    .await
}

/// The shop a form is for, once its sender's role is checked.
async fn checked(state: &AppState, signed: &Signed, form: &OfferForm) -> Result<Shop, Response> {
    signed
        .check_moves_money()
        .map_err(IntoResponse::into_response)?;
    signed.shop(state, Some(&form.shop)).await
}

/// `POST /console/links` and `POST /console/buttons`.
async fn create(state: AppState, signed: Signed, form: OfferForm, kind: Kind) -> Response {
    let shop = match checked(&state, &signed, &form).await {
        Ok(shop) => shop,
        Err(refused) => return refused,
    };
    let made = match kind {
        Kind::Links => {
            let expires = match form.expires_in_hours.trim() {
                "" => Ok(None),
                hours => hours
                    .parse::<u64>()
                    .ok()
                    .filter(|h| (1..=24 * 366).contains(h))
                    .map(|h| Some(h * 3600))
                    .ok_or_else(|| {
                        ServiceError::Invalid(
                            "Ends after: a whole number of hours, 1 to 8784".into(),
                        )
                    }),
            };
            match expires {
                Ok(expires_in_seconds) => {
                    let request = NewLinkRequest {
                        amount: form.amount.clone(),
                        currency: form.currency.clone(),
                        description: form.description.clone(),
                        reusable: form.reusable == "yes",
                        expires_in_seconds,
                    };
                    state
                        .services
                        .links
                        .create_link(&shop, request)
                        .await
                        .map(|_| ())
                }
                Err(e) => Err(e),
            }
        }
        Kind::Buttons => {
            let request = NewButtonRequest {
                amount: form.amount.clone(),
                currency: form.currency.clone(),
                description: form.description.clone(),
                allowed_origins: form
                    .allowed_origins
                    .lines()
                    .map(str::trim)
                    .filter(|o| !o.is_empty())
                    .map(str::to_owned)
                    .collect(),
                url_success: Some(form.url_success.trim().to_owned()).filter(|u| !u.is_empty()),
            };
            state
                .services
                .buttons
                .create_button(&shop, request)
                .await
                .map(|_| ())
        }
    };
    match made {
        Ok(()) => Redirect::to(&with_shop(kind.path(), &form.shop)).into_response(),
        Err(ServiceError::Invalid(e)) => {
            let text = format!("Not made: {e}");
            offers_page(
                &state,
                &signed,
                &shop,
                kind,
                StatusCode::BAD_REQUEST,
                Some((&text, true)),
                &form,
            )
            .await
        }
        Err(e) => {
            tracing::error!(error = %e, "console could not make an offer");
            unavailable()
        }
    }
}

fn with_shop(path: &str, shop: &str) -> String {
    if shop.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", super::query(&[("shop", shop)]))
    }
}

pub(super) async fn create_link(
    State(state): State<AppState>,
    SignedForm(signed, form): SignedForm<OfferForm>,
) -> Response {
    create(state, signed, form, Kind::Links).await
}

pub(super) async fn create_button(
    State(state): State<AppState>,
    SignedForm(signed, form): SignedForm<OfferForm>,
) -> Response {
    create(state, signed, form, Kind::Buttons).await
}

/// `POST /console/links/{id}/enabled` and `POST /console/buttons/{id}/enabled`.
async fn set_enabled(
    state: AppState,
    signed: Signed,
    id: Result<Path<String>, PathRejection>,
    form: OfferForm,
    kind: Kind,
) -> Response {
    let Ok(Path(id)) = id else {
        return message_page(
            StatusCode::NOT_FOUND,
            "Not found",
            "This shop has no such link or button.",
        );
    };
    let shop = match checked(&state, &signed, &form).await {
        Ok(shop) => shop,
        Err(refused) => return refused,
    };
    let enabled = form.enabled == "yes";
    let found = match kind {
        Kind::Links => state
            .services
            .links
            .set_enabled(&shop.id, &id, enabled)
            .await
            .map(|l| l.is_some()),
        Kind::Buttons => state
            .services
            .buttons
            .set_enabled(&shop.id, &id, enabled)
            .await
            .map(|b| b.is_some()),
    };
    match found {
        Ok(true) => Redirect::to(&with_shop(kind.path(), &form.shop)).into_response(),
        Ok(false) => message_page(
            StatusCode::NOT_FOUND,
            "Not found",
            "This shop has no such link or button.",
        ),
        Err(e) => {
            tracing::error!(error = %e, "console could not change an offer");
            unavailable()
        }
    }
}

pub(super) async fn link_enabled(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    SignedForm(signed, form): SignedForm<OfferForm>,
) -> Response {
    set_enabled(state, signed, id, form, Kind::Links).await
}

pub(super) async fn button_enabled(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    SignedForm(signed, form): SignedForm<OfferForm>,
) -> Response {
    set_enabled(state, signed, id, form, Kind::Buttons).await
}

console_forms!(OfferForm);
