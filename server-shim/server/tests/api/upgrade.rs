//! A database the first version of the shim made and filled upgrades to this version's schema with
//! its data whole, on every backend: the shop still signs in with its token, its invoices read,
//! list, search and keep their history, and the new tables are there, empty.

use crate::support::{ScratchDb, postgres_url, skipped};
use server_shim::domain::{ShopId, ShopToken};
use server_shim::store::{InvoiceFilter, Store};
use shim_api::{InvoiceId, InvoiceStatus};

/// The token whose hash the fixture's shop has.
const OLD_TOKEN: &str = "shk_upgrade_fixture_token";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_the_first_version_upgrades_with_its_data_whole() {
    let scratch = ScratchDb::new("upgrade");
    upgrade_story(&scratch.url).await;
    match postgres_url().await {
        Some(url) => upgrade_story(&url).await,
        None => skipped("the PostgreSQL half: SHIM_TEST_POSTGRES_URL is not set"),
    }
    scratch.remove();
}

async fn upgrade_story(db: &str) {
    let store = Store::connect(db).await.unwrap();
    store.migrate_up_to(1).await.unwrap();
    let fixture = include_str!("../fixtures/upgrade/v1.sql");
    match &store {
        Store::Sqlite(pool, _) => {
            sqlx::raw_sql(sqlx::AssertSqlSafe(fixture))
                .execute(pool)
                .await
                .unwrap();
        }
        Store::Postgres(pool) => {
            sqlx::raw_sql(sqlx::AssertSqlSafe(fixture))
                .execute(pool)
                .await
                .unwrap();
        }
    }
    let before = store.migration_status().await.unwrap();
    assert_eq!(before.applied, [1]);
    assert!(before.pending.len() > 20);

    store.migrate().await.unwrap();
    assert!(store.migration_status().await.unwrap().pending.is_empty());

    // The shop signs in with the token it had.
    let shop = store
        .shop_by_token_hash(&ShopToken::from_presented(OLD_TOKEN).hash())
        .await
        .unwrap()
        .expect("the shop");
    assert_eq!(
        (shop.id.0.as_str(), shop.name.as_str()),
        ("shop_v1", "old-shop")
    );

    // Its invoices read as they were, the columns added since at their defaults.
    let paid = store
        .invoice(&InvoiceId::parse("inv_00000000000000000000000000000001").unwrap())
        .await
        .unwrap()
        .expect("the paid invoice");
    assert_eq!(paid.status, InvoiceStatus::Paid);
    assert_eq!(paid.paid_amount.to_string(), "15.000000");
    assert_eq!(paid.platform_order_ref.as_deref(), Some("wc-1"));
    assert_eq!(paid.version, 3);
    assert!(
        paid.shop_order,
        "an invoice of the first version pays an order of the shop"
    );
    assert_eq!(
        (paid.review_reason.as_deref(), paid.txid.as_deref()),
        (None, None)
    );
    let pending = store
        .invoice(&InvoiceId::parse("inv_00000000000000000000000000000002").unwrap())
        .await
        .unwrap()
        .expect("the pending invoice");
    assert_eq!(pending.order_id, "order-2 «Иванов»");
    assert_eq!(pending.status, InvoiceStatus::Pending);

    // They list, search and keep their history.
    let all = store
        .list_invoices(
            &ShopId("shop_v1".into()),
            &InvoiceFilter::default(),
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(
        all[0].id.as_str(),
        "inv_00000000000000000000000000000002",
        "newest first"
    );
    let found = store
        .list_invoices(
            &ShopId("shop_v1".into()),
            &InvoiceFilter {
                search: Some("TOldAddress1111111111111111111111".into()),
                ..InvoiceFilter::default()
            },
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let history = store.history(&paid.id).await.unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[2].0.outcome, "applied: paid (webhook said paid)");

    // What came later is there, and empty.
    assert!(store.refunds(&paid.id).await.unwrap().is_empty());
    assert!(store.delivery_attempts(&paid.id).await.unwrap().is_empty());
    assert!(store.console_users().await.unwrap().is_empty());
    assert_eq!(store.invoice_count().await.unwrap(), 2);
}
