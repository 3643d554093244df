use e2e_tests::demo::DemoApp;
use e2e_tests::webdriver::Browser;
use e2e_tests::widget;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

pub(crate) const STATUS: &str = "return document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelector('.ckw')?.dataset.status ?? null";
pub(crate) const WAIT: Duration = Duration::from_secs(30);

pub(crate) fn screenshot_path(name: &str) -> PathBuf {
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
        .wait_for("the address", widget::ADDRESS, WAIT, |v| {
            v.as_str() == Some(address.as_str())
        })
        .await
        .unwrap();
    let seconds = "return Number(document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelector('.ckw-countdown')?.dataset.seconds ?? -1)";
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
    assert_qr_carries(browser, invoice["payment_uri"].as_str().unwrap()).await;
    let listen = "window.__statuses = []; \
        document.addEventListener('checkout:status', e => window.__statuses.push(e.detail.status)); return true";
    browser.eval(listen).await.unwrap();
    browser
        .eval("window.__notReloaded = true; return true")
        .await
        .unwrap();
}

/// Decodes the QR code on screen, as a wallet's camera would, and compares what it carries.
pub(crate) async fn assert_qr_carries(browser: &Browser, expected: &str) {
    let center = "document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelector('.ckw-qr').scrollIntoView({block: 'center'}); return true";
    browser.eval(center).await.unwrap();
    let png = browser
        .screenshot(&screenshot_path("qr-last-checked"))
        .await
        .unwrap();
    let codes = e2e_tests::qr::decode_png(&png).unwrap();
    assert_eq!(codes, [expected.to_owned()], "the QR code on screen");
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
    // The change was pushed: one event stream, no polling.
    let requests = browser
        .eval(&format!(
            "const names = performance.getEntriesByType('resource').map(e => e.name); \
             return {{ polls: names.filter(n => n.endsWith('/v1/invoices/{id}')).length, \
                       streams: names.filter(n => n.endsWith('/v1/invoices/{id}/events')).length }}",
            id = invoice["id"].as_str().unwrap()
        ))
        .await
        .unwrap();
    assert_eq!(requests["polls"], 0, "{requests}");
    let statuses = browser.eval("return window.__statuses").await.unwrap();
    assert_eq!(
        statuses,
        json!(["paid"]),
        "the page heard the new status once, as a DOM event"
    );
    assert!(requests["streams"].as_u64().unwrap() <= 1, "{requests}");
    let title = browser
        .eval("return document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelector('.ckw-status').textContent")
        .await
        .unwrap();
    assert_eq!(title, json!("Payment complete"));
    let back = browser
        .eval("return document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelector('.ckw-return')?.getAttribute('href')")
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
        .eval("return document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelector('.ckw-address') === null")
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
        .eval("return document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelector('.ckw-amount').textContent")
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shopper_buys_in_the_demo_store_and_the_order_turns_paid() {
    let app = DemoApp::start().await.unwrap();
    let browser = Browser::start().await.unwrap();
    browser.goto(&format!("{}/", app.url)).await.unwrap();
    // The first product, paid with the first coin offered (USDT on TRON).
    browser
        .eval("document.querySelector('form.product button[type=submit]').click(); return true")
        .await
        .unwrap();
    browser
        .wait_for("the pay page", "return location.pathname", WAIT, |v| {
            v.as_str().is_some_and(|p| p.starts_with("/pay/inv_"))
        })
        .await
        .unwrap();
    let address_on_screen = widget::ADDRESS;
    browser
        .wait_for("the address", address_on_screen, WAIT, |v| v.is_string())
        .await
        .unwrap();
    let path = browser.eval("return location.pathname").await.unwrap();
    let id = path
        .as_str()
        .unwrap()
        .trim_start_matches("/pay/")
        .to_owned();
    let view: Value = app
        .http
        .get(format!("{}/v1/invoices/{id}", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (view["amount"].as_str(), view["payer_currency"].as_str()),
        (Some("15.00"), Some("USDT"))
    );
    assert_qr_carries(&browser, view["payment_uri"].as_str().unwrap()).await;
    browser
        .eval("window.__notReloaded = true; return true")
        .await
        .unwrap();

    // The sandbox panel stands in for the payer's wallet.
    browser.eval("document.querySelector('#sandbox-panel button[data-action=full]').click(); return true").await.unwrap();
    wait_for_status(&browser, "paid").await;
    browser
        .screenshot(&screenshot_path("demo-store-paid"))
        .await
        .unwrap();

    // The store hears of the payment through the shim's signed callback, like a real shop.
    let mut order = Value::Null;
    for _ in 0..60 {
        browser
            .goto(&format!("{}/shop/orders", app.url))
            .await
            .unwrap();
        order = browser
            .eval("return document.querySelector('.order-status')?.textContent ?? null")
            .await
            .unwrap();
        if order == json!("paid") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        order,
        json!("paid"),
        "the store's order follows the invoice"
    );
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_paying_the_payer_is_taken_back_to_the_shop() {
    let app = DemoApp::start().await.unwrap();
    let invoice = app
        .create_invoice_from(&json!({
            "order_id": "e2e-redirect", "amount": "5.00", "currency": "USD", "to_currency": "USDT",
            "network": "tron", "url_success": format!("{}/shop/orders", app.url),
        }))
        .await
        .unwrap();
    let browser = Browser::start().await.unwrap();
    open_pay_page(&app, &browser, &invoice).await;
    app.sandbox(
        "pay",
        json!({ "order_id": invoice["id"], "amount": invoice["payer_amount"] }),
    )
    .await
    .unwrap();
    let note = "return document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelector('.ckw-redirect')?.textContent ?? null";
    let text = browser
        .wait_for("the redirect notice", note, WAIT, Value::is_string)
        .await
        .unwrap();
    assert!(
        text.as_str().unwrap().contains("back to the shop"),
        "{text}"
    );
    // The seconds count down on screen (read out once, in full, for screen readers).
    let shown = "return document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelector('.ckw-redirect [aria-hidden]')?.textContent ?? ''";
    for seconds in [" 4 ", " 2 "] {
        browser
            .wait_for(&format!("{seconds}seconds left"), shown, WAIT, |v| {
                v.as_str().is_some_and(|t| t.contains(seconds))
            })
            .await
            .unwrap();
    }
    browser
        .wait_for(
            "the shop's success page",
            "return location.pathname",
            WAIT,
            |v| v == "/shop/orders",
        )
        .await
        .unwrap();
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payer_picks_a_coin_in_arabic_and_pays_with_it() {
    let app = DemoApp::start().await.unwrap();
    // The shop leaves the coin to the payer.
    let invoice = app
        .create_invoice_from(
            &json!({ "order_id": "e2e-pick", "amount": "20.00", "currency": "USD" }),
        )
        .await
        .unwrap();
    let id = invoice["id"].as_str().unwrap().to_owned();
    let browser = Browser::start().await.unwrap();
    browser
        .goto(&format!("{}/pay/{id}?lang=ar", app.url))
        .await
        .unwrap();
    browser
        .wait_for(
            "the coin buttons",
            "return document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelectorAll('.ckw-coin').length",
            WAIT,
            |v| v.as_u64().is_some_and(|n| n > 1),
        )
        .await
        .unwrap();
    let layout = browser
        .eval(
            "const root = document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelector('.ckw'); \
             return { dir: root.dir, lang: root.lang, title: document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelector('.ckw-picker-title').textContent }",
        )
        .await
        .unwrap();
    assert_eq!(
        layout,
        json!({ "dir": "rtl", "lang": "ar", "title": "اختر عملة للدفع" })
    );
    browser
        .screenshot(&screenshot_path("coin-picker-ar"))
        .await
        .unwrap();

    let clicked = browser
        .eval(
            "const button = [...document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelectorAll('.ckw-coin')] \
               .find(b => b.querySelector('strong').textContent === 'BTC'); \
             button?.click(); return !!button",
        )
        .await
        .unwrap();
    assert_eq!(clicked, json!(true), "BTC is on offer");
    browser
        .wait_for("the BTC address", widget::ADDRESS, WAIT, |v| {
            v.as_str().is_some_and(|a| a.starts_with("bc1"))
        })
        .await
        .unwrap();
    let view: Value = app.invoice(&id).await.unwrap();
    assert_eq!(view["payer_currency"], "BTC");
    let uri = view["payment_uri"].as_str().unwrap();
    assert!(uri.starts_with("bitcoin:"), "{uri}");
    assert_qr_carries(&browser, uri).await;
    let amount = browser
        .eval("return document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelector('.ckw-amount').textContent")
        .await
        .unwrap();
    assert!(
        amount.as_str().unwrap().contains('٫'),
        "Arabic digits and decimal sign: {amount}"
    );
    browser
        .screenshot(&screenshot_path("coin-picked-ar"))
        .await
        .unwrap();

    app.sandbox(
        "pay",
        json!({ "order_id": format!("{id}-2"), "amount": view["payer_amount"] }),
    )
    .await
    .unwrap();
    browser
        .wait_for("paid", STATUS, WAIT, |v| v.as_str() == Some("paid"))
        .await
        .unwrap();
    let title = browser
        .eval("return document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelector('.ckw-status').textContent")
        .await
        .unwrap();
    assert_eq!(title, json!("اكتمل الدفع"));
    browser
        .screenshot(&screenshot_path("paid-ar"))
        .await
        .unwrap();
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_time_payment_link_is_paid_and_stays_paid() {
    let app = DemoApp::start().await.unwrap();
    let link: Value = app
        .post_as_shop(
            "/v1/links",
            &json!({ "amount": "30.00", "currency": "USD", "description": "Guitar lesson" }),
        )
        .await
        .unwrap();
    let url = link["url"].as_str().unwrap().to_owned();
    let browser = Browser::start().await.unwrap();
    browser.goto(&url).await.unwrap();
    let header = browser
        .wait_for(
            "the link's header",
            "return document.querySelector('.link h1')?.textContent ?? null",
            WAIT,
            |v| v.is_string(),
        )
        .await
        .unwrap();
    assert_eq!(header, json!("Guitar lesson"));
    // The payer picks USDT on TRON and pays it from the sandbox.
    browser
        .wait_for(
            "the coin buttons",
            "return document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelectorAll('.ckw-coin').length ?? 0",
            WAIT,
            |v| v.as_u64().is_some_and(|n| n > 0),
        )
        .await
        .unwrap();
    browser.eval(widget::PICK_USDT_ON_TRON).await.unwrap();
    browser
        .wait_for("the address", widget::ADDRESS, WAIT, |v| v.is_string())
        .await
        .unwrap();
    let page = browser
        .eval("window.__notReloaded = true; return location.pathname")
        .await
        .unwrap();
    let invoice = page
        .as_str()
        .unwrap()
        .trim_start_matches("/pay/")
        .to_owned();
    app.sandbox(
        "pay",
        json!({ "order_id": format!("{invoice}-2"), "amount": "30" }),
    )
    .await
    .unwrap();
    wait_for_status(&browser, "paid").await;
    // Reloaded, or opened again from the message: still the same invoice, paid.
    browser.goto(&url).await.unwrap();
    browser
        .wait_for("paid after reopening", STATUS, WAIT, |v| {
            v.as_str() == Some("paid")
        })
        .await
        .unwrap();
    let again = browser.eval("return location.pathname").await.unwrap();
    assert_eq!(again.as_str().unwrap().trim_start_matches("/pay/"), invoice);
    browser
        .screenshot(&screenshot_path("link-paid"))
        .await
        .unwrap();
    browser.close().await.unwrap();
}

/// The computed sizes of the widget's text: heading, amount, address, copy button.
const SIZES: &str = "const root = document.querySelector('[data-checkout-widget]').shadowRoot; \
    return ['.ckw-status', '.ckw-amount', '.ckw-address', '.ckw-copy', '.ckw-countdown'] \
      .map(s => getComputedStyle(root.querySelector(s)).fontSize)";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_guards_the_address_and_keeps_its_own_sizes_in_any_theme() {
    let app = DemoApp::start().await.unwrap();
    let invoice = app
        .create_invoice("e2e-guards", "15.00", "tron")
        .await
        .unwrap();
    let browser = Browser::start().await.unwrap();
    open_pay_page(&app, &browser, &invoice).await;
    let root = "const root = document.querySelector('[data-checkout-widget]').shadowRoot;";

    // A shop theme's root font size (Bootstrap 3 sets 10px) does not reach the widget's text.
    let own = browser.eval(SIZES).await.unwrap();
    assert_eq!(
        own[0], "19.2px",
        "the heading, 1.2 of the widget's 16px: {own}"
    );
    for root_size in ["10px", "24px"] {
        browser
            .eval(&format!(
                "document.documentElement.style.fontSize = '{root_size}'; return true"
            ))
            .await
            .unwrap();
        assert_eq!(
            browser.eval(SIZES).await.unwrap(),
            own,
            "with html {{ font-size: {root_size} }}"
        );
    }
    browser
        .screenshot(&screenshot_path("root-font-24px"))
        .await
        .unwrap();
    browser
        .eval("document.documentElement.style.fontSize = ''; return true")
        .await
        .unwrap();

    // The address's ends set apart, the fee's coin named, the hint after a copy.
    let address = invoice["address"].as_str().unwrap();
    let guards = browser
        .eval(&format!(
            "{root} return {{ edges: [...root.querySelectorAll('.ckw-address .ckw-edge')].map(e => e.textContent), \
               network: root.querySelector('.ckw-network').textContent, hint: !!root.querySelector('.ckw-hint') }}"
        ))
        .await
        .unwrap();
    assert_eq!(
        guards["edges"],
        json!([&address[..6], &address[address.len() - 6..]])
    );
    let network = guards["network"].as_str().unwrap();
    assert!(
        network.contains("The network fee is paid in TRX"),
        "{network}"
    );
    assert_eq!(guards["hint"], false, "no hint before a copy");
    browser
        .eval(&format!(
            "{root} root.querySelectorAll('.ckw-copy')[1].click(); return true"
        ))
        .await
        .unwrap();
    let hint = browser
        .wait_for(
            "the hint after copying the address",
            &format!("{root} return root.querySelector('.ckw-hint')?.textContent ?? null"),
            WAIT,
            |v| v.is_string(),
        )
        .await
        .unwrap();
    assert!(hint.as_str().unwrap().contains("starts and ends"), "{hint}");
    browser
        .screenshot(&screenshot_path("address-copied"))
        .await
        .unwrap();

    browser.close().await.unwrap();
}
