//! The widget's deposit mode in Chromium: a customer's deposit page shows the address and a QR
//! code a wallet reads, then each deposit as the sandbox sends it, pushed by the shim, without a
//! reload; the card passes axe's WCAG 2.1 A and AA checks.

use crate::pay_page::{WAIT, assert_qr_carries, screenshot_path};
use e2e_tests::demo::DemoApp;
use e2e_tests::webdriver::Browser;
use e2e_tests::widget;
use serde_json::{Value, json};

const DEPOSITS: &str = "return [...(document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelectorAll('.ckw-deposit') ?? [])].map(d => d.dataset.credited)";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_sees_their_deposits_arrive_on_their_deposit_page() {
    let app = DemoApp::start().await.unwrap();
    let wallet: Value = app
        .post_as_shop(
            "/v1/wallets",
            &json!({ "customer": "gamer-1", "currency": "USDT", "network": "tron" }),
        )
        .await
        .unwrap();
    let address = wallet["address"].as_str().unwrap().to_owned();
    let page = wallet["page_url"].as_str().unwrap().to_owned();
    assert!(
        page.ends_with(&format!("/wallet/{}", wallet["id"].as_str().unwrap())),
        "{page}"
    );

    let browser = Browser::start().await.unwrap();
    browser.goto(&page).await.unwrap();
    browser
        .wait_for("the address", widget::ADDRESS, WAIT, |v| {
            v.as_str() == Some(address.as_str())
        })
        .await
        .unwrap();
    assert_qr_carries(&browser, &address).await;
    assert_eq!(browser.eval(DEPOSITS).await.unwrap(), json!([]));
    browser
        .eval("window.__notReloaded = true; return true")
        .await
        .unwrap();

    for amount in ["25", "5"] {
        app.sandbox("deposit", json!({ "address": address, "amount": amount }))
            .await
            .unwrap();
    }
    browser
        .wait_for("two deposits, credited", DEPOSITS, WAIT, |v| {
            v == &json!(["true", "true"])
        })
        .await
        .unwrap();
    let credited = browser
        .eval("return document.querySelector('[data-checkout-widget]').shadowRoot.querySelector('.ckw-credited').textContent")
        .await
        .unwrap();
    assert!(credited.as_str().unwrap().contains("USDT"), "{credited}");
    // Pushed by the shim over one stream: the page never read the wallet again.
    let requests = browser
        .eval(&format!(
            "const names = performance.getEntriesByType('resource').map(e => e.name); \
             return {{ reads: names.filter(n => n.endsWith('/v1/wallets/{id}')).length, \
                       streams: names.filter(n => n.endsWith('/v1/wallets/{id}/events')).length }}",
            id = wallet["id"].as_str().unwrap()
        ))
        .await
        .unwrap();
    // An open stream is in the resource timings only once it ends.
    assert_eq!(requests["reads"], 0, "{requests}");
    assert!(requests["streams"].as_u64().unwrap() <= 1, "{requests}");
    assert_eq!(
        browser
            .eval("return window.__notReloaded === true")
            .await
            .unwrap(),
        json!(true),
        "shown without a reload"
    );
    browser
        .screenshot(&screenshot_path("deposit-page"))
        .await
        .unwrap();
    let violations = e2e_tests::a11y::violations(&browser).await.unwrap();
    assert!(violations.is_empty(), "{violations:#?}");

    // In German: the widget fetches the words of its language, and writes amounts its way.
    browser.goto(&format!("{page}?lang=de")).await.unwrap();
    let heading = browser
        .wait_for(
            "the German heading",
            "const c = document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelector('.ckw[lang=de]'); \
             return c?.querySelector('.ckw-deposits-title') ? c.querySelector('.ckw-status').textContent : null",
            WAIT,
            |v| v.is_string(),
        )
        .await
        .unwrap();
    assert_eq!(heading, json!("Ihre Einzahlungsadresse"));
    let german = browser
        .eval("return document.querySelector('[data-checkout-widget]').shadowRoot.querySelector('.ckw-deposits-title').textContent")
        .await
        .unwrap();
    assert_eq!(german, json!("Einzahlungen"));

    // The invoice widget and the deposit card are two builds: each says where the other is.
    let refusals = browser
        .eval_async(
            "const done = arguments[arguments.length - 1]; \
             const attempt = async (file, options) => { const w = await import(`/widget/${file}`); \
               await w.default(); try { w.mount(document.createElement('div'), options); return 'mounted'; } \
               catch (e) { return String(e); } }; \
             Promise.all([attempt('checkout.js', { walletId: 'wal_000000000000000000000000' }), \
               attempt('deposit.js', { invoiceId: 'inv_1' })]).then(done, (e) => done(String(e)));",
        )
        .await
        .unwrap();
    let refusals: Vec<String> = serde_json::from_value(refusals).unwrap();
    assert!(
        refusals[0].contains("this is checkout.js") && refusals[0].contains("is deposit.js"),
        "{refusals:?}"
    );
    assert!(
        refusals[1].contains("this is deposit.js") && refusals[1].contains("are checkout.js"),
        "{refusals:?}"
    );

    // An unknown wallet: a page saying so.
    browser
        .goto(&format!("{}/wallet/wal_000000000000000000000000", app.url))
        .await
        .unwrap();
    let title = browser
        .eval("return document.querySelector('h1')?.textContent")
        .await
        .unwrap();
    assert_eq!(title, json!("Deposit address not found"));
    browser.close().await.unwrap();
}
