//! The merchant console in a real browser, at a phone's width: sign in, find the shopper's
//! invoice by its payment address, read its story, refund it through the sandbox with a
//! confirmation step, and see `refunded` in the console, in the API and at the shop. Every page
//! passes axe (WCAG 2.1 AA) and is reachable from the keyboard; screenshots are saved for review.

use crate::pay_page::{WAIT, screenshot_path};
use e2e_tests::demo::DemoApp;
use e2e_tests::webdriver::{Browser, ENTER, TAB};
use serde_json::{Value, json};
use server_shim::services::console::Accounts;
use server_shim::store::{ConsoleRole, Store};
use std::time::Duration;

const PASSWORD: &str = "correct horse battery";

/// The demo on a database file of its own (`name`), with console user `email` (of `shop`, as
/// `role`): the demo, its store, and the file to remove at the end.
async fn demo_with_user(
    name: &str,
    email: &str,
    shop: Option<&str>,
    role: ConsoleRole,
) -> (DemoApp, Store, std::path::PathBuf) {
    let file = std::env::temp_dir().join(format!("{name}-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let db = format!("sqlite://{}", file.display());
    let app = DemoApp::start_on(&db).await.unwrap();
    let store = Store::connect(&db).await.unwrap();
    Accounts(&store)
        .add_user(email, PASSWORD, shop, role)
        .await
        .unwrap();
    (app, store, file)
}

/// Checks the page with axe and saves a screenshot of it as `name`.
async fn check_page(browser: &Browser, name: &str) {
    let violations = e2e_tests::a11y::violations(browser).await.unwrap();
    assert!(violations.is_empty(), "axe on {name}: {violations:#?}");
    browser.screenshot(&screenshot_path(name)).await.unwrap();
}

/// Waits until the page's path is `path`.
async fn wait_for_path(browser: &Browser, path: &str) {
    browser
        .wait_for(path, "return location.pathname", WAIT, |v| v == path)
        .await
        .unwrap();
}

/// The text of the first element `selector` finds.
async fn text(browser: &Browser, selector: &str) -> String {
    let script = format!("return document.querySelector('{selector}')?.textContent ?? ''");
    browser
        .eval(&script)
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

/// Sets field `selector` to `value`, then focuses `submit` and presses Enter.
async fn fill_and_submit(browser: &Browser, fields: &[(&str, &str)], submit: &str) {
    for (selector, value) in fields {
        let script = format!(
            "document.querySelector({}).value = {}; return true",
            json!(selector),
            json!(value)
        );
        browser.eval(&script).await.unwrap();
    }
    let focus = format!(
        "document.querySelector({}).focus(); return true",
        json!(submit)
    );
    browser.eval(&focus).await.unwrap();
    browser.press(&[ENTER]).await.unwrap();
}

/// A shopper buys the demo store's first product and pays it in full: the invoice.
async fn shopper_pays(app: &DemoApp, browser: &Browser) -> Value {
    browser.goto(&format!("{}/", app.url)).await.unwrap();
    browser
        .eval("document.querySelector('form.product button[type=submit]').click(); return true")
        .await
        .unwrap();
    let path = browser
        .wait_for("the pay page", "return location.pathname", WAIT, |v| {
            v.as_str().is_some_and(|p| p.starts_with("/pay/inv_"))
        })
        .await
        .unwrap();
    let id = path
        .as_str()
        .unwrap()
        .trim_start_matches("/pay/")
        .to_owned();
    let mut invoice = app.invoice(&id).await.unwrap();
    for _ in 0..100 {
        if invoice["address"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        invoice = app.invoice(&id).await.unwrap();
    }
    let amount = invoice["payer_amount"].as_str().unwrap().to_owned();
    app.sandbox(
        "pay",
        json!({ "order_id": id, "amount": amount, "txid": "tx-console-e2e" }),
    )
    .await
    .unwrap();
    for _ in 0..100 {
        invoice = app.invoice(&id).await.unwrap();
        if invoice["status"] == "paid" {
            return invoice;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the invoice was never paid: {invoice}");
}

/// The demo store's status of its last order, once it is `status`.
async fn store_order_becomes(app: &DemoApp, browser: &Browser, status: &str) {
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
        if order == json!(status) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("the store's order stayed {order}, not {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_finds_a_payment_in_the_console_and_refunds_it() {
    let (app, store, file) = demo_with_user(
        "console-e2e",
        "owner@demo.example",
        Some("demo"),
        ConsoleRole::Owner,
    )
    .await;
    let browser = Browser::start().await.unwrap();
    let invoice = shopper_pays(&app, &browser).await;
    let id = invoice["id"].as_str().unwrap();
    let address = invoice["address"].as_str().unwrap();

    // Signing in, from the keyboard; the console first sends the merchant to its sign-in page.
    browser.goto(&format!("{}/console", app.url)).await.unwrap();
    wait_for_path(&browser, "/console/sign-in").await;
    check_page(&browser, "console-sign-in").await;
    fill_and_submit(
        &browser,
        &[("#email", "owner@demo.example"), ("#password", PASSWORD)],
        "form button[type=submit]",
    )
    .await;
    wait_for_path(&browser, "/console").await;
    assert!(text(&browser, "main").await.contains("Takings"));
    check_page(&browser, "console-overview").await;

    // The first Tab reaches the skip link.
    browser
        .eval("document.activeElement?.blur(); return true")
        .await
        .unwrap();
    browser.press(&[TAB]).await.unwrap();
    let focused = browser
        .eval("return document.activeElement?.textContent ?? ''")
        .await
        .unwrap();
    assert_eq!(focused, json!("Skip to content"));

    // Found by its payment address.
    browser
        .goto(&format!("{}/console/invoices", app.url))
        .await
        .unwrap();
    fill_and_submit(
        &browser,
        &[("#q", address)],
        "form.filters button[type=submit]",
    )
    .await;
    let link = format!("/console/invoices/{id}");
    browser
        .wait_for(
            "the search's one result",
            "return [...document.querySelectorAll('table.invoices tbody tr a')].map(a => a.getAttribute('href'))",
            WAIT,
            |v| v == &json!([link]),
        )
        .await
        .unwrap();
    check_page(&browser, "console-invoices").await;

    // Its page: the gateway's webhooks and the callbacks to the shop.
    browser
        .eval("document.querySelector('table.invoices tbody tr a').click(); return true")
        .await
        .unwrap();
    wait_for_path(&browser, &link).await;
    let timeline = text(&browser, "section[aria-labelledby=timeline]").await;
    assert!(
        timeline.contains("Gateway webhook") && timeline.contains("paid"),
        "{timeline}"
    );
    let mut callbacks = String::new();
    for _ in 0..50 {
        browser.goto(&format!("{}{link}", app.url)).await.unwrap();
        callbacks = text(&browser, "section[aria-labelledby=timeline]").await;
        if callbacks.contains("delivered") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(callbacks.contains("delivered"), "{callbacks}");
    check_page(&browser, "console-invoice").await;

    // The refund: the address, a confirmation step, then the gateway.
    let payer = "TJRyWwFs9wTFGZg3JbrVriFbNfCug5tDeC";
    fill_and_submit(
        &browser,
        &[("#refund-address", payer)],
        "form.stack button[type=submit]",
    )
    .await;
    browser
        .wait_for(
            "the confirmation",
            "return document.querySelector('h1')?.textContent ?? ''",
            WAIT,
            |v| v.as_str().is_some_and(|t| t.starts_with("Refund invoice")),
        )
        .await
        .unwrap();
    assert!(text(&browser, "main").await.contains(payer));
    check_page(&browser, "console-refund-confirm").await;
    let confirm = "button.danger";
    browser
        .eval(&format!(
            "document.querySelector('{confirm}').focus(); return true"
        ))
        .await
        .unwrap();
    browser.press(&[ENTER]).await.unwrap();
    wait_for_path(&browser, &link).await;
    assert_eq!(text(&browser, "dl.facts .status").await, "refunding");

    // The gateway completes it: refunded in the console, in the API and at the shop.
    app.sandbox("refund", json!({ "order_id": id }))
        .await
        .unwrap();
    let mut status = String::new();
    for _ in 0..50 {
        browser.goto(&format!("{}{link}", app.url)).await.unwrap();
        status = text(&browser, "dl.facts .status").await;
        if status == "refunded" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status, "refunded");
    check_page(&browser, "console-refunded").await;
    assert_eq!(app.invoice(id).await.unwrap()["status"], "refunded");
    store_order_becomes(&app, &browser, "refunded").await;

    // The export of the list's filter, with the browser's own session: CSV a spreadsheet reads,
    // the order id with a comma, a quote and Cyrillic whole.
    let order = "Заказ \"7\", срочно";
    let paid = pay_order(&app, order).await;
    browser
        .goto(&format!("{}/console/invoices", app.url))
        .await
        .unwrap();
    fill_and_submit(
        &browser,
        &[("#q", paid["address"].as_str().unwrap())],
        "form.filters button[type=submit]",
    )
    .await;
    let export = browser
        .wait_for(
            "the export link",
            "return document.querySelector('a[download]')?.href ?? null",
            WAIT,
            |v| v.as_str().is_some_and(|h| h.contains("q=")),
        )
        .await
        .unwrap();
    let session = browser
        .cookie("console_session")
        .await
        .unwrap()
        .expect("the session cookie");
    let csv = app
        .http
        .get(export.as_str().unwrap())
        .header("cookie", format!("console_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    assert!(
        csv.starts_with('\u{feff}'),
        "a byte order mark for spreadsheets"
    );
    let quoted = "\"Заказ \"\"7\"\", срочно\"";
    assert!(csv.contains(&format!(",{quoted},")), "{csv}");

    // A form sent without its CSRF token is refused and changes nothing.
    browser
        .goto(&format!(
            "{}/console/invoices/{}",
            app.url,
            paid["id"].as_str().unwrap()
        ))
        .await
        .unwrap();
    browser
        .eval("document.querySelectorAll('input[name=csrf]').forEach(i => i.value = 'forged'); return true")
        .await
        .unwrap();
    fill_and_submit(
        &browser,
        &[("#refund-address", payer)],
        "form.stack button[type=submit]",
    )
    .await;
    browser
        .wait_for(
            "the refusal",
            "return document.querySelector('h1')?.textContent ?? ''",
            WAIT,
            |v| v == "Form refused",
        )
        .await
        .unwrap();
    assert_eq!(
        app.invoice(paid["id"].as_str().unwrap()).await.unwrap()["status"],
        "paid"
    );

    // Staff of another shop cannot open this shop's invoice by its URL.
    let other = server_shim::domain::Shop {
        id: server_shim::domain::ShopId("shop_other".into()),
        name: "other".into(),
    };
    let token = server_shim::domain::ShopToken::generate().unwrap();
    store.create_shop(&other, &token.hash(), 0).await.unwrap();
    Accounts(&store)
        .add_user(
            "staff@other.example",
            PASSWORD,
            Some("other"),
            ConsoleRole::Staff,
        )
        .await
        .unwrap();
    sign_out_and_in(&browser, &app, "staff@other.example", PASSWORD).await;
    wait_for_path(&browser, "/console").await;
    browser.goto(&format!("{}{link}", app.url)).await.unwrap();
    assert_eq!(text(&browser, "h1").await, "Invoice not found");

    // Five wrong passwords, then sign-in for that email pauses, even with the right one.
    for _ in 0..5 {
        sign_out_and_in(&browser, &app, "owner@demo.example", "not the password").await;
        assert_eq!(
            text(&browser, "#sign-in-error").await,
            "Wrong email or password."
        );
    }
    sign_out_and_in(&browser, &app, "owner@demo.example", PASSWORD).await;
    let said = text(&browser, "#sign-in-error").await;
    assert!(
        said.contains("paused") && said.contains("Try again in"),
        "{said}"
    );
    check_page(&browser, "console-sign-in-paused").await;
    browser.close().await.unwrap();
    let _ = std::fs::remove_file(&file);
}

/// Signs out if signed in, then sends the sign-in form with `email` and `password`.
async fn sign_out_and_in(browser: &Browser, app: &DemoApp, email: &str, password: &str) {
    browser.goto(&format!("{}/console", app.url)).await.unwrap();
    let signed_in = browser
        .eval("return document.querySelector('form[action=\"/console/sign-out\"]') !== null")
        .await
        .unwrap();
    if signed_in == json!(true) {
        browser
            .eval("document.querySelector('form[action=\"/console/sign-out\"] button').click(); return true")
            .await
            .unwrap();
    }
    wait_for_path(browser, "/console/sign-in").await;
    fill_and_submit(
        browser,
        &[("#email", email), ("#password", password)],
        "form button[type=submit]",
    )
    .await;
    browser
        .wait_for("the answer to the sign-in", "return document.readyState === 'complete' && !document.querySelector('#password')?.value", WAIT, |v| v == &json!(true))
        .await
        .unwrap();
}

/// An invoice for `order` made through the API and paid in full at the sandbox.
async fn pay_order(app: &DemoApp, order: &str) -> Value {
    let invoice = app.create_invoice(order, "12.00", "tron").await.unwrap();
    let id = invoice["id"].as_str().unwrap().to_owned();
    let amount = invoice["payer_amount"].as_str().unwrap().to_owned();
    app.sandbox("pay", json!({ "order_id": id, "amount": amount }))
        .await
        .unwrap();
    for _ in 0..100 {
        let now = app.invoice(&id).await.unwrap();
        if now["status"] == "paid" {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{order} was never paid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_console_page_passes_axe_for_an_operator() {
    let (app, store, file) = demo_with_user(
        "console-ops",
        "ops@example.com",
        None,
        ConsoleRole::Operator,
    )
    .await;
    assert!(store.set_payouts_allowed("demo", true).await.unwrap());
    // Something on each page: a link, and the demo's own pay button.
    app.post_as_shop(
        "/v1/links",
        &json!({ "amount": "25.00", "currency": "USD", "description": "Gift card" }),
    )
    .await
    .unwrap();
    let browser = Browser::start().await.unwrap();
    browser
        .goto(&format!("{}/console/sign-in", app.url))
        .await
        .unwrap();
    fill_and_submit(
        &browser,
        &[("#email", "ops@example.com"), ("#password", PASSWORD)],
        "form button[type=submit]",
    )
    .await;
    wait_for_path(&browser, "/console").await;
    for (path, name) in [
        ("/console/links", "console-links"),
        ("/console/buttons", "console-buttons"),
        ("/console/wallets", "console-wallets"),
        ("/console/payouts", "console-payouts"),
        ("/console/shops", "console-shops"),
        ("/console/queues", "console-queues"),
    ] {
        browser.goto(&format!("{}{path}", app.url)).await.unwrap();
        wait_for_path(&browser, path).await;
        check_page(&browser, name).await;
    }
    // The console's script ran under its CSP: copy buttons beside the URLs to copy.
    browser
        .goto(&format!("{}/console/links", app.url))
        .await
        .unwrap();
    let copy = browser
        .wait_for(
            "a copy button",
            "return document.querySelectorAll('.copy-button').length",
            WAIT,
            |v| v.as_u64().is_some_and(|n| n > 0),
        )
        .await
        .unwrap();
    assert_eq!(copy, json!(1));
    // The payout's confirmation step.
    browser
        .goto(&format!("{}/console/payouts", app.url))
        .await
        .unwrap();
    fill_and_submit(
        &browser,
        &[
            ("#amount", "1"),
            ("#currency", "USDT"),
            ("#network", "tron"),
            ("#address", "TJRyWwFs9wTFGZg3JbrVriFbNfCug5tDeC"),
        ],
        "form.stack button[type=submit]",
    )
    .await;
    browser
        .wait_for(
            "the confirmation",
            "return document.querySelector('h1')?.textContent ?? ''",
            WAIT,
            |v| v.as_str().is_some_and(|t| t.starts_with("Pay out 1 USDT")),
        )
        .await
        .unwrap();
    assert!(
        text(&browser, "main").await.contains("does not cover it"),
        "no money in the demo's balance yet"
    );
    check_page(&browser, "console-payout-confirm").await;
    browser.close().await.unwrap();
    let _ = std::fs::remove_file(&file);
}
