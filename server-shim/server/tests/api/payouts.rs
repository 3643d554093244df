//! Payouts through the sandbox: only for shops the operator allowed, checked against the balance
//! first, once per order id, moved to their final status by the payout key's webhooks.

use crate::support::{JsonOf as _, ScratchDb, TestApp, call, eventually};
use serde_json::{Value, json};
use server_shim::store::Store;
use std::time::{Duration, Instant};

fn payout(order: &str, amount: &str) -> Value {
    json!({ "order_id": order, "amount": amount, "currency": "USDT", "network": "tron",
        "address": "TQrZ9wBzNaBxDoQhVxuDn5k1WpSdTa7bEu", "is_subtract": true })
}

/// Puts `amount` USDT on the merchant's balance: a deposit to a wallet of the shop's own
/// (less the gateway's commission), credited to the shop before this returns. Returns that
/// wallet.
pub(crate) async fn fund(app: &TestApp, amount: &str) -> Value {
    let (_, wallet) = call(
        app,
        reqwest::Method::POST,
        "/v1/wallets",
        Some(json!({ "customer": "treasury", "currency": "USDT", "network": "tron" })),
    )
    .await;
    let before = wallet["deposits"].as_array().map_or(0, Vec::len);
    app.sandbox(
        "deposit",
        json!({ "address": wallet["address"], "amount": amount }),
    )
    .await;
    let path = format!("/v1/wallets/{}", wallet["id"].as_str().unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, now) = call(app, reqwest::Method::GET, &path, None).await;
        let deposits = now["deposits"].as_array().cloned().unwrap_or_default();
        if deposits.len() > before && deposits.iter().all(|d| d["credited"] == true) {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "the deposit was not credited: {now}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The payouts the gateway made, newest first (its own history, signed with the payout key).
async fn gateway_payouts(app: &TestApp) -> Vec<Value> {
    let config = app.sandbox.config();
    let body = b"{}".to_vec();
    let answer: Value = app
        .http
        .post(format!("{}/cryptomus/v1/payout/list", app.url))
        .header("merchant", config.merchant.as_str())
        .header("sign", shim_gateway::sign::sign(&body, &config.payout_key))
        .header("content-type", "application/json")
        .body(body)
        .json_of()
        .await;
    answer["result"]["items"].as_array().unwrap().clone()
}

async fn post_payout(app: &TestApp, body: Value) -> (u16, Value) {
    call(app, reqwest::Method::POST, "/v1/payouts", Some(body)).await
}

/// A temporary SQLite database, and the demo shop allowed payouts in it.
async fn allowed_app(name: &str) -> (TestApp, ScratchDb) {
    let db = ScratchDb::new(&format!("payouts-{name}"));
    let app = TestApp::spawn(&db.url).await;
    let store = Store::connect(&db.url).await.unwrap();
    assert!(store.set_payouts_allowed("demo", true).await.unwrap());
    (app, db)
}

/// Payout `id` as the shop sees it.
async fn payout_view(app: &TestApp, id: &str) -> Value {
    call(
        app,
        reqwest::Method::GET,
        &format!("/v1/payouts/{id}"),
        None,
    )
    .await
    .1
}

async fn list(app: &TestApp) -> Vec<Value> {
    call(app, reqwest::Method::GET, "/v1/payouts", None).await.1["payouts"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_shop_pays_out_what_its_balance_holds() {
    let scratch = ScratchDb::new("payouts");
    let db = scratch.url.clone();
    let app = TestApp::spawn(&db).await;

    // Not allowed yet: refused, nothing made.
    let (status, body) = post_payout(&app, payout("p-1", "10")).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("allow-payouts"),
        "{body}"
    );
    let store = Store::connect(&db).await.unwrap();
    assert!(store.set_payouts_allowed("demo", true).await.unwrap());

    // The balance: 50 USDT deposited (less the gateway's commission).
    let wallet = fund(&app, "50").await;

    // More than the balance: refused with the figures, nothing made.
    let (status, body) = post_payout(&app, payout("p-big", "500")).await;
    assert_eq!(status, 409, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("the balance holds") && message.contains("500"),
        "{message}"
    );
    assert!(list(&app).await.is_empty());

    // Within it: sent, then paid through its webhook.
    let (status, sent) = post_payout(&app, payout("p-1", "10")).await;
    assert_eq!(status, 201, "{sent}");
    let id = sent["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("pay_"));
    assert_eq!(
        (sent["is_final"].as_bool(), sent["amount"].as_str()),
        (Some(false), Some("10"))
    );
    // Asked again: the same payout; the same order id for another: refused.
    let (status, again) = post_payout(&app, payout("p-1", "10")).await;
    assert_eq!((status, &again["id"]), (200, &sent["id"]));
    let (status, body) = post_payout(&app, payout("p-1", "11")).await;
    assert_eq!(status, 409, "{body}");

    app.sandbox("payout", json!({ "order_id": id, "result": "paid" }))
        .await;
    let done = eventually(Duration::from_secs(20), async || {
        let view = payout_view(&app, &id).await;
        match view["is_final"] == true {
            true => Ok(view),
            false => Err(format!("the payout did not finish: {view}")),
        }
    })
    .await;
    assert_eq!(done["status"], "paid", "{done}");
    assert!(
        done["txid"].as_str().is_some_and(|t| !t.is_empty()),
        "{done}"
    );

    // A forged payout webhook (signed with the payment key) is refused.
    let body = json!({ "type": "payout", "uuid": "x", "order_id": id, "amount": "10",
        "is_final": true, "status": "fail", "txid": null, "currency": "USDT", "network": "tron" });
    let forged = shim_gateway::sign_webhook(
        &serde_json::to_vec(&body).unwrap(),
        &app.sandbox.config().payment_key,
    )
    .unwrap();
    let (status, _) = app.post_ipn(forged).await;
    assert_eq!(status, 401);
    let view = payout_view(&app, &id).await;
    assert_eq!(view["status"], "paid");

    // The operator's view, from the command line.
    use crate::cli::{shim, text};
    let payouts = shim(&["payouts", "list", "--shop", "demo"], &db);
    assert!(payouts.status.success(), "{}", text(&payouts));
    let out = text(&payouts);
    assert!(
        out.contains(&id) && out.contains("paid (final)") && out.contains("p-1"),
        "{out}"
    );
    let wallets = shim(
        &[
            "wallets",
            "list",
            "--shop",
            "demo",
            "--customer",
            "treasury",
        ],
        &db,
    );
    let out = text(&wallets);
    assert!(
        out.contains(wallet["id"].as_str().unwrap()) && out.contains("treasury"),
        "{out}"
    );
    let shown = shim(
        &["wallets", "show", "--id", wallet["id"].as_str().unwrap()],
        &db,
    );
    assert!(text(&shown).contains("\tpaid\tyes"), "{}", text(&shown));
    let missing = shim(&["wallets", "show", "--id", "wal_nope"], &db);
    assert!(!missing.status.success());
    assert!(text(&missing).contains("no wallet"), "{}", text(&missing));
    let allow = shim(&["shops", "allow-payouts", "--name", "nobody"], &db);
    assert!(text(&allow).contains("no shop named"), "{}", text(&allow));
    scratch.remove();
}

#[tokio::test]
async fn bad_payout_requests_are_refused_and_make_nothing() {
    let scratch = ScratchDb::new("payouts-bad");
    let db = scratch.url.clone();
    let app = TestApp::spawn(&db).await;
    Store::connect(&db)
        .await
        .unwrap()
        .set_payouts_allowed("demo", true)
        .await
        .unwrap();
    let mut without_fee_choice = payout("b-1", "10");
    without_fee_choice
        .as_object_mut()
        .unwrap()
        .remove("is_subtract");
    let mut bad_amount = payout("b-2", "ten");
    bad_amount["amount"] = json!("ten");
    let mut bad_address = payout("b-3", "10");
    bad_address["address"] = json!("T<script>");
    let mut bad_network = payout("b-4", "10");
    bad_network["network"] = json!("tr on");
    let mut empty_order = payout("", "10");
    empty_order["order_id"] = json!("");
    for (body, names) in [
        (without_fee_choice, "is_subtract"),
        (bad_amount, "amount"),
        (bad_address, "address"),
        (bad_network, "network"),
        (empty_order, "order_id"),
    ] {
        let (status, error) = call(
            &app,
            reqwest::Method::POST,
            "/v1/payouts",
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 400, "{body}: {error}");
        let message = error["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(names), "{body}: {message}");
    }
    assert!(list(&app).await.is_empty());
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        "/v1/payouts/pay_000000000000000000000000",
        None,
    )
    .await;
    assert_eq!(status, 404);
    scratch.remove();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reconciler_finishes_a_payout_whose_webhook_was_lost() {
    let scratch = ScratchDb::new("payouts-lost");
    let db = scratch.url.clone();
    let eager = server_shim::services::ReconcilePolicy {
        every: Duration::from_millis(200),
        min_recheck: 0,
        max_recheck: 0,
    };
    let app = TestApp::spawn_with(&db, eager).await;
    let store = Store::connect(&db).await.unwrap();
    store.set_payouts_allowed("demo", true).await.unwrap();
    fund(&app, "50").await;
    let (status, sent) = post_payout(&app, payout("lost-1", "10")).await;
    assert_eq!(status, 201, "{sent}");
    let id = sent["id"].as_str().unwrap().to_owned();

    // The gateway pays it, but its webhook never arrives.
    app.sandbox("webhooks/outage", json!({ "lost": true }))
        .await;
    app.sandbox("payout", json!({ "order_id": id, "result": "paid" }))
        .await;
    // Read from the store, not through GET /v1/payouts/{id} (which asks the gateway itself).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let payout = store.payout(&id).await.unwrap().unwrap();
        if payout.is_final {
            assert_eq!(payout.status, "paid");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the reconciler did not finish it: {payout:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A payout stored by a shim that stopped before sending it: the reconciler sends it.
    let stopped = server_shim::store::PayoutRecord {
        id: "pay_00000000000000000000c0de".into(),
        shop_id: server_shim::domain::ShopId("shop_demo".into()),
        order_id: "stopped-1".into(),
        amount: "5".parse().unwrap(),
        currency: "USDT".into(),
        network: "tron".into(),
        address: "TQrZ9wBzNaBxDoQhVxuDn5k1WpSdTa7bEu".into(),
        is_subtract: false,
        gateway_uuid: None,
        status: String::new(),
        fee: Default::default(),
        error: None,
        submitted_at: None,
        txid: None,
        is_final: false,
        created_at: server_shim::services::now(),
        updated_at: server_shim::services::now(),
    };
    let stored = store.reserve_payout(&stopped, |_| Ok(())).await.unwrap();
    assert!(
        matches!(stored, server_shim::store::Reservation::Stored(_)),
        "{stored:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let payout = store.payout(&stopped.id).await.unwrap().unwrap();
        if payout.gateway_uuid.is_some() {
            assert_eq!(payout.status, "process");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the reconciler did not send it: {payout:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    scratch.remove();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payout_is_stored_before_the_gateway_is_called_and_made_there_once() {
    let (app, scratch) = allowed_app("once").await;
    fund(&app, "50").await;

    // The gateway makes the payout but its answers are lost; two requests race.
    app.sandbox(
        "lose-answers",
        json!({ "path": "/v1/payout", "count": 100 }),
    )
    .await;
    let (first, second) = tokio::join!(
        post_payout(&app, payout("p-once", "10")),
        post_payout(&app, payout("p-once", "10"))
    );
    for (status, body) in [&first, &second] {
        assert!(matches!(status, 200 | 201), "{status} {body}");
    }
    assert_eq!(first.1["id"], second.1["id"], "{first:?} {second:?}");
    let stored = list(&app).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_ne!(stored[0]["status"], "requested", "{stored:?}");

    // Asked again once the network is back: the gateway's payout, found by its order id.
    app.sandbox("lose-answers", json!({ "path": "/v1/payout", "count": 0 }))
        .await;
    let (status, again) = post_payout(&app, payout("p-once", "10")).await;
    assert_eq!((status, &again["id"]), (200, &first.1["id"]), "{again}");
    assert_eq!(again["status"], "process", "{again}");
    let made = gateway_payouts(&app).await;
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(made[0]["order_id"], again["id"]);
    scratch.remove();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payout_the_gateway_refused_is_kept_and_answers_the_same() {
    let (app, scratch) = allowed_app("refused").await;
    fund(&app, "50").await;
    // An Ethereum address on the TRON network: the gateway refuses it.
    let mut wrong = payout("p-wrong", "10");
    wrong["address"] = json!("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
    let (status, body) = post_payout(&app, wrong.clone()).await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"]["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("not valid for the selected network") && message.contains("new order_id"),
        "{message}"
    );
    let stored = list(&app).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(
        (
            stored[0]["status"].as_str(),
            stored[0]["is_final"].as_bool()
        ),
        (Some("rejected"), Some(true))
    );
    // The same request: the same answer, and nothing sent again.
    let (status, again) = post_payout(&app, wrong).await;
    assert_eq!(
        (status, again["error"]["message"].as_str()),
        (400, Some(message.as_str()))
    );
    assert!(gateway_payouts(&app).await.is_empty());
    assert_eq!(list(&app).await.len(), 1);
    scratch.remove();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_pays_out_only_its_own_money_within_the_operators_limits() {
    let (demo, scratch) = allowed_app("ledger").await;
    ledger_story(demo, &scratch.url).await;
    scratch.remove();
    match crate::support::postgres_url().await {
        Some(db) => {
            let demo = TestApp::spawn(&db).await;
            let store = Store::connect(&db).await.unwrap();
            assert!(store.set_payouts_allowed("demo", true).await.unwrap());
            ledger_story(demo, &db).await;
        }
        None => crate::support::skipped("the PostgreSQL half: SHIM_TEST_POSTGRES_URL is not set"),
    }
}

/// Two shops on one merchant account, on database `db` where the demo shop may pay out.
async fn ledger_story(demo: TestApp, db: &str) {
    let store = Store::connect(db).await.unwrap();
    let token = server_shim::domain::ShopToken::generate().unwrap();
    let other_shop = server_shim::domain::Shop {
        id: server_shim::domain::ShopId("shop_other".into()),
        name: "other".into(),
    };
    store
        .create_shop(&other_shop, &token.hash(), 0)
        .await
        .unwrap();
    assert!(store.set_payouts_allowed("other", true).await.unwrap());
    let other = TestApp {
        url: demo.url.clone(),
        token: token.reveal().to_owned(),
        http: demo.http.clone(),
        sandbox: demo.sandbox.clone(),
    };

    // The demo shop's customers brought 49 USDT (50 less the commission); the other shop has earned nothing yet, so
    // the merchant's balance is all the demo shop's.
    fund(&demo, "50").await;
    let (status, body) = post_payout(&other, payout("o-1", "10")).await;
    assert_eq!(status, 409, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("ledger holds 0 USDT") && message.contains("needs 10 and its fee 0.1"),
        "{message}"
    );
    assert!(list(&other).await.is_empty());

    // Its own income, it may pay out, and no more.
    fund(&other, "20").await;
    let (status, body) = post_payout(&other, payout("o-2", "15")).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = post_payout(&other, payout("o-3", "5")).await;
    assert_eq!(status, 409, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("ledger holds 4.45 USDT") && message.contains("deposits 19.6"),
        "{message}"
    );

    // A paid invoice is income too: what the gateway credited after its commission.
    let (status, invoice) = other
        .create(&crate::support::usdt_invoice("o-invoice", "10"))
        .await;
    assert_eq!(status, 201, "{invoice}");
    let id = invoice["id"].as_str().unwrap();
    other
        .sandbox("pay", json!({ "order_id": id, "amount": "10" }))
        .await;
    other.wait_for_status(id, "paid").await;
    let (status, body) = post_payout(&other, payout("o-3", "5")).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = post_payout(&other, payout("o-4", "10")).await;
    assert_eq!(status, 409, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("its payments 9.8 and deposits 19.6"),
        "{message}"
    );

    // Two payouts at once that together exceed the demo shop's 49: exactly one is made.
    let (a, b) = tokio::join!(
        post_payout(&demo, payout("d-a", "30")),
        post_payout(&demo, payout("d-b", "30"))
    );
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{a:?} {b:?}");

    // The operator's cap on 24 hours and its address list.
    use crate::cli::{shim, text};
    let allowed = "TQrZ9wBzNaBxDoQhVxuDn5k1WpSdTa7bEu";
    let set = shim(
        &[
            "shops",
            "allow-payouts",
            "--name",
            "demo",
            "--daily-cap",
            "USDT=40",
            "--address",
            allowed,
        ],
        db,
    );
    assert!(set.status.success(), "{}", text(&set));
    assert!(
        text(&set).contains("at most 40 USDT per 24 hours, to 1 address"),
        "{}",
        text(&set)
    );
    let bad = shim(
        &[
            "shops",
            "allow-payouts",
            "--name",
            "demo",
            "--daily-cap",
            "USDT",
        ],
        db,
    );
    assert!(
        !bad.status.success() && text(&bad).contains("COIN=AMOUNT"),
        "{}",
        text(&bad)
    );
    let (status, body) = post_payout(&demo, payout("d-c", "15")).await;
    assert_eq!(status, 409, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("may pay out 40 USDT in 24 hours") && message.contains("30 went out"),
        "{message}"
    );
    let mut elsewhere = payout("d-d", "5");
    elsewhere["address"] = json!("TJYeasTPa6gpEEfYqNSzZbFtJPdxjHaRAD");
    let (status, body) = post_payout(&demo, elsewhere).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("TJYeasTPa6gpEEfYqNSzZbFtJPdxjHaRAD")
    );
    let (status, body) = post_payout(&demo, payout("d-e", "5")).await;
    assert_eq!(status, 201, "{body}");
    let shops = text(&shim(&["shops", "list"], db));
    assert!(
        shops.contains("allowed, at most 40 USDT per 24 hours, to 1 address"),
        "{shops}"
    );
    // Two shops' payouts at the gateway: the other's 15 and 5, the demo's 30 and 5.
    assert_eq!(gateway_payouts(&demo).await.len(), 4);
}
