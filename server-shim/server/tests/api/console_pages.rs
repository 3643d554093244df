//! The console's other pages over plain HTTP: links and buttons (made, shown with their URL, QR
//! and snippet, stopped), payouts through a confirmation step, deposit wallets, and the
//! operator's shops (tokens and callback secrets shown once, a test callback) and queues (replay).

use crate::console::{PASSWORD, Visitor, form_value};
use crate::support::{ScratchDb, TestApp, call, call_as, usdt_invoice};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use reqwest::Method;
use serde_json::{Value, json};
use server_shim::services::console::Accounts;
use server_shim::store::{ConsoleRole, Store};
use std::sync::{Arc, Mutex};

async fn users(store: &Store) {
    let accounts = Accounts(store);
    for (email, shop, role) in [
        ("owner@demo.example", Some("demo"), ConsoleRole::Owner),
        ("staff@demo.example", Some("demo"), ConsoleRole::Staff),
        ("ops@example.com", None, ConsoleRole::Operator),
    ] {
        accounts
            .add_user(email, PASSWORD, shop, role)
            .await
            .unwrap();
    }
}

async fn signed_in(app: &TestApp, email: &str) -> Visitor {
    let mut visitor = Visitor::new(&app.url);
    assert_eq!(visitor.sign_in(email, PASSWORD).await.status, 303);
    visitor
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_make_links_buttons_and_payouts_that_staff_only_see() {
    let scratch = ScratchDb::new("console-pages");
    let app = TestApp::spawn(&scratch.url).await;
    let store = Store::connect(&scratch.url).await.unwrap();
    users(&store).await;
    let owner = signed_in(&app, "owner@demo.example").await;
    let staff = signed_in(&app, "staff@demo.example").await;

    // A link: bad input is said and makes nothing; then one is made, shown with its URL and QR.
    let csrf = owner.csrf("/console/links").await;
    let link = |amount: &'static str| {
        vec![
            ("description", "Portrait <b>session</b>"),
            ("amount", amount),
            ("currency", "EUR"),
            ("reusable", "yes"),
        ]
    };
    let with_csrf = |mut form: Vec<(&'static str, &'static str)>, csrf: &'static str| {
        form.push(("csrf", csrf));
        form
    };
    let csrf: &'static str = Box::leak(csrf.into_boxed_str());
    let bad = owner
        .post("/console/links", &with_csrf(link("-3"), csrf))
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("Not made:"), "{}", bad.body);
    let (_, links) = call(&app, Method::GET, "/v1/links", None).await;
    assert_eq!(links["links"].as_array().map_or(0, Vec::len), 0, "{links}");
    let staff_csrf: &'static str = Box::leak(staff.csrf("/console/links").await.into_boxed_str());
    assert_eq!(
        staff
            .post("/console/links", &with_csrf(link("120"), staff_csrf))
            .await
            .status,
        403
    );
    let made = owner
        .post("/console/links", &with_csrf(link("120"), csrf))
        .await;
    assert_eq!(
        (made.status, made.location.as_str()),
        (303, "/console/links"),
        "{}",
        made.body
    );
    let page = owner.get("/console/links").await;
    assert!(
        page.body.contains("Portrait &lt;b&gt;session&lt;/b&gt;"),
        "escaped: {}",
        page.body
    );
    assert!(
        page.body.contains("/l/lnk_") && page.body.contains("<svg"),
        "{}",
        page.body
    );
    assert!(
        !staff
            .get("/console/links")
            .await
            .body
            .contains("Make the link"),
        "staff see no form"
    );
    let (_, links) = call(&app, Method::GET, "/v1/links", None).await;
    let id = links["links"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(links["links"][0]["reusable"], true);
    let off = owner
        .post(
            &format!("/console/links/{id}/enabled"),
            &[("csrf", csrf), ("enabled", "no")],
        )
        .await;
    assert_eq!(off.status, 303);
    let (_, links) = call(&app, Method::GET, "/v1/links", None).await;
    assert_eq!(links["links"][0]["enabled"], false);

    // A button, its snippet to copy.
    let made = owner
        .post(
            "/console/buttons",
            &[
                ("csrf", csrf),
                ("description", "Coffee beans, 1 kg"),
                ("amount", "15"),
                ("currency", "USD"),
                (
                    "allowed_origins",
                    "https://shop.example\r\nhttps://www.shop.example",
                ),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let page = owner.get("/console/buttons").await;
    assert!(
        page.body.contains("data-button=&quot;btn_"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("https://shop.example, https://www.shop.example"),
        "{}",
        page.body
    );

    // Payouts: refused until the operator allows them; then reviewed (fee, balance) and made.
    assert!(
        owner
            .get("/console/payouts")
            .await
            .body
            .contains("may not make payouts")
    );
    assert!(store.set_payouts_allowed("demo", true).await.unwrap());
    crate::payouts::fund(&app, "50").await;
    let payout = |step: &'static str| {
        vec![
            ("csrf", csrf),
            ("step", step),
            ("order_id", "console-p1"),
            ("amount", "10"),
            ("currency", "USDT"),
            ("network", "tron"),
            ("address", "TJRyWwFs9wTFGZg3JbrVriFbNfCug5tDeC"),
            ("fee", "balance"),
        ]
    };
    let review = owner.post("/console/payouts", &payout("review")).await;
    assert_eq!(review.status, 200, "{}", review.body);
    for expected in [
        "Confirm the payout",
        "Leaves the balance",
        "Balance now",
        "from the balance",
    ] {
        assert!(
            review.body.contains(expected),
            "{expected}: {}",
            review.body
        );
    }
    let (_, none) = call(&app, Method::GET, "/v1/payouts", None).await;
    assert_eq!(
        none["payouts"].as_array().map_or(0, Vec::len),
        0,
        "reviewing pays nothing: {none}"
    );
    let staff_try = staff
        .post(
            "/console/payouts",
            &[("csrf", staff_csrf), ("step", "confirm")],
        )
        .await;
    assert_eq!(staff_try.status, 403);
    let paid = owner.post("/console/payouts", &payout("confirm")).await;
    assert_eq!(
        (paid.status, paid.location.as_str()),
        (303, "/console/payouts"),
        "{}",
        paid.body
    );
    assert!(
        owner
            .get("/console/payouts")
            .await
            .body
            .contains("console-p1")
    );
    let too_much = owner
        .post(
            "/console/payouts",
            &[
                ("csrf", csrf),
                ("step", "confirm"),
                ("order_id", "console-p2"),
                ("amount", "5000"),
                ("currency", "USDT"),
                ("network", "tron"),
                ("address", "TJRyWwFs9wTFGZg3JbrVriFbNfCug5tDeC"),
                ("fee", "balance"),
            ],
        )
        .await;
    assert_eq!(too_much.status, 409, "{}", too_much.body);
    assert!(too_much.body.contains("balance holds"), "{}", too_much.body);

    // The deposit wallet the funding used, and its deposit.
    let wallets = owner.get("/console/wallets").await;
    assert!(
        wallets.body.contains("treasury") && wallets.body.contains("USDT on tron"),
        "{}",
        wallets.body
    );
    scratch.remove();
}

/// A callback endpoint that keeps what it receives.
#[derive(Clone, Default)]
struct Receiver(Arc<Mutex<Vec<(String, Bytes)>>>);

async fn receive(
    axum::extract::State(receiver): axum::extract::State<Receiver>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let signature = headers["x-checkout-signature"].to_str().unwrap().to_owned();
    receiver.0.lock().unwrap().push((signature, body));
    StatusCode::NO_CONTENT
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_manage_shops_and_replay_queues_and_nobody_else_does() {
    let scratch = ScratchDb::new("console-operator");
    let app = TestApp::spawn(&scratch.url).await;
    let store = Store::connect(&scratch.url).await.unwrap();
    users(&store).await;
    let owner = signed_in(&app, "owner@demo.example").await;
    assert_eq!(owner.get("/console/shops").await.status, 403);
    assert_eq!(owner.get("/console/queues").await.status, 403);
    let csrf = owner.csrf("/console").await;
    assert_eq!(
        owner
            .post(
                "/console/shops",
                &[("csrf", &csrf), ("action", "add"), ("name", "x")]
            )
            .await
            .status,
        403
    );
    assert!(
        !owner.get("/console").await.body.contains("/console/shops"),
        "no operator links"
    );

    let ops = signed_in(&app, "ops@example.com").await;
    let csrf = ops.csrf("/console/shops").await;
    let forged = ops
        .post(
            "/console/shops",
            &[("csrf", "nope"), ("action", "add"), ("name", "second")],
        )
        .await;
    assert_eq!(forged.status, 403);
    // A shop: its token shown once, on the page that made it, and never again.
    let added = ops
        .post(
            "/console/shops",
            &[("csrf", &csrf), ("action", "add"), ("name", "second")],
        )
        .await;
    assert_eq!(added.status, 200, "{}", added.body);
    let token = form_value(&added.body, "secret");
    assert!(token.starts_with("shk_"), "{token}");
    assert!(!ops.get("/console/shops").await.body.contains(&token));
    let (status, _) = call_as(&app, &token, Method::GET, "/v1/invoices", None).await;
    assert_eq!(status, 200, "the token works");
    let again = ops
        .post(
            "/console/shops",
            &[("csrf", &csrf), ("action", "add"), ("name", "second")],
        )
        .await;
    assert_eq!(again.status, 400, "{}", again.body);
    // Rotating needs the box ticked; the old token then stops working.
    let unticked = ops
        .post(
            "/console/shops",
            &[("csrf", &csrf), ("action", "rotate"), ("name", "second")],
        )
        .await;
    assert_eq!(unticked.status, 400);
    let rotated = ops
        .post(
            "/console/shops",
            &[
                ("csrf", &csrf),
                ("action", "rotate"),
                ("name", "second"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let new_token = form_value(&rotated.body, "secret");
    assert_eq!(
        call_as(&app, &token, Method::GET, "/v1/invoices", None)
            .await
            .0,
        401
    );
    assert_eq!(
        call_as(&app, &new_token, Method::GET, "/v1/invoices", None)
            .await
            .0,
        200
    );

    // A callback URL, its secret shown once, and a test callback signed with it.
    let receiver = Receiver::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook?key=private", listener.local_addr().unwrap());
    let router = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(receiver.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let bad = ops
        .post(
            "/console/shops",
            &[
                ("csrf", &csrf),
                ("action", "callback"),
                ("name", "second"),
                ("url", "ftp://x"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400);
    let set = ops
        .post(
            "/console/shops",
            &[
                ("csrf", &csrf),
                ("action", "callback"),
                ("name", "second"),
                ("url", &url),
            ],
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let secret = form_value(&set.body, "secret");
    assert!(secret.starts_with("whsec_"));
    let listing = ops.get("/console/shops").await.body;
    assert!(
        !listing.contains("key=private") && !listing.contains(&secret),
        "origin only, no secret"
    );
    let tested = ops
        .post(
            "/console/shops",
            &[("csrf", &csrf), ("action", "test"), ("name", "second")],
        )
        .await;
    assert_eq!(tested.status, 200, "{}", tested.body);
    assert!(tested.body.contains("HTTP 204"), "{}", tested.body);
    let (signature, body) = receiver.0.lock().unwrap()[0].clone();
    assert!(server_shim::outbox::verify(
        &secret,
        &signature,
        &body,
        server_shim::services::now()
    ));
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (body["type"].as_str(), body["shop"].as_str()),
        (Some("test"), Some("second"))
    );

    // The queues: a gateway webhook, replayed.
    let (_, invoice) = app.create(&usdt_invoice("q-1", "15.00")).await;
    let id = invoice["id"].as_str().unwrap();
    app.sandbox("pay", json!({ "order_id": id, "amount": "15" }))
        .await;
    app.wait_for_status(id, "paid").await;
    let queues = crate::support::eventually(std::time::Duration::from_secs(10), async || {
        let page = ops.get("/console/queues").await;
        match page.body.contains(id) {
            true => Ok(page.body),
            false => Err("the webhook is not listed".to_owned()),
        }
    })
    .await;
    let webhook = form_value(
        &queues[queues.find("name=\"queue\" value=\"webhook\"").unwrap()..],
        "id",
    );
    let replayed = ops
        .post(
            "/console/queues",
            &[("csrf", &csrf), ("queue", "webhook"), ("id", &webhook)],
        )
        .await;
    assert_eq!(replayed.status, 200, "{}", replayed.body);
    assert!(replayed.body.contains("queued again"), "{}", replayed.body);
    let missing = ops
        .post(
            "/console/queues",
            &[("csrf", &csrf), ("queue", "webhook"), ("id", "999999")],
        )
        .await;
    assert_eq!(missing.status, 404);
    // Processed again, the webhook changes nothing.
    let (_, history) = call(
        &app,
        Method::GET,
        &format!("/v1/invoices/{id}/history"),
        None,
    )
    .await;
    assert!(history.to_string().contains("applied: paid"), "{history}");
    assert_eq!(app.invoice(id).await.1["status"], "paid");
    scratch.remove();
}
