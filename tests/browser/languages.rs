//! The widget's languages when the server of its files is slow: the payer sees English after a
//! short wait rather than nothing, and the widget takes its language's words when they come.

use crate::pay_page::WAIT;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use e2e_tests::demo::{DemoApp, widget_dir};
use e2e_tests::webdriver::Browser;
use serde_json::json;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The labels of the invoice card's rows, in the widget on the example page.
const LABELS: &str = "const root = document.getElementById('late')?.shadowRoot; \
    return root?.querySelector('.ckw-label') ? [root.querySelector('.ckw').lang, root.querySelector('.ckw-label').textContent] : null";

/// Serves the widget's translations, each only once the test lets one through.
async fn late_locale(
    State(gate): State<Arc<Semaphore>>,
    Path(file): Path<String>,
) -> impl IntoResponse {
    let _pass = gate.acquire().await;
    let cors = [(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")];
    let safe = file
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'));
    match widget_dir().map(|dir| std::fs::read(dir.join("locales").join(&file))) {
        Ok(Ok(bytes)) if safe => (StatusCode::OK, cors, bytes),
        _ => (StatusCode::NOT_FOUND, cors, Vec::new()),
    }
}

/// A merchant's page with the widget mounted in German, its files served by a host that answers
/// each request for them only when `gate` lets it.
async fn german_widget(app: &DemoApp, order: &str, gate: Arc<Semaphore>) -> Browser {
    let invoice = app.create_invoice(order, "12.00", "tron").await.unwrap();
    let id = invoice["id"].as_str().unwrap().to_owned();
    let router = axum::Router::new()
        .route("/locales/{file}", axum::routing::get(late_locale))
        .with_state(gate);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let assets = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });

    let browser = Browser::start().await.unwrap();
    browser.goto(&app.examples_url).await.unwrap();
    browser
        .eval(&format!(
            "const el = document.createElement('div'); el.id = 'late'; document.body.append(el); \
             import('{shim}/widget/checkout.js').then(async (w) => {{ await w.default(); \
             w.mount(el, {{ invoiceId: '{id}', apiBase: '{shim}', assetBase: '{assets}', locale: 'de' }}); }}); \
             return true",
            shim = app.url
        ))
        .await
        .unwrap();
    browser
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_language_file_shows_english_first_then_the_language() {
    let app = DemoApp::start().await.unwrap();
    let gate = Arc::new(Semaphore::new(0));
    let browser = german_widget(&app, "late-words-1", gate.clone()).await;
    let english = browser
        .wait_for("English while the words are late", LABELS, WAIT, |v| {
            v.is_array()
        })
        .await
        .unwrap();
    assert_eq!(
        english,
        json!(["en", "Amount"]),
        "the payer can pay meanwhile, in English marked as such"
    );

    gate.add_permits(1);
    browser
        .wait_for("the German words", LABELS, WAIT, |v| {
            v == &json!(["de", "Betrag"])
        })
        .await
        .unwrap();
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_language_file_in_time_stays_when_the_wait_for_it_ends() {
    let app = DemoApp::start().await.unwrap();
    let browser = german_widget(&app, "words-in-time-1", Arc::new(Semaphore::new(1))).await;
    browser
        .wait_for("the German words", LABELS, WAIT, |v| {
            v == &json!(["de", "Betrag"])
        })
        .await
        .unwrap();
    // Past the widget's wait for late words (2.5 s): its end must not bring English back.
    tokio::time::sleep(std::time::Duration::from_millis(3_000)).await;
    let labels = browser.eval(LABELS).await.unwrap();
    assert_eq!(labels, json!(["de", "Betrag"]), "still German");
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_right_to_left_language_is_laid_out_and_accessible() {
    let app = DemoApp::start().await.unwrap();
    let invoice = app.create_invoice("rtl-1", "15.50", "tron").await.unwrap();
    let id = invoice["id"].as_str().unwrap();
    let browser = Browser::start().await.unwrap();
    let shown = "const root = document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelector('.ckw'); \
        return root?.querySelector('.ckw-amount') ? { lang: root.lang, dir: root.dir, amount: root.querySelector('.ckw-amount').textContent, \
          page: document.documentElement.dir } : null";
    // Each with the digits its payers read: Arabic-Indic, Persian, and Western for Urdu and Hebrew.
    for (tag, amount) in [
        ("ar", "١٥٫٥ USDT"),
        ("fa", "۱۵٫۵ USDT"),
        ("ur", "15.5 USDT"),
        ("he", "15.5 USDT"),
    ] {
        browser
            .goto(&format!("{}/pay/{id}?lang={tag}", app.url))
            .await
            .unwrap();
        let layout = browser
            .wait_for(&format!("the widget in {tag}"), shown, WAIT, |v| {
                v["lang"] == tag
            })
            .await
            .unwrap();
        assert_eq!(
            layout,
            json!({ "lang": tag, "dir": "rtl", "amount": amount, "page": "rtl" }),
            "{tag}"
        );
        browser
            .screenshot(&crate::pay_page::screenshot_path(&format!("rtl-{tag}")))
            .await
            .unwrap();
        let violations = e2e_tests::a11y::violations(&browser).await.unwrap();
        assert!(violations.is_empty(), "{tag}: {violations:?}");
    }
    browser.close().await.unwrap();
}
