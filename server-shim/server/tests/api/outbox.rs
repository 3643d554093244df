//! Callbacks to shops: signed, durable, retried, replayable.

use crate::support::{TestApp, usdt_invoice};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use server_shim::store::Store;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SECRET: &str = "whsec_test";

/// A shop's callback endpoint that refuses the first `fail_first` calls.
#[derive(Clone, Default)]
struct Shop {
    received: Arc<Mutex<Vec<(String, Value)>>>,
    calls: Arc<Mutex<u32>>,
    fail_first: u32,
}

async fn receive(State(shop): State<Shop>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let call = {
        let mut calls = shop.calls.lock().unwrap();
        *calls += 1;
        *calls
    };
    if call <= shop.fail_first {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let signature = headers["x-checkout-signature"].to_str().unwrap();
    assert!(
        server_shim::outbox::verify(SECRET, signature, &body, server_shim::checkout::now()),
        "every callback is signed with the shop's secret"
    );
    let delivery = headers["x-checkout-delivery"].to_str().unwrap().to_owned();
    shop.received
        .lock()
        .unwrap()
        .push((delivery, serde_json::from_slice(&body).unwrap()));
    StatusCode::OK
}

/// A demo on a SQLite file, its demo shop's callbacks pointed at a local receiver.
async fn setup(fail_first: u32) -> (TestApp, Store, Shop, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("shim-outbox-{}-{fail_first}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("shim.db").display());
    let app = TestApp::spawn(&db).await;
    let shop = Shop {
        fail_first,
        ..Shop::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/callback", listener.local_addr().unwrap());
    let router = axum::Router::new()
        .route("/callback", post(receive))
        .with_state(shop.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let store = Store::connect(&db).await.unwrap();
    assert!(
        store
            .set_shop_callback("demo", Some((&url, SECRET)))
            .await
            .unwrap()
    );
    (app, store, shop, dir)
}

async fn wait_for_callbacks(shop: &Shop, count: usize) -> Vec<(String, Value)> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let received = shop.received.lock().unwrap().clone();
        if received.len() >= count {
            return received;
        }
        assert!(
            Instant::now() < deadline,
            "only {} callbacks arrived",
            received.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_status_change_reaches_the_shop_signed_and_can_be_replayed() {
    let (app, store, shop, dir) = setup(0).await;
    let (_, invoice) = app.create(&usdt_invoice("7701", "15.00")).await;
    let id = invoice["id"].as_str().unwrap();
    app.sandbox("pay", json!({ "order_id": id, "amount": "15" }))
        .await;
    app.wait_for_status(id, "paid").await;

    let received = wait_for_callbacks(&shop, 1).await;
    let (delivery, last) = received.last().unwrap().clone();
    assert_eq!(last["type"], "invoice.updated");
    assert_eq!(last["order_id"], "7701");
    assert_eq!(last["invoice"]["id"], id);
    assert_eq!(last["invoice"]["status"], "paid");

    // The shop has it; the worker records the delivery right after.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let delivered = store.jobs(Some("delivered"), 10).await.unwrap();
        if delivered.iter().any(|j| j.id.to_string() == delivery) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{delivered:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let count = received.len();
    assert!(
        store
            .replay_job(delivery.parse().unwrap(), server_shim::checkout::now())
            .await
            .unwrap()
    );
    let again = wait_for_callbacks(&shop, count + 1).await;
    assert_eq!(
        again.last().unwrap().0,
        delivery,
        "a replay carries the same delivery id"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_shop_that_is_down_gets_the_callback_when_it_is_back() {
    let (app, store, shop, dir) = setup(2).await;
    let (_, invoice) = app.create(&usdt_invoice("7702", "15.00")).await;
    let id = invoice["id"].as_str().unwrap();
    app.sandbox("expire", json!({ "order_id": id })).await;
    let received = wait_for_callbacks(&shop, 1).await;
    assert_eq!(received[0].1["invoice"]["status"], "expired");
    // The shop has it; the worker records the delivery right after.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let job = loop {
        let job = store
            .jobs(None, 10)
            .await
            .unwrap()
            .into_iter()
            .find(|j| j.invoice_id.as_str() == id)
            .unwrap();
        if job.status != "pending" || std::time::Instant::now() > deadline {
            break job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(
        (job.status.as_str(), job.attempts),
        ("delivered", 3),
        "two refusals, then delivered"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_callback_to_a_private_address_is_refused_with_what_to_do() {
    let dir = std::env::temp_dir().join(format!("shim-outbox-private-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("shim.db").display());
    let strict = server_shim::Settings {
        egress: server_shim::Egress::public_only(),
        ..crate::support::settings(&db)
    };
    let (app, _) = TestApp::spawn_settings(&strict).await;
    let shop = Shop::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://localhost:{}/callback",
        listener.local_addr().unwrap().port()
    );
    let router = axum::Router::new()
        .route("/callback", post(receive))
        .with_state(shop.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let store = Store::connect(&db).await.unwrap();
    store
        .set_shop_callback("demo", Some((&url, SECRET)))
        .await
        .unwrap();
    let (status, invoice) = app.create(&usdt_invoice("private-1", "15.00")).await;
    assert_eq!(status, 201, "{invoice}");
    let id = invoice["id"].as_str().unwrap();
    app.sandbox("pay", json!({ "order_id": id, "amount": "15" }))
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let job = loop {
        let jobs = store.jobs(None, 10).await.unwrap();
        if let Some(job) = jobs.into_iter().find(|j| j.last_error.is_some()) {
            break job;
        }
        assert!(std::time::Instant::now() < deadline, "no attempt recorded");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let error = job.last_error.unwrap();
    assert!(error.contains("SHIM_ALLOWED_PRIVATE_HOSTS"), "{error}");
    assert!(
        shop.received.lock().unwrap().is_empty(),
        "nothing reached it"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
