//! The payer picks the coin: invoices without one get a payment in the coin picked, a change of
//! mind keeps the earlier payments valid, and money sent to one of them still counts.

use crate::support::{TestApp, status_and_json};
use serde_json::{Value, json};

async fn choose(app: &TestApp, id: &str, body: Value) -> (u16, Value) {
    status_and_json(app.post(&format!("/v1/invoices/{id}/coin"), &body).await).await
}

async fn no_coin_invoice(app: &TestApp, order: &str) -> Value {
    let (status, invoice) = app
        .create(&json!({ "order_id": order, "amount": "15.00", "currency": "USD" }))
        .await;
    assert_eq!(status, 201, "{invoice}");
    invoice
}

#[tokio::test]
async fn the_payer_picks_a_coin_and_may_change_it_until_paying() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let invoice = no_coin_invoice(&app, "coin-1").await;
    let id = invoice["id"].as_str().unwrap();
    assert_eq!(invoice["address"], Value::Null, "no coin, no address yet");
    assert_eq!(invoice["can_change_coin"], true);

    let list: Value = app
        .get(&format!("/v1/invoices/{id}/coins"))
        .await
        .json()
        .await
        .unwrap();
    let coins = list["coins"].as_array().unwrap();
    for (currency, network) in [("USDT", "tron"), ("BTC", "btc")] {
        assert!(
            coins
                .iter()
                .any(|c| c["currency"] == currency && c["network"] == network),
            "{list}"
        );
    }

    let (status, usdt) = choose(&app, id, json!({ "currency": "usdt", "network": "TRON" })).await;
    assert_eq!(status, 200, "{usdt}");
    assert_eq!(
        (usdt["payer_currency"].as_str(), usdt["network"].as_str()),
        (Some("USDT"), Some("tron"))
    );
    let usdt_address = usdt["address"].as_str().unwrap().to_owned();
    assert!(usdt["payment_uri"].as_str().is_some());
    assert!(usdt["version"].as_u64() > invoice["version"].as_u64());
    assert!(
        usdt["seconds_left"].as_u64() <= invoice["seconds_left"].as_u64(),
        "a new coin buys no time"
    );

    let (_, again) = choose(&app, id, json!({ "currency": "USDT", "network": "tron" })).await;
    assert_eq!(
        again["version"], usdt["version"],
        "the same pick changes nothing"
    );

    let (status, btc) = choose(&app, id, json!({ "currency": "BTC", "network": "btc" })).await;
    assert_eq!(status, 200, "{btc}");
    assert_ne!(btc["address"].as_str(), Some(usdt_address.as_str()));
    assert!(btc["payment_uri"].as_str().unwrap().starts_with("bitcoin:"));

    let (_, back) = choose(&app, id, json!({ "currency": "USDT", "network": "tron" })).await;
    assert_eq!(
        back["address"].as_str(),
        Some(usdt_address.as_str()),
        "an earlier pick comes back with its own payment"
    );

    // The payer pays with the coin picked: the invoice is paid and its coin is fixed.
    app.sandbox(
        "pay",
        json!({ "order_id": format!("{id}-2"), "amount": usdt["payer_amount"] }),
    )
    .await;
    let paid = app.wait_for_status(id, "paid").await;
    assert_eq!(paid["can_change_coin"], false);
    let (status, refused) = choose(&app, id, json!({ "currency": "BTC", "network": "btc" })).await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("can no longer change"),
        "{refused}"
    );
}

#[tokio::test]
async fn money_sent_to_an_earlier_coin_still_counts_and_its_expiry_does_not() {
    let app = TestApp::spawn("sqlite::memory:").await;

    // The payer switches to BTC, but sends USDT to the first address after all: that counts,
    // and the invoice follows the payment the money went to.
    let (_, first) = app
        .create(&crate::support::usdt_invoice("coin-2", "15.00"))
        .await;
    let id = first["id"].as_str().unwrap();
    let (status, btc) = choose(&app, id, json!({ "currency": "BTC", "network": "btc" })).await;
    assert_eq!(status, 200, "{btc}");
    app.sandbox("pay", json!({ "order_id": id, "amount": "15" }))
        .await;
    let paid = app.wait_for_status(id, "paid").await;
    assert_eq!(
        (paid["payer_currency"].as_str(), &paid["address"]),
        (Some("USDT"), &first["address"])
    );

    // The first payment of another invoice expires at the gateway after the payer moved to BTC:
    // the invoice stays open in BTC.
    let (_, first) = app
        .create(&crate::support::usdt_invoice("coin-3", "15.00"))
        .await;
    let id = first["id"].as_str().unwrap();
    choose(&app, id, json!({ "currency": "BTC", "network": "btc" })).await;
    app.sandbox("expire", json!({ "order_id": id })).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !app
        .webhook_log()
        .await
        .iter()
        .any(|w| w["order_id"] == id && w["delivered"] == true)
    {
        assert!(std::time::Instant::now() < deadline, "no expiry webhook");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (_, view) = app.invoice(id).await;
    assert_eq!(
        (view["status"].as_str(), view["payer_currency"].as_str()),
        (Some("pending"), Some("BTC"))
    );
}

#[tokio::test]
async fn money_on_an_earlier_coin_after_the_invoice_is_paid_goes_to_review() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let (_, first) = app
        .create(&crate::support::usdt_invoice("coin-4", "15.00"))
        .await;
    let id = first["id"].as_str().unwrap();
    let (_, btc) = choose(&app, id, json!({ "currency": "BTC", "network": "btc" })).await;
    app.sandbox(
        "pay",
        json!({ "order_id": format!("{id}-2"), "amount": btc["payer_amount"] }),
    )
    .await;
    app.wait_for_status(id, "paid").await;
    // Then USDT reaches the first address too: not silently refused, not a switch of coin.
    app.sandbox("pay", json!({ "order_id": id, "amount": "15" }))
        .await;
    let review = app.wait_for_status(id, "review").await;
    assert_eq!(
        (review["payer_currency"].as_str(), &review["address"]),
        (Some("BTC"), &btc["address"]),
        "{review}"
    );
    let (status, _) = choose(&app, id, json!({ "currency": "USDT", "network": "tron" })).await;
    assert_eq!(status, 409, "a coin cannot be picked any more");
}

#[tokio::test]
async fn bad_coin_picks_are_refused_and_change_nothing() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let invoice = no_coin_invoice(&app, "coin-4").await;
    let id = invoice["id"].as_str().unwrap();
    for (body, status, says) in [
        (
            json!({ "currency": "DOGE", "network": "tron" }),
            400,
            "not offered",
        ),
        (
            json!({ "currency": "<script>", "network": "tron" }),
            400,
            "currency must be",
        ),
        (
            json!({ "currency": "USDT", "network": "tron<b>" }),
            400,
            "network must be",
        ),
        (json!({ "currency": "USDT" }), 400, "network"),
        (
            json!({ "currency": "USDT", "network": "tron", "amount": "1" }),
            400,
            "unknown field",
        ),
        (json!("USDT on tron"), 400, "invalid JSON body"),
    ] {
        let (got, answer) = choose(&app, id, body.clone()).await;
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert_eq!(got, status, "{body}: {answer}");
        assert!(message.contains(says), "{body}: {message}");
        assert!(!message.contains('<'), "no markup echoed: {message}");
    }
    let (status, _) = choose(
        &app,
        "inv_00000000",
        json!({ "currency": "USDT", "network": "tron" }),
    )
    .await;
    assert_eq!(status, 404);
    let (_, after) = app.invoice(id).await;
    assert_eq!(after["version"], invoice["version"]);
    assert_eq!(after["address"], Value::Null);
}
