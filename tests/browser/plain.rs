//! Payers whose browsers run no WebAssembly or no script at all: the shim's pay and deposit pages
//! in plain HTML (amount, network warning, address, a QR code a wallet reads, the status), which
//! reload themselves until the payment is over; and the receipt, in the payer's language, as it
//! prints.

use crate::pay_page::{WAIT, screenshot_path};
use e2e_tests::demo::DemoApp;
use e2e_tests::webdriver::Browser;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// What the plain page shows: its status, address and network note (read by WebDriver, which
/// runs even where the page's own scripts may not).
const PLAIN: &str = "const plain = document.querySelector('#checkout > .plain'); \
    return plain ? { status: plain.dataset.status, address: plain.querySelector('.address')?.textContent ?? null, \
      edges: [...plain.querySelectorAll('.address .edge')].map(e => e.textContent), \
      warning: plain.querySelector('.warn')?.textContent ?? null, visible: plain.getBoundingClientRect().height > 0, \
      widget: !!document.querySelector('#checkout').shadowRoot } : null";

/// Decodes the QR codes in a screenshot of the page as it is.
async fn codes_on_screen(browser: &Browser, name: &str) -> Vec<String> {
    browser
        .eval("document.querySelector('.qr')?.scrollIntoView({block: 'center'}); return true")
        .await
        .unwrap();
    let png = browser.screenshot(&screenshot_path(name)).await.unwrap();
    e2e_tests::qr::decode_png(&png).unwrap()
}

/// Waits, without touching the page, until its markup holds `needle` (the page reloads itself).
async fn wait_for_markup(browser: &Browser, needle: &str, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        if let Ok(source) = browser.source().await
            && source.contains(needle)
        {
            return;
        }
        assert!(Instant::now() < deadline, "the page never showed {needle}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A payer pays invoice `invoice` from its pay page in `browser`, which cannot run the widget.
async fn pay_on_the_plain_page(app: &DemoApp, browser: &Browser, invoice: &Value, name: &str) {
    let id = invoice["id"].as_str().unwrap();
    browser
        .goto(&format!("{}/pay/{id}", app.url))
        .await
        .unwrap();
    let address = invoice["address"].as_str().unwrap();
    let shown = browser.eval(PLAIN).await.unwrap();
    assert_eq!(shown["status"], "pending", "{shown}");
    assert_eq!(shown["address"], address, "the whole address, as text");
    assert_eq!(
        shown["edges"],
        json!([&address[..6], &address[address.len() - 6..]]),
        "its first and last characters set apart"
    );
    let warning = shown["warning"].as_str().unwrap();
    assert!(
        warning.contains("TRON (TRC-20)") && warning.contains("TRX"),
        "the network, and the coin its fee is paid in: {warning}"
    );
    assert_eq!(shown["visible"], true, "{shown}");
    assert_eq!(shown["widget"], false, "no widget here: {shown}");
    assert_eq!(
        codes_on_screen(browser, &format!("{name}-pending")).await,
        [invoice["payment_uri"].as_str().unwrap().to_owned()],
        "the QR code carries the payment URI"
    );

    app.sandbox(
        "pay",
        json!({ "order_id": id, "amount": invoice["payer_amount"] }),
    )
    .await
    .unwrap();
    // The page reloads itself every 10 s while the invoice is open.
    wait_for_markup(browser, r#"data-status="paid""#, Duration::from_secs(25)).await;
    browser
        .screenshot(&screenshot_path(&format!("{name}-paid")))
        .await
        .unwrap();
    let receipt = browser
        .eval("return document.querySelector('.plain a[href$=\"/receipt\"]')?.getAttribute('href') ?? null")
        .await
        .unwrap();
    assert_eq!(receipt, json!(format!("/pay/{id}/receipt")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payer_without_script_pays_from_the_plain_page() {
    let app = DemoApp::start().await.unwrap();
    let invoice = app
        .create_invoice("plain-no-script", "15.00", "tron")
        .await
        .unwrap();
    let browser = Browser::start_without_script().await.unwrap();
    pay_on_the_plain_page(&app, &browser, &invoice, "plain-no-script").await;
    // Final: the page stops reloading.
    let source = browser.source().await.unwrap();
    assert!(
        !source.contains("http-equiv=\"refresh\""),
        "a paid page stays"
    );
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payer_without_webassembly_pays_from_the_plain_page() {
    let app = DemoApp::start().await.unwrap();
    let invoice = app
        .create_invoice("plain-no-wasm", "15.00", "tron")
        .await
        .unwrap();
    let browser = Browser::start_without_webassembly().await.unwrap();
    browser.goto(&app.url).await.unwrap();
    assert_eq!(
        browser.eval("return typeof WebAssembly").await.unwrap(),
        json!("undefined"),
        "this browser has no WebAssembly"
    );
    pay_on_the_plain_page(&app, &browser, &invoice, "plain-no-wasm").await;
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_takes_over_from_the_plain_page() {
    let app = DemoApp::start().await.unwrap();
    let invoice = app
        .create_invoice("plain-then-widget", "15.00", "tron")
        .await
        .unwrap();
    let browser = Browser::start().await.unwrap();
    let id = invoice["id"].as_str().unwrap();
    browser
        .goto(&format!("{}/pay/{id}", app.url))
        .await
        .unwrap();
    let shown = browser
        .wait_for("the widget", PLAIN, WAIT, |v| v["widget"] == true)
        .await
        .unwrap();
    assert_eq!(shown["visible"], false, "the plain page is hidden: {shown}");
    assert_eq!(
        codes_on_screen(&browser, "plain-then-widget").await.len(),
        1,
        "one QR code on screen, the widget's"
    );
    // The widget keeps the page fresh: it does not reload.
    browser
        .eval("window.__notReloaded = true; return true")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert_eq!(
        browser
            .eval("return window.__notReloaded === true")
            .await
            .unwrap(),
        json!(true)
    );
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposit_page_without_script_shows_the_address_and_new_deposits() {
    let app = DemoApp::start().await.unwrap();
    let wallet: Value = app
        .post_as_shop(
            "/v1/wallets",
            &json!({ "customer": "plain-1", "currency": "USDT", "network": "tron" }),
        )
        .await
        .unwrap();
    let address = wallet["address"].as_str().unwrap().to_owned();
    let browser = Browser::start_without_script().await.unwrap();
    browser
        .goto(wallet["page_url"].as_str().unwrap())
        .await
        .unwrap();
    let shown = browser.eval(PLAIN).await.unwrap();
    assert_eq!(shown["address"], address.as_str(), "{shown}");
    assert_eq!(
        codes_on_screen(&browser, "plain-deposit").await,
        [wallet["payment_uri"].as_str().unwrap().to_owned()]
    );
    app.sandbox("deposit", json!({ "address": address, "amount": "25" }))
        .await
        .unwrap();
    wait_for_markup(&browser, "<li><bdi>25 USDT</bdi>", Duration::from_secs(25)).await;
    browser
        .screenshot(&screenshot_path("plain-deposit-arrived"))
        .await
        .unwrap();
    browser.close().await.unwrap();
}

/// The receipt's rows, by label.
const RECEIPT: &str = "const rows = {}; const dl = document.querySelector('.receipt dl'); \
    if (!dl) return null; const dts = [...dl.querySelectorAll('dt')]; \
    for (const dt of dts) rows[dt.textContent] = dt.nextElementSibling.textContent; \
    return { lang: document.documentElement.lang, dir: document.documentElement.dir, \
      title: document.querySelector('h1').textContent, rows, \
      links: [...dl.querySelectorAll('.txid a')].map(a => a.href) }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receipt_names_the_payment_in_the_payers_language_and_prints() {
    let app = DemoApp::start().await.unwrap();
    let invoice = app
        .create_invoice("receipt-1", "15.00", "tron")
        .await
        .unwrap();
    let id = invoice["id"].as_str().unwrap();
    let browser = Browser::start().await.unwrap();
    // Not paid yet: no receipt, a way back.
    browser
        .goto(&format!("{}/pay/{id}/receipt", app.url))
        .await
        .unwrap();
    let early = browser
        .eval("return [document.querySelector('h1').textContent, document.querySelector('a').getAttribute('href')]")
        .await
        .unwrap();
    assert_eq!(
        early,
        json!(["Payment receipt", format!("/pay/{id}?lang=en")])
    );

    // Paid in two transactions: both are on the receipt.
    let half = "7.5";
    for (n, amount) in [half, half].into_iter().enumerate() {
        app.sandbox(
            "pay",
            json!({ "order_id": id, "amount": amount, "txid": format!("{:064x}", n + 1) }),
        )
        .await
        .unwrap();
        let want = if n == 0 { "partially_paid" } else { "paid" };
        let deadline = Instant::now() + WAIT;
        while app.invoice(id).await.unwrap()["status"] != want {
            assert!(Instant::now() < deadline, "never {want}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // From the widget's paid screen.
    browser
        .goto(&format!("{}/pay/{id}?lang=de", app.url))
        .await
        .unwrap();
    let link = browser
        .wait_for(
            "the receipt link",
            "return document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelector('.ckw-receipt')?.getAttribute('href') ?? null",
            WAIT,
            |v| v.is_string(),
        )
        .await
        .unwrap();
    assert_eq!(link, json!(format!("{}/pay/{id}/receipt?lang=de", app.url)));
    browser.goto(link.as_str().unwrap()).await.unwrap();
    let receipt = browser.eval(RECEIPT).await.unwrap();
    assert_eq!(receipt["lang"], "de");
    assert_eq!(receipt["title"], "Zahlungsbeleg", "{receipt}");
    let rows = &receipt["rows"];
    assert_eq!(rows["Bestellung"], "receipt-1", "{receipt}");
    assert_eq!(rows["Preis"], "15 USD", "{receipt}");
    assert_eq!(rows["Bezahlt"], "15 USDT", "{receipt}");
    assert_eq!(
        receipt["links"],
        json!([
            format!("https://tronscan.org/#/transaction/{:064x}", 1),
            format!("https://tronscan.org/#/transaction/{:064x}", 2)
        ]),
        "every transaction, linked to a TRON explorer"
    );
    browser
        .screenshot(&screenshot_path("receipt-de"))
        .await
        .unwrap();
    let violations = e2e_tests::a11y::violations(&browser).await.unwrap();
    assert!(violations.is_empty(), "{violations:?}");
    // Printed: no buttons or links back, the explorer's address spelled out.
    browser.emulate_media("print").await.unwrap();
    let printed = browser
        .eval("return [getComputedStyle(document.querySelector('.actions')).display, getComputedStyle(document.body).backgroundColor]")
        .await
        .unwrap();
    assert_eq!(printed, json!(["none", "rgb(255, 255, 255)"]));
    browser.emulate_media("").await.unwrap();

    // Right to left, with the locale's digits.
    browser
        .goto(&format!("{}/pay/{id}/receipt?lang=fa", app.url))
        .await
        .unwrap();
    let receipt = browser.eval(RECEIPT).await.unwrap();
    assert_eq!(receipt["dir"], "rtl", "{receipt}");
    let rows = receipt["rows"].as_object().unwrap();
    assert!(
        rows.values().any(|v| v.as_str() == Some("۱۵ USD")),
        "Persian digits: {receipt}"
    );
    browser
        .screenshot(&screenshot_path("receipt-fa"))
        .await
        .unwrap();
    let violations = e2e_tests::a11y::violations(&browser).await.unwrap();
    assert!(violations.is_empty(), "{violations:?}");
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_merchants_brand_is_on_the_pay_page_and_in_the_widget() {
    use server_shim::services::shops::{BrandRequest, ShopAdmin};
    let file = std::env::temp_dir().join(format!("brand-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let db = format!("sqlite://{}", file.display());
    let app = DemoApp::start_on(&db).await.unwrap();
    let store = server_shim::store::Store::connect(&db).await.unwrap();
    // A 1x1 PNG: the logo.
    let png = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
    )
    .unwrap();
    let request = BrandRequest {
        display_name: Some("Northwind Coffee".into()),
        accent_color: Some("#7b2d8e".into()),
        logo: Some(png),
    };
    ShopAdmin(&store).set_brand("demo", request).await.unwrap();

    let invoice = app
        .create_invoice("brand-1", "15.00", "tron")
        .await
        .unwrap();
    let browser = Browser::start().await.unwrap();
    browser
        .goto(&format!(
            "{}/pay/{}?theme=light",
            app.url,
            invoice["id"].as_str().unwrap()
        ))
        .await
        .unwrap();
    let shown = browser
        .wait_for(
            "the widget in the merchant's colour",
            "const root = document.querySelector('[data-checkout-widget]')?.shadowRoot; \
             const copy = root?.querySelector('.ckw-copy'); \
             return copy ? { copy: getComputedStyle(copy).color, name: document.querySelector('.merchant').textContent, \
               logo: document.querySelector('img.logo').naturalWidth } : null",
            WAIT,
            |v| v.is_object(),
        )
        .await
        .unwrap();
    assert_eq!(
        shown,
        json!({ "copy": "rgb(123, 45, 142)", "name": "Northwind Coffee", "logo": 1 })
    );
    browser
        .screenshot(&screenshot_path("brand-pay-page"))
        .await
        .unwrap();
    let violations = e2e_tests::a11y::violations(&browser).await.unwrap();
    assert!(violations.is_empty(), "{violations:?}");
    browser.close().await.unwrap();
    let _ = std::fs::remove_file(&file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payer_without_script_picks_a_coin_on_the_plain_page() {
    let app = DemoApp::start().await.unwrap();
    // The shop leaves the coin to the payer.
    let invoice = app
        .create_invoice_from(
            &json!({ "order_id": "plain-pick", "amount": "20.00", "currency": "USD" }),
        )
        .await
        .unwrap();
    let id = invoice["id"].as_str().unwrap();
    let browser = Browser::start_without_script().await.unwrap();
    browser
        .goto(&format!("{}/pay/{id}?lang=de", app.url))
        .await
        .unwrap();
    let offered = browser
        .eval("return [...document.querySelectorAll('.coins button')].map(b => b.value)")
        .await
        .unwrap();
    let offered: Vec<String> = serde_json::from_value(offered).unwrap();
    assert!(offered.contains(&"USDT:tron".to_owned()), "{offered:?}");
    browser
        .screenshot(&screenshot_path("plain-coin-picker-de"))
        .await
        .unwrap();
    browser
        .eval("document.querySelector('.coins button[value=\"USDT:tron\"]').click(); return true")
        .await
        .unwrap();
    wait_for_markup(&browser, "class=\"address\"", WAIT).await;
    let view: Value = app.invoice(id).await.unwrap();
    assert_eq!(view["payer_currency"], "USDT");
    let shown = browser.eval(PLAIN).await.unwrap();
    assert_eq!(shown["address"], view["address"], "{shown}");
    assert_eq!(
        browser
            .eval("return document.documentElement.lang")
            .await
            .unwrap(),
        json!("de"),
        "back in the payer's language"
    );
    assert_eq!(
        codes_on_screen(&browser, "plain-coin-picked").await,
        [view["payment_uri"].as_str().unwrap().to_owned()]
    );
    browser.close().await.unwrap();
}
