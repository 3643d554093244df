//! One conformance story, run against every backend.

use crate::support::database_urls;
use rust_decimal::Decimal;
use server_shim::domain::{NewInvoice, Shop, ShopId};
use server_shim::store::{GatewayDetails, InvoiceEvent, InvoiceUpdate, Store, StoreError};
use shim_api::{InvoiceId, InvoiceStatus};

fn new_invoice(id: &str, order: &str) -> NewInvoice {
    NewInvoice {
        id: InvoiceId::parse(id).unwrap(),
        shop_id: ShopId("shop_a".into()),
        order_id: order.into(),
        amount: Decimal::new(1500, 2),
        currency: "USD".into(),
        network: Some("tron".into()),
        to_currency: Some("USDT".into()),
        lifetime: Some(900),
        url_return: Some("https://shop.example/cart".into()),
        url_success: None,
        platform_order_ref: Some("wc-42".into()),
        shop_order: true,
    }
}

/// Applies `update` to invoice `id` at `version`, at time `now`, telling the shop or not: whether
/// it was applied.
async fn apply(
    store: &Store,
    id: &InvoiceId,
    version: i64,
    update: &InvoiceUpdate,
    now: i64,
    notify_shop: bool,
) -> bool {
    store
        .apply_update(
            id,
            version,
            update,
            now,
            server_shim::store::WithChange {
                notify_shop,
                ..Default::default()
            },
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn the_store_behaves_the_same_on_every_backend() {
    for url in database_urls().await {
        story(&url).await;
    }
}

async fn story(url: &str) {
    let store = Store::connect(url).await.unwrap();
    store.migrate().await.unwrap();
    store.migrate().await.unwrap(); // idempotent
    store.ping().await.unwrap();

    let shop = Shop {
        id: ShopId("shop_a".into()),
        name: "a".into(),
    };
    store.create_shop(&shop, "hash-a", 1).await.unwrap();
    let duplicate = Shop {
        id: ShopId("shop_b".into()),
        name: "a".into(),
    };
    assert!(matches!(
        store.create_shop(&duplicate, "hash-b", 1).await,
        Err(StoreError::DuplicateShop(_))
    ));
    assert_eq!(
        store.shop_by_token_hash("hash-a").await.unwrap(),
        Some(shop.clone())
    );
    assert_eq!(store.shop_by_token_hash("hash-x").await.unwrap(), None);
    let rotated = store
        .upsert_shop_token(
            &Shop {
                id: ShopId("ignored".into()),
                name: "a".into(),
            },
            "hash-c",
            2,
        )
        .await
        .unwrap();
    assert_eq!(
        rotated, shop,
        "an existing shop keeps its id when its token rotates"
    );
    assert_eq!(store.shop_by_token_hash("hash-a").await.unwrap(), None);
    assert_eq!(store.list_shops().await.unwrap(), vec![shop.clone()]);
    assert!(store.rotate_shop_token("a", "hash-d").await.unwrap());
    assert!(!store.rotate_shop_token("nobody", "hash-e").await.unwrap());
    assert_eq!(
        store.shop_by_token_hash("hash-c").await.unwrap(),
        None,
        "the old token stops working"
    );
    assert_eq!(
        store.shop_by_token_hash("hash-d").await.unwrap(),
        Some(shop.clone())
    );
    let spare = Shop {
        id: ShopId("shop_spare".into()),
        name: "spare".into(),
    };
    store.create_shop(&spare, "hash-spare", 3).await.unwrap();
    assert_eq!(store.remove_shop("spare").await.unwrap(), Some(0));
    assert_eq!(store.remove_shop("spare").await.unwrap(), None);

    let (record, created) = store
        .insert_invoice(&new_invoice("inv_1", "o-1"), 10)
        .await
        .unwrap();
    assert!(created);
    assert_eq!(
        (record.status, record.version, record.amount),
        (InvoiceStatus::Pending, 0, Decimal::new(1500, 2))
    );
    assert_eq!(record.platform_order_ref.as_deref(), Some("wc-42"));
    assert!(record.shop_order);
    let (again, created) = store
        .insert_invoice(&new_invoice("inv_2", "o-1"), 11)
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(again.id, record.id, "the first invoice for an order wins");

    let details = GatewayDetails {
        uuid: "u-1".into(),
        status: "check".into(),
        payer_amount: Some(Decimal::new(15_000_000, 6)),
        payer_currency: Some("USDT".into()),
        network: None,
        address: Some("TAddr".into()),
        expires_at: 910,
    };
    store
        .attach_gateway(&record.id, &details, 12)
        .await
        .unwrap();
    let attached = store.invoice(&record.id).await.unwrap().unwrap();
    assert_eq!(
        (
            attached.version,
            attached.gateway_uuid.as_deref(),
            attached.network.as_deref()
        ),
        (1, Some("u-1"), Some("tron"))
    );
    assert_eq!(attached.payer_amount, Some(Decimal::new(15_000_000, 6)));

    store.delete_unattached(&record.id).await.unwrap();
    assert!(
        store.invoice(&record.id).await.unwrap().is_some(),
        "an attached invoice is never deleted"
    );

    let update = InvoiceUpdate {
        status: InvoiceStatus::Paid,
        gateway_status: "paid".into(),
        paid_amount: Decimal::new(15, 0),
        payer_amount: None,
        address: None,
        review_reason: None,
        txid: None,
    };
    assert!(
        !apply(&store, &record.id, 0, &update, 13, false).await,
        "a stale version is refused"
    );
    assert!(apply(&store, &record.id, 1, &update, 13, false).await);
    let paid = store.invoice(&record.id).await.unwrap().unwrap();
    assert_eq!(
        (paid.status, paid.version, paid.paid_amount),
        (InvoiceStatus::Paid, 2, Decimal::new(15, 0))
    );
    assert_eq!(
        paid.address.as_deref(),
        Some("TAddr"),
        "absent details keep what was there"
    );

    let review = InvoiceUpdate {
        status: InvoiceStatus::Review,
        review_reason: Some("paid_after_expiry".into()),
        txid: None,
        ..update.clone()
    };
    assert!(apply(&store, &record.id, 2, &review, 14, true).await);
    let reviewed = store.invoice(&record.id).await.unwrap().unwrap();
    assert_eq!(
        (reviewed.status, reviewed.review_reason.as_deref()),
        (InvoiceStatus::Review, Some("paid_after_expiry"))
    );

    // No callback URL: nothing queued. With one, each change queues a callback in its transaction.
    assert!(store.jobs(None, 10).await.unwrap().is_empty());
    assert!(
        store
            .set_shop_callback("a", Some(("https://shop.example/cb", "whsec_a")))
            .await
            .unwrap()
    );
    assert_eq!(
        store.shop_callback(&shop.id).await.unwrap(),
        Some(("https://shop.example/cb".into(), "whsec_a".into()))
    );
    let back = InvoiceUpdate {
        status: InvoiceStatus::Refunding,
        review_reason: None,
        txid: None,
        ..update.clone()
    };
    assert!(apply(&store, &record.id, 3, &back, 15, true).await);
    let claimed = store.claim_jobs(20, 80, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!((claimed[0].version, claimed[0].attempts), (4, 0));
    assert!(
        store.claim_jobs(21, 81, 10).await.unwrap().is_empty(),
        "a claimed callback is hidden"
    );
    store
        .finish_job(
            claimed[0].id,
            false,
            Some("the shop answered 503"),
            Some(30),
            21,
        )
        .await
        .unwrap();
    let retried = store.claim_jobs(30, 90, 10).await.unwrap();
    assert_eq!((retried.len(), retried[0].attempts), (1, 1));
    store
        .finish_job(retried[0].id, true, None, None, 31)
        .await
        .unwrap();
    let delivered = store.jobs(Some("delivered"), 10).await.unwrap();
    assert_eq!((delivered.len(), delivered[0].attempts), (1, 2));
    assert!(store.replay_job(delivered[0].id, 40).await.unwrap());
    assert_eq!(store.claim_jobs(40, 100, 10).await.unwrap().len(), 1);
    assert!(!store.replay_job(999_999, 40).await.unwrap());
    assert!(store.set_shop_callback("a", None).await.unwrap());
    assert_eq!(store.shop_callback(&shop.id).await.unwrap(), None);

    for (i, outcome) in ["created", "applied: paid"].iter().enumerate() {
        let event = InvoiceEvent {
            source: "test".into(),
            gateway_status: None,
            outcome: (*outcome).into(),
            version: i as i64 + 1,
        };
        store.record_event(&record.id, &event, 20).await.unwrap();
    }
    let outcomes: Vec<_> = store
        .events(&record.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.outcome)
        .collect();
    assert_eq!(outcomes, ["created", "applied: paid"]);

    assert_eq!(
        store.remove_shop("a").await.unwrap(),
        Some(1),
        "a shop with invoices is kept"
    );
    let (orphan, _) = store
        .insert_invoice(&new_invoice("inv_3", "o-2"), 30)
        .await
        .unwrap();
    store.delete_unattached(&orphan.id).await.unwrap();
    assert!(store.invoice(&orphan.id).await.unwrap().is_none());
    assert!(matches!(
        Store::connect("mysql://x").await,
        Err(StoreError::UnsupportedUrl)
    ));
}

#[tokio::test]
async fn an_in_memory_database_outlives_the_connections_of_its_pool() {
    let store = Store::connect("sqlite::memory:").await.unwrap();
    store.migrate().await.unwrap();
    let shop = Shop {
        id: ShopId("shop_kept".into()),
        name: "kept".into(),
    };
    store.upsert_shop_token(&shop, "hash", 1).await.unwrap();
    // What sqlx does to a connection whose query was dropped half-way (a payer who left): it
    // closes it, and the pool opens another.
    let Store::Sqlite(pool, _) = &store else {
        unreachable!()
    };
    pool.acquire().await.unwrap().close().await.unwrap();
    let names: Vec<String> = store
        .list_shops()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["kept"], "the data is still there");
}

#[tokio::test]
async fn one_transaction_reported_under_two_uuids_is_one_deposit() {
    use server_shim::store::{DepositChange, DepositRecord, WalletRecord};
    for url in database_urls().await {
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let shop = Shop {
            id: ShopId("shop_w".into()),
            name: "w".into(),
        };
        store.create_shop(&shop, "hash-w", 1).await.unwrap();
        let wallet = WalletRecord {
            id: "wal_1".into(),
            shop_id: shop.id.clone(),
            customer: "c".into(),
            currency: "USDT".into(),
            network: "tron".into(),
            gateway_uuid: None,
            address: None,
            blocked: false,
            created_at: 1,
        };
        assert!(store.insert_wallet(&wallet).await.unwrap());
        let deposit = |uuid: &str, status: &str, is_final: bool| DepositRecord {
            gateway_uuid: uuid.into(),
            wallet_id: "wal_1".into(),
            txid: Some("tx-e".into()),
            amount: Decimal::from(10),
            merchant_amount: Decimal::new(98, 1),
            currency: "USDT".into(),
            status: status.into(),
            review_reason: None,
            credited: status == "paid",
            is_final,
            created_at: 1,
            updated_at: 1,
        };
        let first = deposit("u-1", "confirm_check", false);
        assert_eq!(
            store
                .record_deposit(&first, &shop.id, None, 1)
                .await
                .unwrap(),
            DepositChange::New
        );
        // The same transaction, final, under a second uuid: it completes the first entry.
        let second = deposit("u-2", "paid", true);
        assert_eq!(
            store
                .record_deposit(&second, &shop.id, None, 2)
                .await
                .unwrap(),
            DepositChange::Advanced
        );
        let entries = store.deposits("wal_1").await.unwrap();
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert_eq!(
            (entries[0].gateway_uuid.as_str(), entries[0].credited),
            ("u-1", true)
        );
        // Final: an older word changes nothing.
        assert_eq!(
            store
                .record_deposit(&first, &shop.id, None, 3)
                .await
                .unwrap(),
            DepositChange::Unchanged
        );
    }
}
