//! Static deposit addresses through the sandbox: one wallet per customer and coin, deposits
//! credited once whatever the webhooks do, the shop told by signed callbacks, blocking and the
//! refund of a blocked wallet, and bad requests refused without a trace.

use crate::support::{ScratchDb, TestApp, call};
use serde_json::{Value, json};
use shim_gateway::sign_webhook;
use std::time::{Duration, Instant};

async fn create(app: &TestApp, body: Value) -> (u16, Value) {
    call(app, reqwest::Method::POST, "/v1/wallets", Some(body)).await
}

/// The wallet as the widget reads it (no token).
async fn public(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/v1/wallets/{id}"))
        .await
        .json()
        .await
        .unwrap()
}

/// The wallet's deposit of transaction `txid`, in `view`.
fn entry<'a>(view: &'a Value, txid: &str) -> Option<&'a Value> {
    view["deposits"]
        .as_array()?
        .iter()
        .find(|d| d["txid"] == txid)
}

async fn eventually(app: &TestApp, id: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let view = public(app, id).await;
        if check(&view) {
            return view;
        }
        assert!(Instant::now() < deadline, "timed out: {what}: {view}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_customer_has_one_address_per_coin_and_every_deposit_counts_once() {
    for database in crate::support::database_urls().await {
        deposits_on(&database).await;
    }
}

async fn deposits_on(database: &str) {
    let app = TestApp::spawn(database).await;
    let (status, wallet) = create(
        &app,
        json!({ "customer": "player-42", "currency": "usdt", "network": "TRON" }),
    )
    .await;
    assert_eq!(status, 201, "{wallet}");
    let id = wallet["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("wal_"));
    assert_eq!(
        (
            wallet["customer"].as_str(),
            wallet["currency"].as_str(),
            wallet["network"].as_str()
        ),
        (Some("player-42"), Some("USDT"), Some("tron"))
    );
    let address = wallet["address"].as_str().unwrap().to_owned();
    assert!(address.starts_with('T'), "{address}");
    assert_eq!(wallet["payment_uri"].as_str(), Some(address.as_str()));
    assert_eq!(wallet["credited"], "0");

    // Asking again: the same wallet. Another coin: another wallet.
    let (status, again) = create(
        &app,
        json!({ "customer": "player-42", "currency": "USDT", "network": "tron" }),
    )
    .await;
    assert_eq!((status, &again["id"]), (200, &wallet["id"]));
    let (status, btc) = create(
        &app,
        json!({ "customer": "player-42", "currency": "BTC", "network": "btc" }),
    )
    .await;
    assert_eq!(status, 201, "{btc}");
    assert_ne!(btc["address"], wallet["address"]);

    // Two deposits, and the first one's transaction reported again: two entries.
    for (amount, txid) in [("10", "tx-a"), ("5", "tx-b"), ("10", "tx-a")] {
        app.sandbox(
            "deposit",
            json!({ "address": address, "amount": amount, "txid": txid }),
        )
        .await;
    }
    let view = eventually(&app, &id, "two deposits", |v| {
        v["deposits"].as_array().is_some_and(|d| d.len() == 2)
    })
    .await;
    assert!(
        view.get("customer").is_none(),
        "the public view names nobody: {view}"
    );
    let deposits = view["deposits"].as_array().unwrap();
    assert!(deposits.iter().all(|d| d["credited"] == true), "{view}");
    let expected: rust_decimal::Decimal = deposits
        .iter()
        .map(|d| {
            d["credited_amount"]
                .as_str()
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    assert_eq!(
        view["credited"].as_str().unwrap(),
        expected.normalize().to_string()
    );
    assert!(
        expected < rust_decimal::Decimal::from(15),
        "the gateway's commission is taken"
    );

    // The same webhook again, and an older status of it after it: nothing changes.
    let first = &deposits[0];
    let mut hook = json!({
        "type": "wallet", "uuid": first["id"], "order_id": id, "amount": first["amount"],
        "payment_amount": first["amount"], "payment_amount_usd": first["amount"],
        "merchant_amount": first["credited_amount"], "commission": "0", "is_final": true,
        "status": "paid", "from": "TFrom", "wallet_address_uuid": null, "network": "tron",
        "currency": "USDT", "payer_currency": "USDT", "additional_data": null,
        "txid": first["txid"],
    });
    let key = &app.sandbox.config().payment_key;
    let replay = sign_webhook(&serde_json::to_vec(&hook).unwrap(), key).unwrap();
    let (status, body) = app.post_ipn(replay).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["outcome"], "unchanged", "{body}");
    hook["status"] = json!("confirm_check");
    hook["is_final"] = json!(false);
    let older = sign_webhook(&serde_json::to_vec(&hook).unwrap(), key).unwrap();
    let (status, body) = app.post_ipn(older).await;
    assert_eq!(
        (status, body["outcome"].as_str()),
        (200, Some("unchanged")),
        "{body}"
    );
    assert_eq!(public(&app, &id).await, view);

    // A deposit first seen confirming, then paid: one entry, credited once paid.
    let confirming = app
        .sandbox(
            "deposit",
            json!({ "address": address, "amount": "4", "txid": "tx-c", "confirm": false }),
        )
        .await;
    let seen = eventually(&app, &id, "the confirming deposit", |v| {
        entry(v, "tx-c").is_some_and(|d| d["status"] == "confirm_check")
    })
    .await;
    assert_eq!(
        seen["credited"], view["credited"],
        "not credited while confirming"
    );
    app.sandbox(
        "deposit/settle",
        json!({ "uuid": confirming["result"]["uuid"] }),
    )
    .await;
    let credited = eventually(&app, &id, "the confirmed deposit", |v| {
        entry(v, "tx-c").is_some_and(|d| d["credited"] == true)
    })
    .await;
    assert_ne!(credited["credited"], view["credited"]);
    let before = credited["credited"].clone();

    // Webhooks are hints: signed with the right key, a webhook the gateway's own record does not
    // back credits nothing.
    hook["uuid"] = json!("8b4d5f0e-0000-4000-8000-000000000001");
    hook["txid"] = json!("tx-forged");
    hook["amount"] = json!("1000");
    let unknown = sign_webhook(&serde_json::to_vec(&hook).unwrap(), key).unwrap();
    assert_eq!(app.post_ipn(unknown).await.1["outcome"], "ignored");
    app.sandbox("webhooks/outage", json!({ "lost": true }))
        .await;
    let real = app
        .sandbox(
            "deposit",
            json!({ "address": address, "amount": "7", "txid": "tx-g" }),
        )
        .await;
    let other_wallet = app
        .sandbox(
            "deposit",
            json!({ "address": address, "amount": "3", "txid": "tx-h" }),
        )
        .await;
    app.sandbox("webhooks/outage", json!({ "lost": false }))
        .await;
    // A real deposit's uuid with a bigger amount: in review, not credited, with why.
    hook["uuid"] = real["result"]["uuid"].clone();
    hook["txid"] = json!("tx-g");
    hook["amount"] = json!("700");
    let inflated = sign_webhook(&serde_json::to_vec(&hook).unwrap(), key).unwrap();
    assert_eq!(app.post_ipn(inflated).await.1["outcome"], "deposit: review");
    let reviewed = public(&app, &id).await;
    let held = entry(&reviewed, "tx-g").unwrap();
    assert_eq!(
        (&held["status"], &held["credited"], &held["is_final"]),
        (&json!("review"), &json!(false), &json!(true))
    );
    assert!(
        held["review_reason"]
            .as_str()
            .is_some_and(|r| r.contains("the webhook says 700 arrived, the gateway 7")),
        "{held}"
    );
    assert_eq!(reviewed["credited"], before);
    // Another wallet's gateway uuid named in the webhook: ignored; the honest one credits.
    hook["uuid"] = other_wallet["result"]["uuid"].clone();
    hook["txid"] = json!("tx-h");
    hook["amount"] = json!("3");
    hook["wallet_address_uuid"] = json!("00000000-0000-4000-8000-00000000beef");
    let misrouted = sign_webhook(&serde_json::to_vec(&hook).unwrap(), key).unwrap();
    assert_eq!(app.post_ipn(misrouted).await.1["outcome"], "ignored");
    assert!(entry(&public(&app, &id).await, "tx-h").is_none());
    hook["wallet_address_uuid"] = Value::Null;
    let honest = sign_webhook(&serde_json::to_vec(&hook).unwrap(), key).unwrap();
    assert_eq!(app.post_ipn(honest).await.1["outcome"], "deposit: paid");
    assert_ne!(public(&app, &id).await["credited"], before);

    // A deposit that fails, then an older status of it arriving late: the entry stays final.
    let failing = app
        .sandbox(
            "deposit",
            json!({ "address": address, "amount": "2", "txid": "tx-f", "confirm": false }),
        )
        .await;
    app.sandbox(
        "deposit/settle",
        json!({ "uuid": failing["result"]["uuid"], "result": "fail" }),
    )
    .await;
    eventually(&app, &id, "the failed deposit", |v| {
        entry(v, "tx-f").is_some_and(|d| d["status"] == "fail")
    })
    .await;
    hook["uuid"] = failing["result"]["uuid"].clone();
    hook["txid"] = json!("tx-f");
    hook["amount"] = json!("2");
    hook["status"] = json!("confirm_check");
    hook["is_final"] = json!(false);
    let stale = sign_webhook(&serde_json::to_vec(&hook).unwrap(), key).unwrap();
    assert_eq!(app.post_ipn(stale).await.1["outcome"], "unchanged");
    let view = public(&app, &id).await;
    let failed = entry(&view, "tx-f").unwrap();
    assert_eq!(
        (&failed["status"], &failed["credited"], &failed["is_final"]),
        (&json!("fail"), &json!(false), &json!(true))
    );

    // The shop's list, by customer.
    let (status, list) = call(
        &app,
        reqwest::Method::GET,
        "/v1/wallets?customer=player-42",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(list["wallets"].as_array().unwrap().len(), 2);
    let (_, none) = call(
        &app,
        reqwest::Method::GET,
        "/v1/wallets?customer=nobody",
        None,
    )
    .await;
    assert_eq!(none["wallets"], json!([]));
}

#[tokio::test]
async fn a_blocked_wallet_holds_later_deposits_and_refunds_them_once() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let (_, wallet) = create(
        &app,
        json!({ "customer": "c-7", "currency": "USDT", "network": "tron" }),
    )
    .await;
    let id = wallet["id"].as_str().unwrap().to_owned();
    let address = wallet["address"].as_str().unwrap().to_owned();
    app.sandbox("deposit", json!({ "address": address, "amount": "20" }))
        .await;
    eventually(&app, &id, "the deposit", |v| v["credited"] != "0").await;

    // Refunding an open wallet is refused.
    let path = format!("/v1/wallets/{id}/refund");
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        &path,
        Some(json!({ "address": "TXYZopqr1234" })),
    )
    .await;
    assert_eq!(status, 409, "{body}");

    let (status, blocked) = call(
        &app,
        reqwest::Method::POST,
        &format!("/v1/wallets/{id}/block"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{blocked}");
    assert_eq!(blocked["blocked"], true);
    // Coins still reach the address: held by the gateway, never credited.
    let credited = public(&app, &id).await["credited"].clone();
    app.sandbox(
        "deposit",
        json!({ "address": address, "amount": "1", "txid": "tx-late" }),
    )
    .await;
    let late = eventually(&app, &id, "the held deposit", |v| {
        entry(v, "tx-late").is_some_and(|d| d["status"] == "locked")
    })
    .await;
    assert_eq!(late["credited"], credited);

    let (status, body) = call(&app, reqwest::Method::POST, &path, Some(json!({}))).await;
    assert_eq!(status, 400, "{body}");
    let (status, refund) = call(
        &app,
        reqwest::Method::POST,
        &path,
        Some(json!({ "address": "TXYZopqr1234" })),
    )
    .await;
    assert_eq!(status, 200, "{refund}");
    // What arrived after the block goes back (less the commission); what came before stays.
    assert_eq!(refund["amount"], "0.98", "{refund}");
    let refunded = eventually(&app, &id, "the refunded deposit", |v| {
        entry(v, "tx-late").is_some_and(|d| d["status"] == "refund_paid")
    })
    .await;
    assert_eq!(refunded["credited"], credited);
    let (status, again) = call(
        &app,
        reqwest::Method::POST,
        &path,
        Some(json!({ "address": "TXYZopqr1234" })),
    )
    .await;
    assert_eq!(status, 409, "a second refund: {again}");
    assert!(
        again["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already"),
        "{again}"
    );
}

#[tokio::test]
async fn bad_wallet_requests_are_refused_and_make_nothing() {
    let app = TestApp::spawn("sqlite::memory:").await;
    for (body, names) in [
        (json!({ "currency": "USDT", "network": "tron" }), "customer"),
        (
            json!({ "customer": "", "currency": "USDT", "network": "tron" }),
            "customer",
        ),
        (
            json!({ "customer": "c", "currency": "US DT", "network": "tron" }),
            "currency",
        ),
        (
            json!({ "customer": "c", "currency": "USDT", "network": "tr on" }),
            "network",
        ),
        (
            json!({ "customer": "c", "currency": "USDT", "network": "tron", "extra": 1 }),
            "extra",
        ),
        (
            json!({ "customer": "c\u{0}", "currency": "USDT", "network": "tron" }),
            "customer",
        ),
    ] {
        let (status, error) = create(&app, body.clone()).await;
        assert_eq!(status, 400, "{body}: {error}");
        let message = error["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(names), "{body}: {message}");
    }
    // A coin the gateway does not offer: its refusal, and no wallet left behind.
    let (status, error) = create(
        &app,
        json!({ "customer": "c", "currency": "DOGE", "network": "tron" }),
    )
    .await;
    assert!((400..500).contains(&status), "{error}");
    let (_, list) = call(&app, reqwest::Method::GET, "/v1/wallets", None).await;
    assert_eq!(list["wallets"], json!([]));
    // Without the token; someone else's or no wallet.
    let anonymous = app
        .http
        .post(format!("{}/v1/wallets", app.url))
        .json(&json!({ "customer": "c", "currency": "USDT", "network": "tron" }))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let missing = app
        .http
        .get(format!(
            "{}/v1/wallets/wal_000000000000000000000000",
            app.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
    let (status, _) = call(
        &app,
        reqwest::Method::POST,
        "/v1/wallets/wal_000000000000000000000000/block",
        None,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shop_hears_of_each_deposit_by_signed_callback() {
    use std::sync::{Arc, Mutex};
    let scratch = ScratchDb::new("wallet-callbacks");
    let db = scratch.url.clone();
    let app = TestApp::spawn(&db).await;
    // The shop's callback endpoint: keeps what it receives, with whether the signature checks.
    let received: Arc<Mutex<Vec<(bool, Value)>>> = Arc::default();
    let secret = "whsec_wallet_test";
    let sink = received.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let sink = sink.clone();
                async move {
                    let signature = headers
                        .get(server_shim::outbox::SIGNATURE_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    let valid = server_shim::outbox::verify(
                        secret,
                        signature,
                        &body,
                        server_shim::services::now(),
                    );
                    sink.lock()
                        .unwrap()
                        .push((valid, serde_json::from_slice(&body).unwrap()));
                    axum::http::StatusCode::OK
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    server_shim::store::Store::connect(&db)
        .await
        .unwrap()
        .set_shop_callback("demo", Some((&url, secret)))
        .await
        .unwrap();

    let (_, wallet) = create(
        &app,
        json!({ "customer": "acct-9", "currency": "USDT", "network": "tron" }),
    )
    .await;
    let address = wallet["address"].as_str().unwrap();
    for txid in ["tx-1", "tx-2", "tx-1"] {
        app.sandbox(
            "deposit",
            json!({ "address": address, "amount": "3", "txid": txid }),
        )
        .await;
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while received.lock().unwrap().len() < 2 {
        assert!(Instant::now() < deadline, "the callbacks did not come");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.settled().await;
    let delivered = received.lock().unwrap().clone();
    assert_eq!(delivered.len(), 2, "one callback a deposit: {delivered:?}");
    let mut txids: Vec<&str> = delivered
        .iter()
        .map(|(valid, body)| {
            assert!(valid, "signed with the shop's secret");
            assert_eq!(body["type"], "wallet.deposit");
            assert_eq!(body["status"], "paid", "the status this callback tells of");
            assert_eq!(body["customer"], "acct-9");
            assert_eq!(body["wallet"]["id"], wallet["id"]);
            assert_eq!(body["deposit"]["credited"], true);
            body["deposit"]["txid"].as_str().unwrap()
        })
        .collect();
    txids.sort_unstable();
    assert_eq!(txids, ["tx-1", "tx-2"]);

    // The operator sees them, and can have one sent again (a shop that lost it).
    let listed = crate::cli::shim(
        &["outbox", "list", "--events", "--status", "delivered"],
        &db,
    );
    let listed = crate::cli::text(&listed);
    let rows: Vec<Vec<&str>> = listed
        .lines()
        .skip(1)
        .map(|line| line.split('\t').collect())
        .collect();
    assert_eq!(rows.len(), 2, "{listed}");
    for row in &rows {
        assert_eq!(&row[1..4], ["delivered", "1", "deposit"], "{listed}");
        assert_eq!(row[5], "paid", "{listed}");
    }
    let metrics = app.text("/metrics").await;
    assert!(
        metrics.contains("shim_event_callbacks{kind=\"deposit\",status=\"delivered\"} 2"),
        "{metrics}"
    );
    let replayed = crate::cli::shim(&["outbox", "replay", "--events", "--id", rows[0][0]], &db);
    assert!(replayed.status.success(), "{}", crate::cli::text(&replayed));
    let deadline = Instant::now() + Duration::from_secs(20);
    while received.lock().unwrap().len() < 3 {
        assert!(
            Instant::now() < deadline,
            "the replayed callback did not come"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let again = received.lock().unwrap()[2].1.clone();
    let original = received
        .lock()
        .unwrap()
        .iter()
        .find(|(_, body)| body["deposit"]["id"] == again["deposit"]["id"])
        .map(|(_, body)| body.clone())
        .unwrap();
    assert_eq!(again["status"], original["status"], "the same news again");
    let missing = crate::cli::shim(&["outbox", "replay", "--events", "--id", "999999"], &db);
    assert!(!missing.status.success());
    assert!(
        crate::cli::text(&missing).contains("outbox list --events"),
        "{}",
        crate::cli::text(&missing)
    );
    scratch.remove();
}
