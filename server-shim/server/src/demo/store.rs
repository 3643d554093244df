//! The demo storefront: a few products, a checkout that creates invoices through the same use case
//! the API uses, an orders page that follows the invoices, and the sandbox controls on the pay page.

use crate::domain::Shop;
use crate::services::Services;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use shim_api::{CreateInvoiceRequest, InvoiceId};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// (code, name, price in USD).
const PRODUCTS: &[(&str, &str, &str)] = &[
    ("coffee", "Single-origin coffee beans, 1 kg", "15.00"),
    ("tshirt", "Organic cotton T-shirt", "25.00"),
    ("stickers", "Sticker pack", "3.50"),
];

/// (coin, network, label) the payer can choose.
const COINS: &[(&str, &str, &str)] = &[
    ("USDT", "tron", "USDT on TRON"),
    ("USDT", "eth", "USDT on Ethereum"),
    ("BTC", "btc", "Bitcoin"),
    ("ETH", "eth", "Ether"),
];

#[derive(Debug, Clone)]
struct DemoOrder {
    number: u32,
    product: &'static str,
    price: &'static str,
    coin: &'static str,
    invoice: InvoiceId,
    /// What the shim's signed callbacks said last.
    status: String,
}

/// The demo shop's state: its identity at the shim and its orders (in memory).
#[derive(Debug, Clone)]
pub struct DemoStore {
    services: Services,
    shop: Shop,
    orders: Arc<Mutex<Vec<DemoOrder>>>,
    next_number: Arc<AtomicU32>,
    /// Verifies the shim's callbacks.
    callback_secret: Arc<String>,
}

impl DemoStore {
    /// A store with no orders.
    pub fn new(services: Services, shop: Shop, callback_secret: String) -> Self {
        Self {
            services,
            shop,
            callback_secret: Arc::new(callback_secret),
            orders: Arc::default(),
            next_number: Arc::new(AtomicU32::new(1001)),
        }
    }

    fn orders(&self) -> Vec<DemoOrder> {
        self.orders.lock().map(|o| o.clone()).unwrap_or_default()
    }
}

/// The pay button the demo defines for the example page (`examples/button/index.html`).
pub const DEMO_BUTTON: &str = "btn_demo";
/// The shim's address as the example page is written (the demo's default).
const EXAMPLE_SHIM: &str = "http://127.0.0.1:8080";

/// Defines (or redefines, on a kept database) [`DEMO_BUTTON`] for the pages on `origins`.
pub async fn define_demo_button(
    services: &Services,
    shop: &Shop,
    origins: Vec<String>,
) -> anyhow::Result<()> {
    let request = crate::services::buttons::NewButtonRequest {
        amount: "15.00".into(),
        currency: "USD".into(),
        description: "Single-origin coffee beans, 1 kg".into(),
        allowed_origins: origins,
        url_success: None,
    };
    let button = crate::store::Button {
        id: DEMO_BUTTON.into(),
        ..crate::services::buttons::new_button(shop, request, crate::services::now())?
    };
    services.store().put_button(&button).await?;
    Ok(())
}

/// The example site: a static page of another origin that embeds the demo's pay button, as a
/// merchant's own site would. The page names the shim at its default address; it is rewritten
/// to `shim_url` where the demo runs elsewhere.
pub fn example_site(shim_url: &str) -> Router {
    let page =
        include_str!("../../../../examples/button/index.html").replace(EXAMPLE_SHIM, shim_url);
    let page: Arc<str> = page.into();
    Router::new().route(
        "/",
        get(move || {
            let page = page.clone();
            async move { Html(page.to_string()) }
        }),
    )
}

/// The store's pages and the pay page's sandbox panel script.
pub fn router(store: DemoStore) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/shop/checkout", post(checkout))
        .route("/shop/orders", get(orders))
        .route("/shop/callback", post(callback))
        .route("/demo/panel.js", get(panel_js))
        .with_state(store)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Demo crypto shop</title>
<style>
  body {{ margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f4f5f7; color: #1d2330; }}
  header {{ background: #1d2330; color: #fff; padding: 12px 16px; display: flex; gap: 16px; align-items: center; }}
  header a {{ color: #fff; }}
  main {{ max-width: 720px; margin: 0 auto; padding: 16px; }}
  .product {{ background: #fff; border-radius: 12px; padding: 16px; margin: 12px 0; box-shadow: 0 1px 3px rgba(0,0,0,.1); }}
  .product h2 {{ margin: 0 0 4px; font-size: 1.1rem; }}
  .price {{ font-weight: 700; }}
  label {{ display: block; margin: 8px 0 4px; }}
  select, button {{ font: inherit; padding: 8px 10px; border-radius: 8px; }}
  button {{ background: #2b6cb0; color: #fff; border: 0; cursor: pointer; margin-top: 8px; }}
  button:focus-visible, select:focus-visible, a:focus-visible {{ outline: 3px solid #f6ad55; outline-offset: 2px; }}
  table {{ width: 100%; border-collapse: collapse; background: #fff; }}
  th, td {{ text-align: left; padding: 8px; border-bottom: 1px solid #e2e8f0; }}
</style></head>
<body><header><strong>Demo crypto shop</strong><a href="/">Products</a><a href="/shop/orders">Orders</a></header>
<main>{body}</main></body></html>"#
    ))
}

async fn home() -> Html<String> {
    let options: String = COINS
        .iter()
        .enumerate()
        .map(|(i, (_, _, label))| format!(r#"<option value="{i}">{label}</option>"#))
        .collect();
    let products: String = PRODUCTS
        .iter()
        .map(|(code, name, price)| {
            format!(
                r#"<form class="product" method="post" action="/shop/checkout">
<h2>{name}</h2><p class="price">{price} USD</p>
<input type="hidden" name="product" value="{code}">
<label for="coin-{code}">Pay with</label><select id="coin-{code}" name="coin">{options}</select>
<div><button type="submit">Pay with crypto</button></div></form>"#
            )
        })
        .collect();
    page(
        "Products",
        &format!(
            "<h1>Products</h1><p>Everything here is paid through the local Cryptomus sandbox: no real money moves.</p>{products}"
        ),
    )
}

#[derive(Deserialize)]
struct CheckoutForm {
    product: String,
    coin: usize,
}

async fn checkout(
    State(store): State<DemoStore>,
    form: Result<Form<CheckoutForm>, FormRejection>,
) -> Response {
    let choice = form.ok().and_then(|Form(f)| {
        let product = PRODUCTS.iter().find(|(code, _, _)| *code == f.product)?;
        Some((product, COINS.get(f.coin)?))
    });
    let Some(((_, name, price), (coin, network, label))) = choice else {
        return (
            StatusCode::BAD_REQUEST,
            page(
                "Checkout",
                "<h1>Unknown product or coin</h1><p><a href=\"/\">Back to the products</a></p>",
            ),
        )
            .into_response();
    };
    // Reserved before the await, so concurrent checkouts never share a number.
    let number = store.next_number.fetch_add(1, Ordering::Relaxed);
    let request = CreateInvoiceRequest {
        order_id: format!("demo-{number}"),
        amount: (*price).to_owned(),
        currency: "USD".into(),
        network: Some((*network).to_owned()),
        to_currency: Some((*coin).to_owned()),
        lifetime: Some(900),
        url_return: Some(format!("{}/shop/orders", store.services.public_url())),
        url_success: Some(format!("{}/shop/orders", store.services.public_url())),
        platform_order_ref: Some(number.to_string()),
    };
    match store
        .services
        .invoices
        .create_invoice(&store.shop, request)
        .await
    {
        Ok((record, _)) => {
            if let Ok(mut orders) = store.orders.lock() {
                orders.push(DemoOrder {
                    number,
                    product: name,
                    price,
                    coin: label,
                    invoice: record.id.clone(),
                    status: "awaiting payment".into(),
                });
            }
            Redirect::to(&format!("/pay/{}", record.id)).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "demo checkout failed");
            let body = format!(
                "<h1>Checkout failed</h1><p>{}</p><p><a href=\"/\">Back</a></p>",
                escape(&e.to_string())
            );
            (StatusCode::BAD_GATEWAY, page("Checkout", &body)).into_response()
        }
    }
}

async fn orders(State(store): State<DemoStore>) -> Html<String> {
    let mut rows = String::new();
    for order in store.orders().iter().rev() {
        let status = escape(&order.status);
        rows.push_str(&format!(
            r#"<tr data-order="{n}"><td>#{n}</td><td>{product}</td><td>{price} USD</td><td>{coin}</td><td class="order-status">{status}</td><td><a href="/pay/{invoice}">payment page</a></td></tr>"#,
            n = order.number,
            product = order.product,
            price = order.price,
            coin = order.coin,
            invoice = order.invoice,
        ));
    }
    if rows.is_empty() {
        rows =
            r#"<tr><td colspan="6">No orders yet. <a href="/">Buy something</a>.</td></tr>"#.into();
    }
    page(
        "Orders",
        &format!(
            "<h1>Orders</h1><table><thead><tr><th>Order</th><th>Product</th><th>Price</th><th>Coin</th><th>Payment</th><th></th></tr></thead><tbody>{rows}</tbody></table>"
        ),
    )
}

/// What a shop does with the shim's callback: check the signature over the raw body, then update
/// its order (here: the status shown on the orders page). Anything else is refused.
async fn callback(
    State(store): State<DemoStore>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let signature = headers
        .get(crate::outbox::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !crate::outbox::verify(
        &store.callback_secret,
        signature,
        &body,
        crate::services::now(),
    ) {
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(event) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    if event["type"] == "wallet.deposit"
        || event["type"] == "payout.updated"
        || event["type"] == "test"
    {
        // The demo store keeps no customer accounts to credit, and pays nobody out; a test
        // callback only checks that it is reached.
        return StatusCode::OK;
    }
    let (Some(id), Some(status)) = (
        event["invoice"]["id"].as_str(),
        event["invoice"]["status"].as_str(),
    ) else {
        return StatusCode::BAD_REQUEST;
    };
    if let Ok(mut orders) = store.orders.lock()
        && let Some(order) = orders.iter_mut().find(|o| o.invoice.as_str() == id)
    {
        order.status = status.to_owned();
    }
    StatusCode::OK
}

async fn panel_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        PANEL_JS,
    )
}

/// The pay page's sandbox panel: plays the payer's wallet against the in-process sandbox.
const PANEL_JS: &str = r#"// Demo only: simulates the payer's wallet through the sandbox controls.
(() => {
  const panel = document.getElementById("sandbox-panel");
  if (!panel) return;
  const invoice = panel.dataset.invoice;
  panel.innerHTML = `<h2>Sandbox: play the payer</h2>
    <p>These buttons stand in for a wallet app. The sandbox then sends the signed webhooks the real gateway would.</p>
    <button type="button" data-action="full">Pay in full</button>
    <button type="button" data-action="half">Pay half</button>
    <button type="button" data-action="expire">Let it expire</button>
    <p class="sandbox-result" role="status"></p>`;
  const result = panel.querySelector(".sandbox-result");

  // Halves a decimal string exactly, without floating point.
  const halve = (text) => {
    const [whole, frac = ""] = text.split(".");
    const digits = frac.length + 1;
    const units = BigInt(whole + frac) * 10n / 2n;
    const s = units.toString().padStart(digits + 1, "0");
    return `${s.slice(0, -digits)}.${s.slice(-digits)}`;
  };

  const control = async (path, body) => {
    const response = await fetch(`/cryptomus/sandbox/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    result.textContent = response.ok
      ? `The sandbox now reports "${answer.result.status}". Watch the payment page update.`
      : `The sandbox refused: ${answer.message || JSON.stringify(answer.errors || answer)}`;
  };

  panel.addEventListener("click", async (event) => {
    const action = event.target.closest("button")?.dataset.action;
    if (!action) return;
    if (action === "expire") return control("expire", { order_id: invoice });
    const view = await (await fetch(`/v1/invoices/${invoice}`)).json();
    const due = view.remaining_amount || view.payer_amount;
    if (!due) { result.textContent = "This invoice has no coin yet."; return; }
    control("pay", { order_id: invoice, amount: action === "full" ? due : halve(due) });
  });
})();
"#;
