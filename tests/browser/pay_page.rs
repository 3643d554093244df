use e2e_tests::demo::DemoApp;
use e2e_tests::webdriver::Browser;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

const STATUS: &str = "return document.querySelector('.ckw')?.dataset.status ?? null";
const WAIT: Duration = Duration::from_secs(30);

fn screenshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("screenshots")
        .join(format!("{name}.png"))
}

/// Opens the invoice's pay page and waits until the widget shows its address and a running
/// countdown. Marks the window so that a reload would be noticed.
async fn open_pay_page(app: &DemoApp, browser: &Browser, invoice: &Value) {
    let id = invoice["id"].as_str().unwrap();
    browser
        .goto(&format!("{}/pay/{id}", app.url))
        .await
        .unwrap();
    let address = invoice["address"].as_str().unwrap().to_owned();
    browser
        .wait_for(
            "the address",
            "return document.querySelector('.ckw-address')?.textContent ?? null",
            WAIT,
            |v| v.as_str() == Some(address.as_str()),
        )
        .await
        .unwrap();
    let seconds = "return Number(document.querySelector('.ckw-countdown')?.dataset.seconds ?? -1)";
    let first = browser.eval(seconds).await.unwrap().as_i64().unwrap();
    assert!(first > 0, "countdown shows {first}");
    browser
        .wait_for(
            "the countdown to run",
            seconds,
            Duration::from_secs(5),
            |v| v.as_i64().is_some_and(|s| s < first && s > 0),
        )
        .await
        .unwrap();
    let qr = browser
        .eval("return document.querySelector('.ckw-qr svg') !== null")
        .await
        .unwrap();
    assert_eq!(qr, json!(true), "the QR code is on the page");
    browser
        .eval("window.__notReloaded = true; return true")
        .await
        .unwrap();
}

async fn wait_for_status(browser: &Browser, status: &str) {
    browser
        .wait_for(&format!("status {status}"), STATUS, WAIT, |v| {
            v.as_str() == Some(status)
        })
        .await
        .unwrap();
    let same_page = browser
        .eval("return window.__notReloaded === true")
        .await
        .unwrap();
    assert_eq!(same_page, json!(true), "the page changed without a reload");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paying_in_full_shows_paid_without_a_reload() {
    let app = DemoApp::start().await.unwrap();
    let invoice = app
        .create_invoice("e2e-paid", "15.00", "tron")
        .await
        .unwrap();
    let browser = Browser::start().await.unwrap();
    open_pay_page(&app, &browser, &invoice).await;
    browser
        .screenshot(&screenshot_path("pending"))
        .await
        .unwrap();

    app.sandbox(
        "pay",
        json!({ "order_id": invoice["id"], "amount": invoice["payer_amount"] }),
    )
    .await
    .unwrap();
    wait_for_status(&browser, "paid").await;
    let title = browser
        .eval("return document.querySelector('.ckw-status').textContent")
        .await
        .unwrap();
    assert_eq!(title, json!("Payment complete"));
    let back = browser
        .eval("return document.querySelector('.ckw-return')?.getAttribute('href')")
        .await
        .unwrap();
    assert_eq!(back, json!(format!("{}/shop/orders", app.url)));
    browser.screenshot(&screenshot_path("paid")).await.unwrap();
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_shows_expired() {
    let app = DemoApp::start().await.unwrap();
    let invoice = app
        .create_invoice("e2e-expired", "25.00", "eth")
        .await
        .unwrap();
    let browser = Browser::start().await.unwrap();
    open_pay_page(&app, &browser, &invoice).await;

    app.sandbox("expire", json!({ "order_id": invoice["id"] }))
        .await
        .unwrap();
    wait_for_status(&browser, "expired").await;
    let address_gone = browser
        .eval("return document.querySelector('.ckw-address') === null")
        .await
        .unwrap();
    assert_eq!(
        address_gone,
        json!(true),
        "an expired invoice no longer shows where to pay"
    );
    browser
        .screenshot(&screenshot_path("expired"))
        .await
        .unwrap();
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_payment_shows_what_is_due_then_the_top_up_completes_it() {
    let app = DemoApp::start().await.unwrap();
    let invoice = app
        .create_invoice("e2e-partial", "10.00", "tron")
        .await
        .unwrap();
    let browser = Browser::start().await.unwrap();
    open_pay_page(&app, &browser, &invoice).await;

    app.sandbox("pay", json!({ "order_id": invoice["id"], "amount": "4" }))
        .await
        .unwrap();
    wait_for_status(&browser, "partially_paid").await;
    let amount = browser
        .eval("return document.querySelector('.ckw-amount').textContent")
        .await
        .unwrap();
    assert_eq!(
        amount,
        json!("6 USDT"),
        "the amount switches to what is still due"
    );
    browser
        .screenshot(&screenshot_path("partially-paid"))
        .await
        .unwrap();

    app.sandbox("pay", json!({ "order_id": invoice["id"], "amount": "6" }))
        .await
        .unwrap();
    wait_for_status(&browser, "paid").await;
    browser.close().await.unwrap();
}
