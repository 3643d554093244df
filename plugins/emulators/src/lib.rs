//! Emulators of the shop platforms' APIs, faithful in what the adapters touch: paths, auth rules,
//! status semantics, response and error shapes. None of the platforms can be installed here, so
//! the adapters are tested against these, and these are checked with the platforms' own clients.
//!
//! - [`woocommerce`]: the REST API v3 orders and notes, with WooCommerce's authentication; and
//!   [`woocommerce::WooShop`], the plugin's own route for the shim, run by PHP over stubs.
//! - [`prestashop`]: the Webservice orders, currencies, order histories and messages.
//! - [`opencart`]: the OpenCart extension's own routes for the shim, run by PHP over stubs.
//! - [`shopify`]: the Admin GraphQL API's orders, with cost-based throttling.
//! - [`php`]: a shop whose plugin runs under `php -S`, with its state in a JSON file.

pub mod opencart;
pub mod php;
pub mod prestashop;
pub mod shopify;
pub mod woocommerce;

/// Serves `router` (an emulator's, from its `router()`) on a free loopback port in the
/// background; its base URL, `http://127.0.0.1:{port}`.
///
/// # Panics
/// When no loopback port can be bound (a test's setup failing).
#[allow(clippy::unwrap_used)]
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}
