//! A Shopify buyer, end to end in Chromium: from the "Pay with crypto" link of their order (as
//! Shopify's app proxy forwards it, signed), to the pay page, a coin, a payment from the sandbox,
//! and back to the order's status page, which now says paid: the shim marked it through the
//! Admin API of the Shopify emulator.

use crate::pay_page::{WAIT, screenshot_path};
use e2e_tests::demo::DemoApp;
use e2e_tests::webdriver::Browser;
use e2e_tests::widget;
use platform_emulators::shopify::ShopifyEmulator;
use serde_json::{Value, json};
use server_shim::store::Store;
use shop_adapters::shopify::transformers::app_proxy_signature;

const DOMAIN: &str = "e2e-shop.myshopify.com";
const SECRET: &str = "e2e-app-client-secret";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shopify_buyer_pays_from_the_order_page_and_comes_back_to_it_paid() {
    let dir = std::env::temp_dir().join(format!("e2e-shopify-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("shim.db").display());
    let app = DemoApp::start_on(&db).await.unwrap();

    // The shop: its Admin API and its order status pages, on one address.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let store_url = format!("http://{}", listener.local_addr().unwrap());
    let shopify = ShopifyEmulator::new(DOMAIN, "shpat_unused_here")
        .with_app("e2e-client", SECRET)
        .with_storefront(&store_url);
    shopify.add_order(31, "12.00", "USD");
    let router = shopify.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let config = json!({ "platform": "shopify", "shop": DOMAIN, "client_id": "e2e-client",
        "api_secret": SECRET, "admin_url": store_url });
    Store::connect(&db)
        .await
        .unwrap()
        .set_shop_platform("demo", Some(&serde_json::from_value(config).unwrap()))
        .await
        .unwrap();

    // What the buyer's click on the thank-you page becomes once Shopify's app proxy signed it.
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let mut query: Vec<(String, String)> = [
        ("order", "31"),
        ("confirmation", "CONF00031"),
        ("shop", DOMAIN),
        ("logged_in_customer_id", ""),
        ("path_prefix", "/apps/crypto-checkout"),
        ("timestamp", timestamp.as_str()),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    query.push(("signature".into(), app_proxy_signature(SECRET, &query)));
    let link =
        reqwest::Url::parse_with_params(&format!("{}/v1/shopify/proxy/pay", app.url), &query)
            .unwrap();

    let browser = Browser::start().await.unwrap();
    browser.goto(link.as_str()).await.unwrap();
    browser
        .wait_for(
            "the coin buttons",
            "return document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelectorAll('.ckw-coin').length ?? 0",
            WAIT,
            |v| v.as_u64().is_some_and(|n| n > 0),
        )
        .await
        .unwrap();
    let amount = browser
        .eval("return document.querySelector('[data-checkout-widget]')?.shadowRoot?.textContent ?? ''")
        .await
        .unwrap();
    assert!(
        amount.as_str().unwrap().contains("12"),
        "the order's total: {amount}"
    );
    browser.eval(widget::PICK_USDT_ON_TRON).await.unwrap();
    browser
        .wait_for("the address", widget::ADDRESS, WAIT, Value::is_string)
        .await
        .unwrap();
    browser
        .screenshot(&screenshot_path("shopify-pay-page"))
        .await
        .unwrap();
    let invoice = browser
        .eval("return location.pathname")
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .trim_start_matches("/pay/")
        .to_owned();
    app.sandbox(
        "pay",
        json!({ "order_id": format!("{invoice}-2"), "amount": "12" }),
    )
    .await
    .unwrap();

    // Paid: the widget takes the buyer back to their order, which Shopify now shows paid.
    browser
        .wait_for(
            "the order status page",
            "return location.pathname",
            WAIT,
            |v| v == "/account/orders/31",
        )
        .await
        .unwrap();
    // The widget leaves as soon as the invoice is paid; the outbox tells Shopify right after.
    let deadline = std::time::Instant::now() + WAIT;
    while shopify.order(31).unwrap().financial_status != "PAID" {
        assert!(
            std::time::Instant::now() < deadline,
            "the order was not marked paid"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    browser
        .goto(&format!("{store_url}/account/orders/31"))
        .await
        .unwrap();
    let status = browser
        .wait_for(
            "the order paid",
            "return document.getElementById('financial-status')?.textContent ?? null",
            WAIT,
            Value::is_string,
        )
        .await
        .unwrap();
    assert_eq!(status, json!("PAID"));
    let note = shopify.order(31).unwrap().note.unwrap_or_default();
    assert!(note.contains(&invoice), "{note}");
    browser.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
