//! The PrestaShop adapter through the module's real route: PHP's built-in server runs
//! `plugins/prestashop/tests/server/router.php`, which loads the module over stubs of PrestaShop
//! that keep its rules (order histories, the payment a paid state records, mails that fail after
//! the state is saved, notes only seen in customer threads). Plus forged calls.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use platform_emulators::prestashop::{MODULE_STATES, PrestaModuleShop};
use serde_json::json;
use shim_api::InvoiceStatus;
use shop_adapters::egress::Egress;
use shop_adapters::platform::{AdapterError, PaymentFacts, Platform as _, Synced, sync};
use shop_adapters::plugin_route::PluginRoute;
use shop_adapters::signed::signature;
use shop_adapters::{OrderAction, OrderState};

const SECRET: &str = "correct-horse-battery-staple";

fn facts(status: InvoiceStatus) -> PaymentFacts {
    PaymentFacts {
        invoice_id: "inv_0123456789abcdef0123456789abcdef".into(),
        status,
        txid: Some("54b2ed61-0cb1-4052-8612-aec7e7e384fc".into()),
        paid: "15 USDT".into(),
    }
}

#[tokio::test]
async fn prestashop_orders_follow_their_invoices_through_the_module() {
    let (awaiting, confirming, underpaid) = MODULE_STATES;
    let shop = PrestaModuleShop::start(SECRET);
    shop.add_order(42, awaiting, "15.000000", 1);
    shop.add_order(43, awaiting, "1500.000000", 2);
    let presta = PluginRoute::prestashop(
        shop.site(),
        SECRET.to_owned().into(),
        &Egress::with_loopback(),
    )
    .unwrap();

    let ping = presta.ping().await.unwrap();
    assert_eq!(ping.platform, "PrestaShop 8.1.2");
    let order = presta.order("42").await.unwrap();
    assert_eq!(
        (order.state, order.total.as_str(), order.currency.as_str()),
        (OrderState::AwaitingPayment, "15.00", "USD")
    );
    let yen = presta.order("43").await.unwrap();
    assert_eq!((yen.total.as_str(), yen.currency.as_str()), ("1500", "JPY"));

    // Confirming, then paid: one history row each, the payment's transaction id recorded, the
    // customer mailed once ("Payment accepted"), and the notes where the order page shows them.
    sync(&presta, "42", &facts(InvoiceStatus::Confirming))
        .await
        .unwrap();
    let paid = sync(&presta, "42", &facts(InvoiceStatus::Paid))
        .await
        .unwrap();
    assert!(matches!(
        paid,
        Synced::Applied(OrderAction::MarkPaid { .. })
    ));
    let order = shop.order(42);
    assert_eq!(order["history"], json!([awaiting, confirming, 2]));
    assert_eq!(order["mails"], json!([2]));
    assert_eq!(
        order["payments"],
        json!([{ "amount": "15.000000", "transaction_id": "54b2ed61-0cb1-4052-8612-aec7e7e384fc" }])
    );
    assert_eq!(shop.notes(42).len(), 2, "{:?}", shop.notes(42));
    assert!(shop.notes(42)[1].starts_with("Paid in crypto: 15 USDT"));
    // Again: nothing more, even when the shim repeats the very same update.
    assert_eq!(
        sync(&presta, "42", &facts(InvoiceStatus::Paid))
            .await
            .unwrap(),
        Synced::AlreadyInLine(OrderState::Paid)
    );
    for _ in 0..2 {
        presta
            .apply(
                &presta.order("42").await.unwrap(),
                &OrderAction::NoteOnly {
                    note: "once".into(),
                },
                &facts(InvoiceStatus::Expired),
            )
            .await
            .unwrap();
    }
    assert_eq!(shop.notes(42).len(), 3);

    // Partly paid, then closed short: the module's underpaid state, not one that ships.
    sync(&presta, "43", &facts(InvoiceStatus::PartiallyPaid))
        .await
        .unwrap();
    sync(&presta, "43", &facts(InvoiceStatus::Underpaid))
        .await
        .unwrap();
    assert_eq!(shop.order(43)["current_state"], json!(underpaid));
    assert_eq!(presta.order("43").await.unwrap().state, OrderState::OnHold);

    // Forged or stale calls change nothing.
    let body = json!({ "action": "update", "order_id": 43, "invoice_id": "inv_x",
        "invoice_status": "paid", "step": "paid", "notes": [], "key": "x" })
    .to_string();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    for (timestamp, signed) in [(now, "something else"), (now - 3600, body.as_str())] {
        let nonce = format!("abcdefabcdef{:04}", timestamp % 10_000);
        let answer = reqwest::Client::new()
            .post(format!(
                "{}/index.php?fc=module&module=cryptocheckout&controller=shim",
                shop.site()
            ))
            .header("x-shim-timestamp", timestamp.to_string())
            .header("x-shim-nonce", &nonce)
            .header(
                "x-shim-signature",
                signature(SECRET, timestamp, &nonce, signed.as_bytes()),
            )
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 401);
    }
    assert_eq!(shop.order(43)["current_state"], json!(underpaid));
    assert!(shop.log().iter().any(|l| l.contains("bad signature")));
    let wrong = PluginRoute::prestashop(
        shop.site(),
        "another-secret-entirely".to_owned().into(),
        &Egress::with_loopback(),
    )
    .unwrap();
    assert!(matches!(
        wrong.ping().await.unwrap_err(),
        AdapterError::Refused(m) if m.contains("bad signature")
    ));
}
