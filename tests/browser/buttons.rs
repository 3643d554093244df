//! Pay buttons and payment links as payers meet them: a button on a plain static page of another
//! origin opens the widget in a modal on that page, the page hears of the payment; refusals are
//! said plainly; a loop on the public endpoint meets its limit and the shim stays healthy.

use crate::pay_page::{STATUS, WAIT, screenshot_path};
use e2e_tests::demo::DemoApp;
use e2e_tests::webdriver::{Browser, ENTER, ESCAPE};
use serde_json::{Value, json};

/// The button's shadow root on the example page (the first one, or the one rendered by the
/// script tag with `data-button` = the given id).
fn button_root(id: &str) -> String {
    format!(
        "[...document.querySelectorAll('script[data-button=\"{id}\"]')].map(s => s.nextElementSibling?.shadowRoot).find(Boolean)"
    )
}

/// The widget inside the button's dialog.
fn widget_in(root: &str) -> String {
    format!("{root}?.querySelector('dialog')?.lastElementChild?.shadowRoot")
}

async fn open_example(browser: &Browser, app: &DemoApp) {
    browser.goto(&app.examples_url).await.unwrap();
    let root = button_root("btn_demo");
    let label = browser
        .wait_for(
            "the pay button",
            &format!("return {root}?.querySelector('button.pay')?.textContent ?? null"),
            WAIT,
            |v| v.is_string(),
        )
        .await
        .unwrap();
    assert_eq!(label, json!("Pay with crypto"));
}

/// Clicks button `id` with the keyboard: focus, then Enter.
async fn press_button(browser: &Browser, id: &str) {
    let root = button_root(id);
    browser
        .eval(&format!(
            "{root}.querySelector('button.pay').focus(); return true"
        ))
        .await
        .unwrap();
    browser.press(&[ENTER]).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payer_pays_through_a_button_on_another_site_without_leaving_it() {
    let app = DemoApp::start().await.unwrap();
    assert_ne!(
        app.examples_url, app.url,
        "the example page is on another origin"
    );
    let browser = Browser::start().await.unwrap();
    open_example(&browser, &app).await;
    browser
        .eval(
            "window.__events = []; for (const name of ['checkout:status', 'checkout:success']) \
             document.addEventListener(name, e => window.__events.push([name, e.detail])); \
             window.__notReloaded = true; return true",
        )
        .await
        .unwrap();
    press_button(&browser, "btn_demo").await;

    // A modal dialog on the same page, titled with what is paid for, focus inside it.
    let root = button_root("btn_demo");
    let title = browser
        .wait_for(
            "the dialog",
            &format!(
                "const d = {root}.querySelector('dialog'); return d.open && d.matches(':modal') ? d.querySelector('h2').textContent : null"
            ),
            WAIT,
            |v| v.is_string(),
        )
        .await
        .unwrap();
    assert_eq!(title, json!("Single-origin coffee beans, 1 kg"));
    let focused = browser
        .eval(&format!(
            "return {root}.activeElement?.getAttribute('aria-label') ?? null"
        ))
        .await
        .unwrap();
    assert_eq!(focused, json!("Close"), "focus moves into the dialog");
    assert_eq!(
        browser.eval("return location.href").await.unwrap(),
        json!(format!("{}/", app.examples_url)),
        "no new page, no new tab"
    );

    // The payer picks USDT on TRON in the widget and pays it from the sandbox.
    let widget = widget_in(&root);
    browser
        .wait_for(
            "the coin buttons",
            &format!("return {widget}?.querySelectorAll('.ckw-coin').length ?? 0"),
            WAIT,
            |v| v.as_u64().is_some_and(|n| n > 0),
        )
        .await
        .unwrap();
    browser
        .eval(&format!(
            "[...{widget}.querySelectorAll('.ckw-coin')].find(b => b.textContent.includes('USDT') && b.textContent.includes('TRON')).click(); return true"
        ))
        .await
        .unwrap();
    browser
        .wait_for(
            "the address",
            &format!("return {widget}?.querySelector('.ckw-address')?.textContent ?? null"),
            WAIT,
            |v| v.is_string(),
        )
        .await
        .unwrap();
    let violations = e2e_tests::a11y::violations(&browser).await.unwrap();
    assert!(
        violations.is_empty(),
        "axe on the open dialog: {violations:#?}"
    );
    browser
        .screenshot(&screenshot_path("button-modal"))
        .await
        .unwrap();
    // The tab remembers the payment it started (a second click reopens it).
    let invoice = browser
        .eval("return JSON.parse(sessionStorage.getItem('checkout-button:btn_demo')).invoice_id")
        .await
        .unwrap();
    let invoice = invoice.as_str().unwrap().to_owned();
    app.sandbox(
        "pay",
        json!({ "order_id": format!("{invoice}-2"), "amount": "15" }),
    )
    .await
    .unwrap();

    // The page hears of it and thanks the payer; the widget in the dialog says paid.
    browser
        .wait_for(
            "the page's thank-you",
            "return document.getElementById('thanks').hidden ? null : document.getElementById('thanks').dataset.invoice",
            WAIT,
            |v| v.is_string(),
        )
        .await
        .unwrap();
    let status = STATUS.replace(
        "document.querySelector('[data-checkout-widget]')?.shadowRoot",
        &widget,
    );
    browser
        .wait_for("paid in the dialog", &status, WAIT, |v| {
            v.as_str() == Some("paid")
        })
        .await
        .unwrap();
    let events = browser.eval("return window.__events").await.unwrap();
    let success: Vec<&Value> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e[0] == "checkout:success")
        .collect();
    assert_eq!(success.len(), 1, "{events}");
    assert_eq!(success[0][1]["invoiceId"], json!(invoice));
    assert_eq!(success[0][1]["buttonId"], "btn_demo");
    assert_eq!(success[0][1]["status"], "paid");
    browser
        .screenshot(&screenshot_path("button-paid"))
        .await
        .unwrap();

    // Escape closes the dialog and gives focus back to the button, on the same page.
    browser.press(&[ESCAPE]).await.unwrap();
    browser
        .wait_for(
            "the dialog to close",
            &format!("return {root}.querySelector('dialog').open"),
            WAIT,
            |v| v == &json!(false),
        )
        .await
        .unwrap();
    let back = browser
        .eval(&format!("return {root}.activeElement?.className ?? null"))
        .await
        .unwrap();
    assert_eq!(back, json!("pay"), "focus returns to the button");
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
async fn buttons_from_other_origins_disabled_buttons_and_links_are_refused_plainly() {
    let app = DemoApp::start().await.unwrap();
    let elsewhere: Value = app
        .post_as_shop(
            "/v1/buttons",
            &json!({
                "amount": "5", "currency": "EUR", "description": "Donation",
                "allowed_origins": ["https://shop.example"],
            }),
        )
        .await
        .unwrap();
    let elsewhere = elsewhere["id"].as_str().unwrap().to_owned();
    let browser = Browser::start().await.unwrap();
    open_example(&browser, &app).await;
    // The merchant pastes the other button's tag into this page (in German).
    browser
        .eval(&format!(
            "const s = document.createElement('script'); s.src = '{}/widget/embed.js'; \
             s.dataset.button = '{elsewhere}'; s.dataset.locale = 'de'; \
             document.querySelector('main').append(s); return true",
            app.url
        ))
        .await
        .unwrap();
    let root = button_root(&elsewhere);
    let label = browser
        .wait_for(
            "the second button",
            &format!("return {root}?.querySelector('button.pay')?.textContent ?? null"),
            WAIT,
            |v| v.is_string(),
        )
        .await
        .unwrap();
    assert_eq!(label, json!("Mit Krypto bezahlen"));
    press_button(&browser, &elsewhere).await;
    let alert = browser
        .wait_for(
            "the refusal",
            &format!("return {root}.querySelector('[role=alert]').textContent || null"),
            WAIT,
            |v| v.is_string(),
        )
        .await
        .unwrap();
    let alert = alert.as_str().unwrap();
    assert!(
        alert.starts_with("Die Zahlung konnte nicht gestartet werden")
            && alert.contains(&format!("does not take payments from {}", app.examples_url)),
        "{alert}"
    );
    assert_eq!(
        browser
            .eval(&format!("return {root}.querySelector('dialog').open"))
            .await
            .unwrap(),
        json!(false)
    );

    // The merchant disables the demo's button: a click says so.
    let response = app
        .http
        .post(format!("{}/v1/buttons/btn_demo/disable", app.url))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    press_button(&browser, "btn_demo").await;
    let alert = browser
        .wait_for(
            "the disabled button's message",
            &format!(
                "return {}.querySelector('[role=alert]').textContent || null",
                button_root("btn_demo")
            ),
            WAIT,
            |v| v.is_string(),
        )
        .await
        .unwrap();
    assert!(
        alert
            .as_str()
            .unwrap()
            .contains("this pay button has been disabled by the merchant"),
        "{alert}"
    );
    browser
        .screenshot(&screenshot_path("button-refused"))
        .await
        .unwrap();

    // A disabled payment link says so on its page.
    let link: Value = app
        .post_as_shop(
            "/v1/links",
            &json!({ "amount": "12", "currency": "USD", "description": "Yoga class" }),
        )
        .await
        .unwrap();
    let id = link["id"].as_str().unwrap();
    app.http
        .post(format!("{}/v1/links/{id}/disable", app.url))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    browser.goto(link["url"].as_str().unwrap()).await.unwrap();
    let text = browser
        .eval("return document.querySelector('main').textContent")
        .await
        .unwrap();
    assert!(
        text.as_str()
            .unwrap()
            .contains("This payment link has been disabled by the merchant"),
        "{text}"
    );
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reusable_link_opened_twice_gives_two_invoices() {
    let app = DemoApp::start().await.unwrap();
    let link: Value = app.post_as_shop("/v1/links", &json!({
            "amount": "3", "currency": "USD", "description": "Buy me a coffee", "reusable": true,
        })).await.unwrap();
    let url = link["url"].as_str().unwrap();
    let browser = Browser::start().await.unwrap();
    let mut invoices = Vec::new();
    for _ in 0..2 {
        browser.goto(url).await.unwrap();
        browser
            .wait_for(
                "the coin picker",
                "return document.querySelector('[data-checkout-widget]')?.shadowRoot?.querySelectorAll('.ckw-coin').length ?? 0",
                WAIT,
                |v| v.as_u64().is_some_and(|n| n > 0),
            )
            .await
            .unwrap();
        let header = browser
            .eval("return document.querySelector('.link h1')?.textContent ?? null")
            .await
            .unwrap();
        assert_eq!(header, json!("Buy me a coffee"));
        invoices.push(browser.eval("return location.pathname").await.unwrap());
    }
    assert_ne!(invoices[0], invoices[1], "a fresh invoice per visit");
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_loop_on_the_button_endpoint_meets_its_limit_and_the_shim_stays_healthy() {
    let app = DemoApp::start().await.unwrap();
    let browser = Browser::start().await.unwrap();
    open_example(&browser, &app).await;
    // A script on the allowed page calls the public endpoint in a loop, as fast as it can.
    let outcome = browser
        .eval_async(&format!(
            "const done = arguments[arguments.length - 1];
             (async () => {{
               const statuses = [];
               for (let i = 0; i < 40; i++) {{
                 const r = await fetch('{}/v1/buttons/btn_demo/invoices', {{ method: 'POST' }});
                 statuses.push(r.status);
               }}
               done(statuses);
             }})().catch(e => done(String(e)));",
            app.url
        ))
        .await
        .unwrap();
    let statuses: Vec<u64> = outcome
        .as_array()
        .unwrap_or_else(|| panic!("{outcome}"))
        .iter()
        .map(|s| s.as_u64().unwrap())
        .collect();
    let started = statuses.iter().filter(|&&s| s == 201).count();
    let limited = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!(
        started,
        server_shim::services::buttons::MAX_OPEN_PER_CLIENT as usize,
        "{statuses:?}"
    );
    assert_eq!(started + limited, 40, "{statuses:?}");
    // Everyone else is served: health, readiness, the demo store. Claiming to be another client
    // does not get around the limit.
    for path in ["/healthz", "/readyz", "/"] {
        let response = app.http.get(format!("{}{path}", app.url)).send().await;
        assert_eq!(response.unwrap().status().as_u16(), 200, "{path}");
    }
    let response = app
        .http
        .post(format!("{}/v1/buttons/btn_demo/invoices", app.url))
        .header("origin", &app.examples_url)
        .header("x-forwarded-for", "198.51.100.7")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        429,
        "X-Forwarded-For from an untrusted peer changes nothing"
    );
    browser.close().await.unwrap();
}
