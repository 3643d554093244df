//! The emulators checked with the platforms' own official clients: if WooCommerce's JavaScript
//! (npm `@woocommerce/woocommerce-rest-api`) and Python (PyPI `woocommerce`) clients are accepted by
//! the emulator, and our adapter is too, the adapter speaks WooCommerce's real protocol.
//! `cargo xtask test` installs the clients and says where (`WOO_NODE_MODULES`, `WOO_PYTHONPATH`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use platform_emulators::serve;
use platform_emulators::woocommerce::WooEmulator;
use serde_json::Value;
use std::process::Command;

const KEY: &str = "ck_4b2b1e0c9d";
const SECRET: &str = "cs_7f3a9e1d2c";

fn installed(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: run the tests with `cargo xtask test` (it installs WooCommerce's official clients)")
    })
}

fn run(command: &mut Command) -> Value {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "the official client failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn script(name: &str) -> String {
    format!("{}/tests/clients/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn check(result: &Value, order_id: u64, txid: &str, note: &str) {
    assert_eq!(result["order"]["id"], order_id, "{result}");
    assert_eq!(result["order"]["status"], "pending");
    assert_eq!(result["paid"]["status"], "processing", "{result}");
    assert_eq!(result["paid"]["transaction_id"], txid);
    assert_eq!(result["note"]["note"], note);
    assert_eq!(result["refused"][0], 401, "{result}");
    assert_eq!(
        result["refused"][1]["code"], "woocommerce_rest_authentication_error",
        "{result}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_javascript_client_is_accepted() {
    let node_modules = installed("WOO_NODE_MODULES");
    let shop = WooEmulator::new(KEY, SECRET, false);
    shop.add_order(1, "pending", "15.00", "USD");
    let url = serve(shop.router()).await;
    let result = tokio::task::spawn_blocking(move || {
        run(Command::new("node")
            .arg(script("woo_client.js"))
            .args([&url, KEY, SECRET])
            .env("NODE_PATH", node_modules))
    })
    .await
    .unwrap();
    check(&result, 1, "tx-js", "from node");
    assert!(
        result["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["note"] == "from node")
    );
    assert_eq!(shop.order(1).unwrap().status, "processing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_python_client_is_accepted() {
    let python_path = installed("WOO_PYTHONPATH");
    let shop = WooEmulator::new(KEY, SECRET, false);
    shop.add_order(2, "pending", "15.00", "USD");
    let url = serve(shop.router()).await;
    let result = tokio::task::spawn_blocking(move || {
        run(Command::new("python3")
            .arg(script("woo_client.py"))
            .args([&url, KEY, SECRET])
            .env("PYTHONPATH", python_path)
            .env("PYTHONDONTWRITEBYTECODE", "1"))
    })
    .await
    .unwrap();
    check(&result, 2, "tx-py", "from python");
    assert_eq!(shop.order(2).unwrap().transaction_id, "tx-py");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prestapyt_is_accepted_by_the_prestashop_emulator() {
    use platform_emulators::prestashop::PrestaEmulator;
    let python_path = installed("PRESTAPYT_PYTHONPATH");
    let key = "BVWPFFYBT97WKM959D7AVVD0M4815Y1L";
    let shop = PrestaEmulator::new(key);
    shop.add_order(3, 14, "15.000000", 2);
    let url = serve(shop.router()).await;
    let result = tokio::task::spawn_blocking(move || {
        run(Command::new("python3")
            .arg(script("presta_client.py"))
            .args([&url, key])
            .env("PYTHONPATH", python_path)
            .env("PYTHONDONTWRITEBYTECODE", "1"))
    })
    .await
    .unwrap();
    assert_eq!(
        result["order"]["total_paid_tax_incl"], "15.000000",
        "{result}"
    );
    assert_eq!(result["currency"]["iso_code"], "USD");
    assert_eq!(result["history"]["id_order_state"], "2");
    assert_eq!(result["message"]["message"], "from prestapyt");
    assert_eq!(result["refused"], true);
    let order = shop.order(3).unwrap();
    assert_eq!((order.current_state, order.history.len()), (2, 2));
    assert_eq!(order.messages, ["from prestapyt"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shopifys_own_libraries_agree_with_the_emulator_and_our_signatures() {
    use platform_emulators::shopify::ShopifyEmulator;
    use shop_adapters::shopify::transformers::{
        app_proxy_signature, webhook_hmac, webhook_is_authentic,
    };
    let node_path = installed("SHOPIFY_NODE_PATH");
    let (domain, token, secret) = ("clients.myshopify.com", "shpat_clients0123456789", "hush");
    let shop = ShopifyEmulator::new(domain, token);
    shop.add_order(5, "15.00", "USD");
    // Room for the read and two mutations, not a third.
    shop.set_bucket(21.5, 0.01);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = shop.router();
    tokio::spawn(async move { axum::serve(listener, router).await });

    let body = r#"{"id":548380009,"name":"Clients","domain":"clients.myshopify.com"}"#;
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let mut proxy: Vec<(String, String)> = [
        ("order", "5"),
        ("confirmation", "CONF00005"),
        ("shop", domain),
        ("logged_in_customer_id", ""),
        ("path_prefix", "/apps/crypto-checkout"),
        ("timestamp", timestamp.as_str()),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    proxy.push(("signature".into(), app_proxy_signature(secret, &proxy)));
    let signed = serde_json::json!({
        "body": body,
        "hmac": webhook_hmac(secret, body.as_bytes()),
        "proxy": proxy.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect::<serde_json::Map<String, Value>>(),
    });
    let args = [
        url,
        domain.into(),
        token.into(),
        secret.into(),
        signed.to_string(),
    ];
    let result = tokio::task::spawn_blocking(move || {
        run(Command::new("node")
            .arg(script("shopify_client.js"))
            .args(args)
            .env("NODE_PATH", node_path))
    })
    .await
    .unwrap();

    // The Admin API client reads and writes through the emulator, sees its cost and its throttle.
    let order = &result["order"]["data"]["order"];
    assert_eq!(order["displayFinancialStatus"], "PENDING", "{result}");
    assert_eq!(
        order["totalOutstandingSet"]["presentmentMoney"]["amount"],
        "15.00"
    );
    assert_eq!(result["order"]["cost"]["actualQueryCost"], 1.0, "{result}");
    assert_eq!(
        result["paid"]["orderMarkAsPaid"]["order"]["displayFinancialStatus"],
        "PAID"
    );
    assert_eq!(
        result["again"]["orderMarkAsPaid"]["userErrors"][0]["message"],
        "Order cannot be marked as paid."
    );
    assert_eq!(
        result["throttled"]["graphQLErrors"][0]["extensions"]["code"], "THROTTLED",
        "{result}"
    );
    assert_eq!(result["refused"], 401, "{result}");
    assert_eq!(shop.throttled(), 1);
    assert_eq!(shop.order(5).unwrap().financial_status, "PAID");

    // Our signatures pass Shopify's own checks, and theirs pass ours.
    assert_eq!(result["webhook"]["valid"], true, "{result}");
    assert_eq!(result["webhook"]["topic"], "APP_UNINSTALLED");
    assert_eq!(result["tampered"]["valid"], false);
    assert_eq!(result["proxy"], true, "{result}");
    assert!(webhook_is_authentic(
        secret,
        body.as_bytes(),
        result["theirs"].as_str().unwrap()
    ));
}
