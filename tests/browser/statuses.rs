//! Every status the payer can meet, each on its own screen: reached through the sandbox as a real
//! payment would, captured as a screenshot a reviewer can open, and checked with axe-core.

use crate::pay_page::{STATUS, WAIT, assert_qr_carries, screenshot_path};
use e2e_tests::demo::DemoApp;
use e2e_tests::webdriver::Browser;
use serde_json::{Value, json};
use shim_gateway::{CryptomusClient, GatewayConfig, PaymentRef};

/// Opens the invoice's pay page and waits for the widget to show `status`.
async fn open(app: &DemoApp, browser: &Browser, id: &str, status: &str) {
    browser
        .goto(&format!("{}/pay/{id}", app.url))
        .await
        .unwrap();
    wait(browser, status).await;
}

async fn wait(browser: &Browser, status: &str) {
    browser
        .wait_for(&format!("status {status}"), STATUS, WAIT, |v| {
            v.as_str() == Some(status)
        })
        .await
        .unwrap();
}

/// Captures the screen and checks it: no WCAG 2.1 AA violation, and a title for the status.
async fn check(browser: &Browser, status: &str) {
    browser
        .screenshot(&screenshot_path(&format!("status-{status}")))
        .await
        .unwrap();
    let violations = e2e_tests::a11y::violations(browser).await.unwrap();
    assert!(
        violations.is_empty(),
        "{status}: accessibility violations: {}",
        serde_json::to_string_pretty(&violations).unwrap()
    );
    let title = browser
        .eval("return document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelector('.ckw-status')?.textContent ?? ''")
        .await
        .unwrap();
    assert!(!title.as_str().unwrap().is_empty(), "{status}: no title");
}

/// Polls the API until the invoice is `status` (for changes the widget no longer listens for).
async fn wait_api(app: &DemoApp, id: &str, status: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let view: Value = app.invoice(id).await.unwrap();
        if view["status"] == status {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{id} stayed {}",
            view["status"]
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn invoice(app: &DemoApp, order: &str) -> Value {
    app.create_invoice(order, "15.00", "tron").await.unwrap()
}

async fn control(app: &DemoApp, control: &str, body: Value) {
    app.sandbox(control, body).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_status_screen_is_accessible_and_captured() {
    let app = DemoApp::start().await.unwrap();
    let browser = Browser::start().await.unwrap();
    let config = app.sandbox.config();
    let gateway = CryptomusClient::new(GatewayConfig::new(
        format!("{}/cryptomus", app.url),
        config.merchant.clone(),
        config.payment_key.clone(),
    ))
    .unwrap();

    // Pending, then confirming, then paid.
    let first = invoice(&app, "status-paid").await;
    let id = first["id"].as_str().unwrap();
    open(&app, &browser, id, "pending").await;
    assert_qr_carries(&browser, first["payment_uri"].as_str().unwrap()).await;
    // The check itself can fail: an image without a text alternative is caught, inside the
    // widget's shadow root too.
    browser
        .eval("const img = document.createElement('img'); img.id = 'bad'; img.src = 'data:,'; document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelector('.ckw').append(img); return true")
        .await
        .unwrap();
    let caught = e2e_tests::a11y::violations(&browser).await.unwrap();
    assert!(
        caught.iter().any(|v| v["rule"] == "image-alt"),
        "{caught:?}"
    );
    browser
        .eval("document.querySelector('[data-checkout-widget]').shadowRoot.getElementById('bad').remove(); return true")
        .await
        .unwrap();
    check(&browser, "pending").await;
    // The dark theme passes the same checks.
    browser
        .goto(&format!("{}/pay/{id}?theme=dark", app.url))
        .await
        .unwrap();
    wait(&browser, "pending").await;
    let theme = browser
        .eval("return document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelector('.ckw')?.dataset.theme")
        .await
        .unwrap();
    assert_eq!(theme, json!("dark"));
    check(&browser, "pending-dark").await;
    control(
        &app,
        "pay",
        json!({ "order_id": id, "amount": "15", "confirm": false }),
    )
    .await;
    wait(&browser, "confirming").await;
    check(&browser, "confirming").await;
    control(&app, "confirm", json!({ "order_id": id })).await;
    wait(&browser, "paid").await;
    check(&browser, "paid").await;

    // The merchant refunds it: refunding, then refunded. The widget stopped listening at "paid"
    // (a final status); the payer comes back to the link.
    gateway
        .refund(
            &PaymentRef::OrderId(id.to_owned()),
            "TXsQ1gUkgqNdD5ybEgMhB9xxWBbMAb1qJP",
            false,
        )
        .await
        .unwrap();
    let id_paid = id.to_owned();
    wait_api(&app, &id_paid, "refunding").await;
    open(&app, &browser, &id_paid, "refunding").await;
    check(&browser, "refunding").await;
    control(&app, "refund", json!({ "order_id": id })).await;
    wait(&browser, "refunded").await;
    check(&browser, "refunded").await;

    // A refund that fails.
    let other = invoice(&app, "status-refund-failed").await;
    let id = other["id"].as_str().unwrap();
    control(&app, "pay", json!({ "order_id": id, "amount": "15" })).await;
    open(&app, &browser, id, "paid").await;
    gateway
        .refund(
            &PaymentRef::OrderId(id.to_owned()),
            "TXsQ1gUkgqNdD5ybEgMhB9xxWBbMAb1qJP",
            false,
        )
        .await
        .unwrap();
    wait_api(&app, id, "refunding").await;
    open(&app, &browser, id, "refunding").await;
    control(&app, "refund", json!({ "order_id": id, "result": "fail" })).await;
    wait(&browser, "refund_failed").await;
    check(&browser, "refund_failed").await;

    // Partially paid (the QR asks for the rest), then closed short: underpaid.
    let short = invoice(&app, "status-short").await;
    let id = short["id"].as_str().unwrap();
    open(&app, &browser, id, "pending").await;
    control(&app, "pay", json!({ "order_id": id, "amount": "5" })).await;
    wait(&browser, "partially_paid").await;
    let view: Value = app.invoice(id).await.unwrap();
    assert_qr_carries(&browser, view["payment_uri"].as_str().unwrap()).await;
    check(&browser, "partially_paid").await;
    control(&app, "expire", json!({ "order_id": id })).await;
    wait(&browser, "underpaid").await;
    check(&browser, "underpaid").await;

    // More than asked.
    let over = invoice(&app, "status-over").await;
    let id = over["id"].as_str().unwrap();
    control(&app, "pay", json!({ "order_id": id, "amount": "20" })).await;
    open(&app, &browser, id, "overpaid").await;
    check(&browser, "overpaid").await;

    // Nothing paid in time.
    let late = invoice(&app, "status-expired").await;
    let id = late["id"].as_str().unwrap();
    control(&app, "expire", json!({ "order_id": id })).await;
    open(&app, &browser, id, "expired").await;
    check(&browser, "expired").await;

    // The gateway fails the payment.
    let failed = invoice(&app, "status-failed").await;
    let id = failed["id"].as_str().unwrap();
    control(&app, "fail", json!({ "order_id": id })).await;
    open(&app, &browser, id, "failed").await;
    check(&browser, "failed").await;

    // The gateway holds the payment for checks.
    let held = invoice(&app, "status-review").await;
    let id = held["id"].as_str().unwrap();
    control(&app, "hold", json!({ "order_id": id })).await;
    open(&app, &browser, id, "review").await;
    check(&browser, "review").await;

    browser.close().await.unwrap();
}
