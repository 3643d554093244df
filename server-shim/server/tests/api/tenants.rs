//! Two shops on one shim: each one's token reaches only its own invoices, links, buttons, wallets,
//! payouts and platform connection, through the API and the command line; every attempt on the
//! other's is refused or sees nothing, and the database is unchanged by it.

use crate::cli::{shim, text};
use crate::support::{ScratchDb, TestApp, call, call_as, snapshot};
use serde_json::json;
use server_shim::domain::{Shop, ShopId, ShopToken};
use server_shim::store::Store;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_shops_token_never_reaches_anothers_things() {
    let scratch = ScratchDb::new("tenants");
    let db = scratch.url.clone();
    let a = TestApp::spawn(&db).await;
    let store = Store::connect(&db).await.unwrap();
    let token = ShopToken::generate().unwrap();
    let b_shop = Shop {
        id: ShopId("shop_b".into()),
        name: "b".into(),
    };
    store.create_shop(&b_shop, &token.hash(), 0).await.unwrap();
    let b = token.reveal().to_owned();
    for name in ["demo", "b"] {
        assert!(store.set_payouts_allowed(name, true).await.unwrap());
    }
    use reqwest::Method;

    // Shop A's things.
    let (_, invoice) = a
        .create(&crate::support::usdt_invoice("order-1", "15.00"))
        .await;
    let (_, link) = call(
        &a,
        Method::POST,
        "/v1/links",
        Some(json!({ "amount": "25.00", "currency": "USD", "description": "A's link" })),
    )
    .await;
    let (_, button) = call(
        &a,
        Method::POST,
        "/v1/buttons",
        Some(
            json!({ "amount": "5.00", "currency": "USD", "description": "A's button",
            "allowed_origins": ["https://a.example"] }),
        ),
    )
    .await;
    let (_, wallet) = call(
        &a,
        Method::POST,
        "/v1/wallets",
        Some(json!({ "customer": "alice", "currency": "USDT", "network": "tron" })),
    )
    .await;
    a.sandbox(
        "deposit",
        json!({ "address": wallet["address"], "amount": "50" }),
    )
    .await;
    let wallet_path = format!("/v1/wallets/{}", wallet["id"].as_str().unwrap());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while call(&a, Method::GET, &wallet_path, None).await.1["credited"] == "0" {
        assert!(
            std::time::Instant::now() < deadline,
            "the deposit was not credited"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let payout = json!({ "order_id": "po-1", "amount": "5", "currency": "USDT", "network": "tron",
        "address": "TQrZ9wBzNaBxDoQhVxuDn5k1WpSdTa7bEu", "is_subtract": false });
    let (status, made) = call(&a, Method::POST, "/v1/payouts", Some(payout.clone())).await;
    assert_eq!(status, 201, "{made}");
    let (link_id, button_id, wallet_id, payout_id) = (
        link["id"].as_str().unwrap(),
        button["id"].as_str().unwrap(),
        wallet["id"].as_str().unwrap(),
        made["id"].as_str().unwrap(),
    );
    // The deposit's and the payout's webhooks and callbacks done before taking the picture.
    a.settled().await;
    let before = snapshot(&db).await;

    // Shop B, through the API: each of A's things is not found, and B's lists do not show them.
    for (method, path, body) in [
        (Method::POST, format!("/v1/links/{link_id}/disable"), None),
        (
            Method::POST,
            format!("/v1/buttons/{button_id}/disable"),
            None,
        ),
        (Method::POST, format!("/v1/wallets/{wallet_id}/block"), None),
        (
            Method::POST,
            format!("/v1/wallets/{wallet_id}/refund"),
            Some(json!({ "address": "TQrZ9wBzNaBxDoQhVxuDn5k1WpSdTa7bEu" })),
        ),
        (Method::GET, format!("/v1/payouts/{payout_id}"), None),
    ] {
        let (status, answer) = call_as(&a, &b, method.clone(), &path, body).await;
        assert_eq!(status, 404, "{method} {path}: {answer}");
    }
    for (path, key) in [
        ("/v1/links", "links"),
        ("/v1/buttons", "buttons"),
        ("/v1/wallets?customer=alice", "wallets"),
        ("/v1/payouts", "payouts"),
    ] {
        let (status, list) = call_as(&a, &b, Method::GET, path, None).await;
        assert_eq!((status, &list[key]), (200, &json!([])), "{path}: {list}");
    }
    // A payout over A's money, under A's order id: B's ledger is empty.
    let (status, answer) = call_as(&a, &b, Method::POST, "/v1/payouts", Some(payout.clone())).await;
    assert_eq!(status, 409, "{answer}");
    // No token, or a made-up one: nothing.
    for token in ["", "shk_0000000000000000000000000000000000000000"] {
        let (status, _) = call_as(&a, token, Method::GET, "/v1/payouts", None).await;
        assert_eq!(status, 401);
    }

    // The operator's command line, naming shop B: A's link and button are not B's.
    for args in [
        ["links", "disable", "--id", link_id, "--shop", "b"],
        ["buttons", "disable", "--id", button_id, "--shop", "b"],
    ] {
        let out = shim(&args, &db);
        assert!(!out.status.success(), "{args:?}: {}", text(&out));
        assert!(text(&out).contains("no "), "{args:?}: {}", text(&out));
    }
    for args in [
        vec!["links", "list", "--shop", "b"],
        vec!["buttons", "list", "--shop", "b"],
        vec!["wallets", "list", "--shop", "b"],
        vec!["payouts", "list", "--shop", "b"],
    ] {
        let out = shim(&args, &db);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        for id in [link_id, button_id, wallet_id, payout_id] {
            assert!(
                !text(&out).contains(id),
                "{args:?} shows {id}: {}",
                text(&out)
            );
        }
    }
    assert_eq!(
        snapshot(&db).await,
        before,
        "a refused attempt changed something"
    );

    // What B makes is its own: the same order id is another invoice; A's stays A's.
    let (status, theirs) = call_as(
        &a,
        &b,
        Method::POST,
        "/v1/invoices",
        Some(crate::support::usdt_invoice("order-1", "15.00")),
    )
    .await;
    assert_eq!(status, 201, "{theirs}");
    assert_ne!(theirs["id"], invoice["id"]);
    let (_, mine) = a.invoice(invoice["id"].as_str().unwrap()).await;
    assert_eq!(mine["status"], "pending");
    // And B connecting its shop to a platform leaves A's connection as it was.
    let platform_before = store
        .shop_platform(&ShopId("shop_demo".into()))
        .await
        .unwrap();
    let (status, _) = call_as(
        &a,
        &b,
        Method::POST,
        "/v1/platforms/woocommerce/connect",
        Some(json!({ "site": "http://127.0.0.1:9", "secret": "b-secret-b-secret-b-secret" })),
    )
    .await;
    assert!(status >= 400, "nothing listens there: {status}");
    assert_eq!(
        store
            .shop_platform(&ShopId("shop_demo".into()))
            .await
            .unwrap(),
        platform_before
    );
    scratch.remove();
}
