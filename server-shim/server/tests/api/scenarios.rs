//! The scenario matrix, for each platform, end to end: sandbox (the payer and the gateway), shim,
//! adapter and the platform's emulator (or, for OpenCart and the WooCommerce plugin, the plugin's
//! real route over stubs as strict as the platform). Each scenario ends with the order in the
//! exact status the merchant must see, with the notes they must read, and with exactly one write
//! per real change.

use crate::support::{ScratchDb, TestApp};
use platform_emulators::opencart::{OpenCartShop, UNDERPAID};
use platform_emulators::prestashop::{MODULE_STATES, PrestaEmulator, PrestaModuleShop};
use platform_emulators::shopify::ShopifyEmulator;
use platform_emulators::woocommerce::{WooEmulator, WooShop};
use serde_json::{Value, json};
use server_shim::store::Store;
use shim_gateway::sign_webhook;
use std::time::{Duration, Instant};

/// A shop on one platform, as the scenarios see it.
enum Shop {
    /// The REST API (shops connected with a key pair).
    Woo(WooEmulator),
    /// The plugin's real route under `php -S`.
    WooPlugin(WooShop),
    /// The Webservice (shops connected with a key).
    Presta(PrestaEmulator),
    /// The module's real route under `php -S`.
    PrestaModule(PrestaModuleShop),
    /// The real extension under `php -S`, with OpenCart's default status ids.
    OpenCart(OpenCartShop),
    /// The Admin GraphQL API, the manual payment route.
    Shopify(ShopifyEmulator),
}

/// The module's own PrestaShop states in these shops.
const AWAITING: u32 = 14;
const CONFIRMING: u32 = 15;

/// The OpenCart extension's shared secret in these shops.
const OPENCART_SECRET: &str = "scenario-shared-secret";

/// The PrestaShop module's shared secret in these shops.
const PRESTA_SECRET: &str = "scenario-presta-module-secret";

/// The WooCommerce plugin's shared secret in these shops.
const WOO_SECRET: &str = "scenario-woo-plugin-secret";

/// The Shopify app's Admin API access token in these shops.
const SHOPIFY_TOKEN: &str = "shpat_0123456789abcdef0123456789abcdef";

impl Shop {
    fn add_order(&self, id: u64, total: &str) {
        match self {
            Shop::Woo(woo) => woo.add_order(id, "pending", total, "USD"),
            Shop::WooPlugin(woo) => woo.add_order(id, "pending", total, "USD"),
            Shop::Presta(presta) => presta.add_order(id, AWAITING, total, 2),
            Shop::PrestaModule(presta) => presta.add_order(id, MODULE_STATES.0, total, 1),
            Shop::OpenCart(shop) => shop.add_order(id, 1, total, "USD", "1.00000000"),
            Shop::Shopify(shopify) => shopify.add_order(id, total, "USD"),
        }
    }

    /// The order's status in platform-neutral words, one platform status each: `paid` is the
    /// status a payment leaves (WooCommerce's processing, OpenCart's Processed, PrestaShop's
    /// Payment accepted), `completed` one the merchant set by hand.
    fn status(&self, id: u64) -> &'static str {
        let woo = |status: &str| match status {
            "pending" => "awaiting",
            "on-hold" => "held",
            "processing" => "paid",
            "completed" => "completed",
            "cancelled" => "cancelled",
            "failed" => "failed",
            "refunded" => "refunded",
            _ => "other",
        };
        match self {
            Shop::Woo(shop) => woo(&shop.order(id).unwrap().status),
            Shop::WooPlugin(shop) => woo(shop.order(id)["status"].as_str().unwrap()),
            Shop::Presta(presta) => match presta.order(id).unwrap().current_state {
                AWAITING => "awaiting",
                CONFIRMING => "held",
                2 => "paid",
                5 => "completed",
                6 => "cancelled",
                8 => "failed",
                7 => "refunded",
                _ => "other",
            },
            Shop::PrestaModule(presta) => {
                let state = presta.order(id)["current_state"].as_u64().unwrap() as u32;
                let (awaiting, confirming, underpaid) = MODULE_STATES;
                match state {
                    _ if state == awaiting => "awaiting",
                    _ if state == confirming => "held",
                    _ if state == underpaid => "underpaid",
                    2 => "paid",
                    5 => "completed",
                    6 => "cancelled",
                    8 => "failed",
                    7 => "refunded",
                    _ => "other",
                }
            }
            Shop::OpenCart(shop) => match shop.order(id)["order_status_id"].as_u64() {
                Some(1) => "awaiting",
                Some(2) => "held",
                Some(15) => "paid",
                Some(5) => "completed",
                // Expired (7, Canceled, is the merchant's).
                Some(14) => "cancelled",
                Some(10) => "failed",
                Some(11) => "refunded",
                Some(id) if id == u64::from(UNDERPAID) => "underpaid",
                _ => "other",
            },
            Shop::Shopify(shopify) => {
                let order = shopify.order(id).unwrap();
                let tagged = |tag: &str| order.tags.iter().any(|t| t == tag);
                match order.financial_status.as_str() {
                    _ if order.cancelled_at.is_some() => "cancelled",
                    // Shopify's own refund needs a refund transaction: the adapter tags the
                    // order and tells the merchant.
                    "PAID" if tagged("crypto-refunded") => "refunded",
                    "PAID" => "paid",
                    "REFUNDED" => "refunded",
                    _ if tagged("crypto-failed") => "failed",
                    _ if tagged("crypto-held") => "held",
                    "PENDING" => "awaiting",
                    _ => "other",
                }
            }
        }
    }

    /// Status changes written to the order so far.
    fn changes(&self, id: u64) -> usize {
        match self {
            // An on-hold order is paid through REST by moving it back to pending in the same
            // request (WooCommerce only completes payments of pending orders there): one write.
            Shop::Woo(woo) => woo
                .writes()
                .iter()
                .filter(|(order, what)| {
                    *order == id && !what.starts_with("note") && !what.ends_with("-> pending")
                })
                .count(),
            Shop::WooPlugin(woo) => woo
                .writes()
                .iter()
                .filter(|(order, _)| *order == id)
                .count(),
            Shop::Presta(presta) => presta.order(id).unwrap().history.len() - 1,
            Shop::PrestaModule(presta) => presta.order(id)["history"].as_array().unwrap().len() - 1,
            // History entries that moved the status (a note is an entry under the same status).
            Shop::OpenCart(shop) => {
                let order = shop.order(id);
                let mut status = 1;
                let mut changes = 0;
                for entry in order["history"].as_array().unwrap() {
                    let next = entry["order_status_id"].as_u64().unwrap();
                    changes += usize::from(next != status);
                    status = next;
                }
                changes
            }
            Shop::Shopify(shopify) => shopify
                .writes()
                .iter()
                .filter(|(order, what)| *order == id && what != "orderUpdate(note)")
                .count(),
        }
    }

    /// Notes for the merchant on the order.
    fn notes(&self, id: u64) -> Vec<String> {
        match self {
            Shop::Woo(woo) => woo.order(id).unwrap().notes,
            Shop::WooPlugin(woo) => woo.order(id)["notes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|note| note.as_str().unwrap().to_owned())
                .collect(),
            // The Webservice's messages land where PrestaShop 8's order page does not look.
            Shop::Presta(presta) => presta.order(id).unwrap().messages,
            Shop::PrestaModule(presta) => presta.notes(id),
            Shop::OpenCart(shop) => shop.order(id)["history"]
                .as_array()
                .unwrap()
                .iter()
                .map(|entry| entry["comment"].as_str().unwrap().to_owned())
                .collect(),
            Shop::Shopify(shopify) => {
                let order = shopify.order(id).unwrap();
                let note = order.note.unwrap_or_default();
                note.lines()
                    .map(str::to_owned)
                    .chain(order.staff_notes)
                    .collect()
            }
        }
    }

    /// The shop's API answers 503 to the next `count` requests.
    fn go_down_for(&self, count: u32) {
        match self {
            Shop::Woo(woo) => woo.go_down_for(count),
            Shop::WooPlugin(woo) => woo.go_down_for(count),
            Shop::Presta(presta) => presta.go_down_for(count),
            Shop::PrestaModule(presta) => presta.go_down_for(count),
            Shop::OpenCart(shop) => shop.go_down_for(count),
            Shop::Shopify(shopify) => shopify.go_down_for(count),
        }
    }

    /// Every mail the shop sends fails from now on (or works again); false where the platform's
    /// status changes do not depend on mail.
    fn fail_mail(&self, fails: bool) -> bool {
        match self {
            Shop::Presta(presta) => presta.fail_mail(fails),
            Shop::PrestaModule(presta) => presta.fail_mail(fails),
            _ => return false,
        }
        true
    }

    /// The merchant completes (ships) the order by hand; the status that leaves.
    fn complete_by_hand(&self, id: u64) -> &'static str {
        match self {
            Shop::Woo(woo) => woo.set_status(id, "completed"),
            Shop::WooPlugin(woo) => woo.set_status(id, "completed"),
            Shop::Presta(presta) => presta.set_state(id, 5),
            Shop::PrestaModule(presta) => presta.set_state(id, 5),
            Shop::OpenCart(shop) => shop.set_status(id, 5, "shipped by hand"),
            Shop::Shopify(shopify) => {
                shopify.mark_paid_by_hand(id);
                return "paid";
            }
        }
        "completed"
    }

    /// Serves the emulator, if it is one; the shop's site.
    async fn serve(&self) -> String {
        let router = match self {
            Shop::Woo(woo) => woo.router(),
            Shop::Presta(presta) => presta.router(),
            Shop::Shopify(shopify) => shopify.router(),
            Shop::OpenCart(shop) => return shop.site().to_owned(),
            Shop::WooPlugin(shop) => return shop.site().to_owned(),
            Shop::PrestaModule(shop) => return shop.site().to_owned(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let site = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        site
    }
}

async fn connect(shop: &Shop, name: &str) -> (TestApp, Store, ScratchDb) {
    let scratch = ScratchDb::new(&format!("scenarios-{name}"));
    let db = scratch.url.clone();
    let app = TestApp::spawn(&db).await;
    let site = shop.serve().await;
    let config = match shop {
        Shop::Woo(_) => {
            json!({ "platform": "woocommerce", "site": site, "consumer_key": "ck_s", "consumer_secret": "cs_s" })
        }
        Shop::PrestaModule(_) => {
            json!({ "platform": "prestashop", "site": site, "secret": PRESTA_SECRET })
        }
        Shop::WooPlugin(_) => {
            json!({ "platform": "woocommerce", "site": site, "secret": WOO_SECRET })
        }
        Shop::Presta(_) => json!({ "platform": "prestashop", "site": site,
            "key": "BVWPFFYBT97WKM959D7AVVD0M4815Y1L",
            "states": { "awaiting": AWAITING, "confirming": CONFIRMING } }),
        Shop::OpenCart(shop) => {
            json!({ "platform": "opencart", "site": site, "version": shop.version(),
            "secret": OPENCART_SECRET })
        }
        Shop::Shopify(shopify) => json!({ "platform": "shopify", "shop": shopify.domain(),
            "access_token": SHOPIFY_TOKEN, "api_secret": "scenario-api-secret-key",
            "admin_url": site }),
    };
    let store = Store::connect(&db).await.unwrap();
    store
        .set_shop_platform("demo", Some(&crate::support::platform(&config)))
        .await
        .unwrap();
    (app, store, scratch)
}

/// Waits until `check` holds, then until the shim has nothing left to tell the shop (see
/// [`drained`]), so that what the test asserts next is the whole story.
async fn eventually(store: &Store, what: &str, check: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drained(store, what).await;
}

/// Waits for the positive signal that every change was told: no callback or platform update is
/// pending in the outbox (each was delivered, or refused).
async fn drained(store: &Store, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let counts = store.job_counts().await.unwrap();
        if !counts
            .iter()
            .any(|(status, n)| status == "pending" && *n > 0)
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: the outbox never drained: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn invoice(app: &TestApp, order: u64) -> String {
    let (status, invoice) = app
        .create(
            &json!({ "order_id": order.to_string(), "amount": "15.00", "currency": "USD",
            "to_currency": "USDT", "network": "tron" }),
        )
        .await;
    assert_eq!(status, 201, "{invoice}");
    invoice["id"].as_str().unwrap().to_owned()
}

async fn pay(app: &TestApp, id: &str, amount: &str) {
    app.sandbox("pay", json!({ "order_id": id, "amount": amount }))
        .await;
}

async fn run_matrix(shop: Shop, name: &str) {
    let (app, store, scratch) = connect(&shop, name).await;

    // Paid.
    shop.add_order(1, "15.00");
    let id = invoice(&app, 1).await;
    pay(&app, &id, "15").await;
    eventually(&store, "paid", || shop.status(1) == "paid").await;
    // Paid (and, if the confirmation was seen on the way, held first): no more than that.
    assert!(shop.changes(1) <= 2, "{name}: {} changes", shop.changes(1));
    let paid_note = |id| shop.notes(id).iter().any(|n| n.contains("Paid in crypto"));
    assert!(paid_note(1), "{name}: {:?}", shop.notes(1));

    // Confirmed later (how most real payments begin: seen on chain, then confirmed): held while
    // confirming, then paid, as the platform's own gateways leave a paid order.
    shop.add_order(10, "15.00");
    let id = invoice(&app, 10).await;
    app.sandbox(
        "pay",
        json!({ "order_id": id, "amount": "15", "confirm": false }),
    )
    .await;
    eventually(&store, "confirming", || shop.status(10) == "held").await;
    app.sandbox("confirm", json!({ "order_id": id })).await;
    eventually(&store, "confirmed", || shop.status(10) == "paid").await;
    assert_eq!(shop.changes(10), 2, "{name}: held, then paid");
    assert!(paid_note(10), "{name}: {:?}", shop.notes(10));

    // Overpaid: paid, with a note about the excess.
    shop.add_order(2, "15.00");
    let id = invoice(&app, 2).await;
    pay(&app, &id, "20").await;
    eventually(&store, "overpaid", || shop.status(2) == "paid").await;
    assert!(
        shop.notes(2)
            .iter()
            .any(|n| n.contains("more than the order total")),
        "{name}: {:?}",
        shop.notes(2)
    );

    // Partially paid, then topped up.
    shop.add_order(3, "15.00");
    let id = invoice(&app, 3).await;
    pay(&app, &id, "5").await;
    eventually(&store, "partial", || shop.status(3) == "held").await;
    pay(&app, &id, "10").await;
    eventually(&store, "topped up", || shop.status(3) == "paid").await;
    assert_eq!(shop.changes(3), 2, "{name}: held, then paid");
    assert!(paid_note(3), "{name}: {:?}", shop.notes(3));

    // Partially paid, then expired: held for the merchant, with a note.
    shop.add_order(4, "15.00");
    let id = invoice(&app, 4).await;
    pay(&app, &id, "5").await;
    eventually(&store, "partial", || shop.status(4) == "held").await;
    app.sandbox("expire", json!({ "order_id": id })).await;
    app.wait_for_status(&id, "underpaid").await;
    eventually(&store, "underpaid note", || {
        shop.notes(4).iter().any(|n| n.contains("closed short"))
    })
    .await;
    // Not a status that says "ship it": the plugin's own underpaid status where it has one
    // (WooCommerce's is a setting, On hold by default).
    let underpaid = if matches!(shop, Shop::PrestaModule(_) | Shop::OpenCart(_)) {
        "underpaid"
    } else {
        "held"
    };
    assert_eq!(shop.status(4), underpaid, "{name}");

    // Expired with nothing paid: cancelled.
    shop.add_order(5, "15.00");
    let id = invoice(&app, 5).await;
    app.sandbox("expire", json!({ "order_id": id })).await;
    eventually(&store, "cancelled", || shop.status(5) == "cancelled").await;

    // Paid after expiry: the order stays closed and the merchant is told, once.
    shop.add_order(7, "15.00");
    let id = invoice(&app, 7).await;
    app.sandbox("expire", json!({ "order_id": id })).await;
    eventually(&store, "cancelled", || shop.status(7) == "cancelled").await;
    app.sandbox(
        "pay",
        json!({ "order_id": id, "amount": "15", "late": true }),
    )
    .await;
    app.wait_for_status(&id, "review").await;
    eventually(&store, "late money note", || {
        shop.notes(7)
            .iter()
            .any(|n| n.contains("after this order was closed"))
    })
    .await;
    assert_eq!(shop.status(7), "cancelled");
    assert_eq!(shop.changes(7), 1, "{name}: only the cancellation");

    // The shop's API is down when the payment lands: the outbox tries again until it is back.
    shop.add_order(8, "15.00");
    let id = invoice(&app, 8).await;
    shop.go_down_for(3);
    pay(&app, &id, "15").await;
    eventually(&store, "paid after the outage", || shop.status(8) == "paid").await;
    assert!(shop.changes(8) <= 2, "{name}");

    // The shop's mail server is down: the state change is saved but reported as failed. The
    // order still ends paid, with its note written once.
    if shop.fail_mail(true) {
        shop.add_order(11, "15.00");
        let id = invoice(&app, 11).await;
        pay(&app, &id, "15").await;
        eventually(&store, "paid without mail", || shop.status(11) == "paid").await;
        let paid_notes = || {
            shop.notes(11)
                .iter()
                .filter(|n| n.contains("Paid in crypto"))
                .count()
        };
        eventually(&store, "the paid note", || paid_notes() >= 1).await;
        assert_eq!(paid_notes(), 1, "{name}: {:?}", shop.notes(11));
        assert_eq!(shop.changes(11), 1, "{name}: paid once");
        shop.fail_mail(false);
    }

    // The merchant completed the order by hand before the payment: it is left as it is.
    shop.add_order(9, "15.00");
    let id = invoice(&app, 9).await;
    let completed = shop.complete_by_hand(9);
    let before = shop.changes(9);
    pay(&app, &id, "15").await;
    app.wait_for_status(&id, "paid").await;
    drained(&store, "completed by hand").await;
    assert_eq!(shop.status(9), completed, "{name}: still completed");
    assert_eq!(shop.changes(9), before, "{name}: not touched");

    // The same webhook ten times, and an old one after it: nothing more is written.
    shop.add_order(6, "15.00");
    let id = invoice(&app, 6).await;
    pay(&app, &id, "15").await;
    eventually(&store, "paid", || shop.status(6) == "paid").await;
    let uuid = app.gateway_uuid(&id).await;
    let key = &app.sandbox.config().payment_key;
    let hook = |status: &str| {
        let body: Value = json!({ "type": "payment", "uuid": uuid, "order_id": id, "amount": "15.00",
            "payment_amount": "15.000000", "is_final": status == "paid", "status": status,
            "network": "tron", "currency": "USD", "payer_currency": "USDT",
            "additional_data": null, "txid": null });
        sign_webhook(&serde_json::to_vec(&body).unwrap(), key).unwrap()
    };
    let before = (shop.changes(6), shop.notes(6).len());
    for _ in 0..10 {
        let (status, _) = app.post_ipn(hook("paid")).await;
        assert_eq!(status, 200);
    }
    let (status, answer) = app.post_ipn(hook("confirm_check")).await;
    assert_eq!(status, 200);
    // Applied before the answer (it says how), and nothing new for the outbox.
    assert_eq!(answer["outcome"], "unchanged", "{answer}");
    drained(&store, "duplicates").await;
    assert_eq!(
        (shop.changes(6), shop.notes(6).len()),
        before,
        "{name}: duplicates and stale webhooks write nothing"
    );

    // Refunded by the merchant at the gateway: refunding leaves a paid order alone (a note), the
    // refund done marks it refunded.
    shop.add_order(12, "15.00");
    let id = invoice(&app, 12).await;
    pay(&app, &id, "15").await;
    eventually(&store, "paid", || shop.status(12) == "paid").await;
    refund(&app, &id).await;
    app.wait_for_status(&id, "refunding").await;
    drained(&store, "refunding").await;
    assert_eq!(
        shop.status(12),
        "paid",
        "{name}: still paid while refunding"
    );
    app.sandbox("refund", json!({ "order_id": id })).await;
    app.wait_for_status(&id, "refunded").await;
    eventually(&store, "refunded", || shop.status(12) == "refunded").await;

    // The gateway fails the payment: the order fails, once.
    shop.add_order(13, "15.00");
    let id = invoice(&app, 13).await;
    app.sandbox("fail", json!({ "order_id": id })).await;
    app.wait_for_status(&id, "failed").await;
    eventually(&store, "failed", || shop.status(13) == "failed").await;
    assert_eq!(shop.changes(13), 1, "{name}: failed once");

    scratch.remove();
}

/// The merchant refunds invoice `id`'s payment at the gateway (its own API, to a TRON address).
async fn refund(app: &TestApp, id: &str) {
    let config = app.sandbox.config();
    let mut gateway = shim_gateway::GatewayConfig::new(
        format!("{}/cryptomus/", app.url),
        config.merchant.clone(),
        config.payment_key.clone(),
    );
    gateway.attempts = 1;
    shim_gateway::CryptomusClient::new(gateway)
        .unwrap()
        .refund(
            &shim_gateway::PaymentRef::OrderId(id.to_owned()),
            "TQrZ9wBzNaBxDoQhVxuDn5k1WpSdTa7bEu",
            false,
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn woocommerce_orders_follow_every_scenario() {
    run_matrix(Shop::Woo(WooEmulator::new("ck_s", "cs_s", false)), "woo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn woocommerce_plugin_orders_follow_every_scenario() {
    run_matrix(Shop::WooPlugin(WooShop::start(WOO_SECRET)), "woo-plugin").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prestashop_orders_follow_every_scenario() {
    run_matrix(
        Shop::Presta(PrestaEmulator::new("BVWPFFYBT97WKM959D7AVVD0M4815Y1L")),
        "presta",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prestashop_module_orders_follow_every_scenario() {
    run_matrix(
        Shop::PrestaModule(PrestaModuleShop::start(PRESTA_SECRET)),
        "presta-module",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opencart_orders_follow_every_scenario() {
    run_matrix(
        Shop::OpenCart(OpenCartShop::start("4.0.2", OPENCART_SECRET)),
        "opencart",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opencart_3_orders_follow_every_scenario() {
    run_matrix(
        Shop::OpenCart(OpenCartShop::start("3", OPENCART_SECRET)),
        "opencart3",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shopify_orders_follow_every_scenario() {
    run_matrix(
        Shop::Shopify(ShopifyEmulator::new(
            "scenario.myshopify.com",
            SHOPIFY_TOKEN,
        )),
        "shopify",
    )
    .await;
}
