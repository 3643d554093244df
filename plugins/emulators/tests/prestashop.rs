//! The PrestaShop adapter against the PrestaShop emulator: the order moves only when its state
//! differs (each order history adds a row and may mail the customer), and the Webservice's rules
//! hold.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use platform_emulators::prestashop::PrestaEmulator;
use platform_emulators::serve;
use shim_api::InvoiceStatus;
use shop_adapters::egress::Egress;
use shop_adapters::platform::{AdapterError, PaymentFacts, Platform as _, Synced, sync};
use shop_adapters::prestashop::PrestaShop;
use shop_adapters::prestashop::transformers::StateMap;
use shop_adapters::{OrderAction, OrderState};

const KEY: &str = "BVWPFFYBT97WKM959D7AVVD0M4815Y1L";
/// The module's own states in this shop.
const AWAITING: u32 = 14;
const CONFIRMING: u32 = 15;

fn adapter(url: &str, key: &str) -> PrestaShop {
    let states = StateMap {
        awaiting: AWAITING,
        confirming: CONFIRMING,
        ..StateMap::default()
    };
    PrestaShop::new(url, key.to_owned().into(), states, &Egress::with_loopback()).unwrap()
}

fn facts(status: InvoiceStatus) -> PaymentFacts {
    PaymentFacts {
        invoice_id: "inv_77".into(),
        status,
        txid: Some("8202ce4f".into()),
        paid: "0.00025 BTC".into(),
    }
}

#[tokio::test]
async fn an_order_moves_once_per_real_change() {
    let shop = PrestaEmulator::new(KEY);
    shop.add_order(5, AWAITING, "15.000000", 1);
    let presta = adapter(&serve(shop.router()).await, KEY);

    let order = presta.order("5").await.unwrap();
    assert_eq!(
        (order.state, order.total.as_str(), order.currency.as_str()),
        (OrderState::AwaitingPayment, "15.000000", "EUR")
    );
    sync(&presta, "5", &facts(InvoiceStatus::Confirming))
        .await
        .unwrap();
    assert_eq!(shop.order(5).unwrap().current_state, CONFIRMING);
    for _ in 0..10 {
        sync(&presta, "5", &facts(InvoiceStatus::Confirming))
            .await
            .unwrap();
    }
    assert!(matches!(
        sync(&presta, "5", &facts(InvoiceStatus::Paid))
            .await
            .unwrap(),
        Synced::Applied(OrderAction::MarkPaid { .. })
    ));
    for _ in 0..10 {
        assert_eq!(
            sync(&presta, "5", &facts(InvoiceStatus::Paid))
                .await
                .unwrap(),
            Synced::AlreadyInLine(OrderState::Paid)
        );
    }
    let order = shop.order(5).unwrap();
    assert_eq!(
        order.history,
        [AWAITING, CONFIRMING, 2],
        "one history row per real change"
    );
    assert_eq!(order.mails, 1, "the customer hears of the payment once");
    assert!(order.messages.iter().any(|m| m.contains("0.00025 BTC")));

    // Shipped by the merchant, then a late expiry: a message, not a state.
    shop.set_state(5, 4);
    sync(&presta, "5", &facts(InvoiceStatus::Expired))
        .await
        .unwrap();
    assert_eq!(shop.order(5).unwrap().current_state, 4);
}

#[tokio::test]
async fn expiry_cancels_and_errors_are_typed() {
    let shop = PrestaEmulator::new(KEY);
    shop.add_order(6, AWAITING, "9.990000", 2);
    let url = serve(shop.router()).await;
    let presta = adapter(&url, KEY);
    sync(&presta, "6", &facts(InvoiceStatus::Expired))
        .await
        .unwrap();
    assert_eq!(shop.order(6).unwrap().current_state, 6);

    shop.go_down_for(1);
    let down = sync(&presta, "6", &facts(InvoiceStatus::Expired))
        .await
        .unwrap_err();
    assert!(down.retry_helps(), "{down}");
    let wrong = adapter(&url, "WRONGKEY").order("6").await.unwrap_err();
    assert!(
        matches!(wrong, AdapterError::Refused(ref m) if m.contains("401")),
        "{wrong}"
    );
    let missing = presta.order("404").await.unwrap_err();
    assert!(
        matches!(missing, AdapterError::Refused(ref m) if m.contains("not exists")),
        "{missing}"
    );
}
