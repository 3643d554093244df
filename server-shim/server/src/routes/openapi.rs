//! `GET /openapi.json`: the shim's HTTP API as OpenAPI 3.1, generated from the handlers'
//! annotations and the wire types of `shim-api`, so it cannot drift from the code.

use axum::Json;
use axum::response::IntoResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Crypto checkout kit: server shim",
        description = "Invoices for shops, the payer's view and live push for the widget, and the gateway's webhooks."
    ),
    paths(
        super::invoices::create,
        super::invoices::get,
        super::invoices::coins,
        super::invoices::choose_coin,
        super::history::list,
        super::history::history,
        super::invoices::refund,
        super::history::report,
        super::history::report_csv,
        super::events::stream,
        super::ipn::cryptomus,
        super::links::create,
        super::links::list,
        super::links::disable,
        super::links::enable,
        super::links::open,
        super::buttons::create,
        super::buttons::list,
        super::buttons::disable,
        super::buttons::enable,
        super::buttons::start,
        super::platforms::connect,
        super::platforms::woo_keys,
        super::platforms::connect_prestashop,
        super::shopify::proxy_pay,
        super::shopify::webhook,
        super::shopify::payment_session,
        super::shopify::refund_session,
        super::shopify::payment_next,
        super::wallets::create,
        super::wallets::list,
        super::wallets::get,
        super::wallets::block,
        super::wallets::refund,
        super::payouts::create,
        super::payouts::list,
        super::payouts::get,
        super::pay_page::page,
        super::pay_page::deposit_page,
        super::plain::receipt,
        super::events::wallet_stream,
        super::healthz,
        super::readyz,
        super::metrics,
        document,
    ),
    components(schemas(shim_api::InvoiceStatus, shim_api::ErrorCode)),
    modifiers(&ShopToken),
    tags(
        (name = "invoices", description = "Shops create invoices; payers (through the widget) read them, follow them and pick their coin."),
        (name = "gateway", description = "What the payment gateway calls."),
        (name = "platforms", description = "Connecting a shop's platform (WooCommerce) without copying keys."),
        (name = "shopify", description = "What Shopify sends: the app proxy's pay link and the app's webhooks (signed with the app's secret), and the payments app's sessions (from Shopify's client certificate)."),
        (name = "links", description = "Payment links: a price to send by email or messenger."),
        (name = "buttons", description = "Pay buttons: a price any page on the allowed origins can start a payment for, with one script tag."),
        (name = "wallets", description = "Static deposit addresses: one per customer and coin, with the deposits that reached it."),
        (name = "payouts", description = "Payouts from the merchant's balance, for shops the operator allowed."),
        (name = "pages", description = "HTML for payers."),
        (name = "operations", description = "Health, readiness, metrics and this document."),
    )
)]
pub struct ApiDoc;

/// The shop token, as a bearer token.
struct ShopToken;

impl Modify for ShopToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "shop_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The shop's token from `server-shim shops add` (shown once).",
                    ))
                    .build(),
            ),
        );
    }
}

/// This document.
#[utoipa::path(
    get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object))
)]
pub(super) async fn document() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}
