//! The Shopify adapter against the Admin GraphQL emulator: what it reads, what it writes (once),
//! and how it reads Shopify's refusals: a throttle or a 5xx is "try again", a wrong token or an
//! unknown order is not.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use platform_emulators::serve;
use platform_emulators::shopify::ShopifyEmulator;
use shim_api::InvoiceStatus;
use shop_adapters::egress::Egress;
use shop_adapters::platform::{AdapterError, PaymentFacts, Platform as _, Synced, sync};
use shop_adapters::shopify::{Access, Shopify};
use shop_adapters::{OrderAction, OrderState};

const TOKEN: &str = "shpat_adapter0123456789abcdef";

/// The adapter for the shop at `url`, on the API version the tests use.
fn adapter(url: &str, access: Access) -> Shopify {
    Shopify::new(url, "2025-10", access, &Egress::with_loopback()).unwrap()
}

fn facts(status: InvoiceStatus) -> PaymentFacts {
    PaymentFacts {
        invoice_id: "inv_0123456789abcdef0123456789abcdef".into(),
        status,
        txid: Some("9f1c".into()),
        paid: "15 USDT".into(),
    }
}

#[tokio::test]
async fn shopify_orders_follow_their_invoices_once() {
    let shop = ShopifyEmulator::new("adapter.myshopify.com", TOKEN);
    shop.add_order(1, "15.00", "EUR");
    let url = serve(shop.router()).await;
    let shopify = adapter(&url, Access::Token(TOKEN.to_owned().into()));

    let order = shopify.order("1").await.unwrap();
    assert_eq!(
        (order.state, order.total.as_str(), order.currency.as_str()),
        (OrderState::AwaitingPayment, "15.00", "EUR")
    );

    // Confirming: held with a tag and a note line; again: nothing more.
    let confirming = facts(InvoiceStatus::Confirming);
    assert!(matches!(
        sync(&shopify, "1", &confirming).await.unwrap(),
        Synced::Applied(OrderAction::Hold { .. })
    ));
    assert_eq!(
        sync(&shopify, "1", &confirming).await.unwrap(),
        Synced::AlreadyInLine(OrderState::OnHold)
    );
    let held = shop.order(1).unwrap();
    assert_eq!(held.tags, ["crypto-held"]);

    // Paid: a note line with the payment, then marked paid; a repeat writes nothing.
    let paid = facts(InvoiceStatus::Paid);
    assert!(matches!(
        sync(&shopify, "1", &paid).await.unwrap(),
        Synced::Applied(OrderAction::MarkPaid { .. })
    ));
    assert_eq!(
        sync(&shopify, "1", &paid).await.unwrap(),
        Synced::AlreadyInLine(OrderState::Paid)
    );
    let order = shop.order(1).unwrap();
    assert_eq!(order.financial_status, "PAID");
    let note = order.note.unwrap();
    assert_eq!(note.lines().count(), 2, "{note}");
    assert!(
        note.contains("Paid in crypto: 15 USDT; gateway payment 9f1c."),
        "{note}"
    );
    let writes = shop.writes();
    assert_eq!(
        writes.iter().map(|(_, w)| w.as_str()).collect::<Vec<_>>(),
        ["orderUpdate(tags)", "orderUpdate(note)", "orderMarkAsPaid"]
    );

    // A late expiry on a paid order: a note, and no cancellation.
    let expired = facts(InvoiceStatus::Expired);
    sync(&shopify, "1", &expired).await.unwrap();
    assert!(shop.order(1).unwrap().cancelled_at.is_none());

    // Marked paid by the merchant between our read and our write: "cannot be marked as paid"
    // is a repeat, not a failure.
    shop.add_order(2, "15.00", "EUR");
    let order = shopify.order("2").await.unwrap();
    shop.mark_paid_by_hand(2);
    shopify
        .apply(&order, &OrderAction::MarkPaid { note: None }, &paid)
        .await
        .unwrap();

    // Expired unpaid: cancelled once, with a staff note.
    shop.add_order(3, "15.00", "EUR");
    sync(&shopify, "3", &expired).await.unwrap();
    assert_eq!(
        sync(&shopify, "3", &expired).await.unwrap(),
        Synced::AlreadyInLine(OrderState::Cancelled)
    );
    let cancelled = shop.order(3).unwrap();
    assert!(cancelled.cancelled_at.is_some());
    assert_eq!(cancelled.staff_notes.len(), 1);
}

#[tokio::test]
async fn shopifys_refusals_say_whether_to_try_again() {
    let shop = ShopifyEmulator::new("refusals.myshopify.com", TOKEN);
    shop.add_order(1, "15.00", "USD");
    let url = serve(shop.router()).await;
    let shopify = adapter(&url, Access::Token(TOKEN.to_owned().into()));

    // Throttled by the leaky bucket: try again later; it refills.
    shop.set_bucket(0.5, 0.0);
    let error = shopify.order("1").await.unwrap_err();
    assert!(
        matches!(&error, AdapterError::Unavailable(m) if m.contains("throttled")),
        "{error}"
    );
    assert!(error.retry_helps());
    shop.set_bucket(2000.0, 100.0);

    shop.go_down_for(1);
    assert!(shopify.order("1").await.unwrap_err().retry_helps());
    assert!(shopify.order("1").await.is_ok());

    let wrong = adapter(&url, Access::Token("shpat_wrong".to_owned().into()));
    let error = wrong.order("1").await.unwrap_err();
    assert!(
        matches!(&error, AdapterError::Refused(m) if m.contains("access token")),
        "{error}"
    );
    for missing in ["404", "gid://shopify/Customer/1", "1 OR 2", ""] {
        let error = shopify.order(missing).await.unwrap_err();
        assert!(
            matches!(error, AdapterError::Refused(_)),
            "{missing}: {error}"
        );
    }
    // Nothing listens there: unavailable, not refused.
    let nowhere = adapter("http://127.0.0.1:9", Access::Token(TOKEN.to_owned().into()));
    assert!(nowhere.order("1").await.unwrap_err().retry_helps());
    assert!(shop.writes().is_empty());
}

#[tokio::test]
async fn an_app_of_the_shops_organization_gets_its_own_tokens() {
    let shop = ShopifyEmulator::new("grant.myshopify.com", "shpat_unused0123456789")
        .with_app("client-id-1", "client-secret-1");
    shop.add_order(1, "15.00", "USD");
    let url = serve(shop.router()).await;
    let access = |secret: &str| Access::ClientCredentials {
        client_id: "client-id-1".into(),
        client_secret: secret.to_owned().into(),
    };
    let shopify = adapter(&url, access("client-secret-1"));

    // One token for many calls, from every adapter of the process.
    shopify.order("1").await.unwrap();
    shopify.order("1").await.unwrap();
    let other = adapter(&url, access("client-secret-1"));
    other.order("1").await.unwrap();
    assert_eq!(shop.grants(), 1);

    // Revoked (or run out early): a new one, and the call goes through.
    shop.revoke_tokens();
    shopify.order("1").await.unwrap();
    assert_eq!(shop.grants(), 2);

    // A wrong secret: refused, saying what to check (not masked by the right one's token).
    let error = adapter(&url, access("not-the-secret"))
        .order("1")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, AdapterError::Refused(m) if m.contains("client id and secret")),
        "{error}"
    );
    assert_eq!(shop.grants(), 2);
}
