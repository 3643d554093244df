//! The Shopify checkout UI extension (plugins/shopify/extensions/pay-with-crypto): its tests under
//! `node --test`, including a bundle of each target built with esbuild against Shopify's own
//! `@shopify/ui-extensions` and Preact, which `cargo xtask test` installs and names in
//! `CHECKOUT_EXTENSION_NODE_PATH`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

mod common;

#[test]
fn the_checkout_extension_passes_its_node_tests_and_bundles() {
    let modules = std::env::var("CHECKOUT_EXTENSION_NODE_PATH").unwrap_or_else(|_| {
        panic!("CHECKOUT_EXTENSION_NODE_PATH is not set: run the tests with `cargo xtask test` (it installs @shopify/ui-extensions, Preact and esbuild)")
    });
    let out = Command::new("node")
        .args(["--test", "tests/"])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/shopify"))
        .env("CHECKOUT_EXTENSION_NODE_PATH", modules)
        .output()
        .expect("node is needed");
    let text = String::from_utf8_lossy(&out.stdout);
    common::report(
        "node",
        common::number_after(&text, "# pass").unwrap_or(0),
        common::number_after(&text, "# fail").unwrap_or(0),
    );
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("# pass 6"), "{text}");
    assert!(text.contains("# skipped 0"), "{text}");
}

fn toml_file(path: &str) -> toml::Table {
    let path = format!("{}/shopify/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    toml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The app configurations point Shopify at the routes the shim serves.
#[test]
fn the_app_configurations_name_the_shims_routes() {
    let app = toml_file("shopify.app.toml");
    assert!(
        app["app_proxy"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/v1/shopify/proxy")
    );
    let scopes = app["access_scopes"]["scopes"].as_str().unwrap();
    for scope in ["read_orders", "write_orders", "write_app_proxy"] {
        assert!(scopes.contains(scope), "{scopes}");
    }
    let payments_app = toml_file("payments-app/shopify.app.toml");
    for config in [&app, &payments_app] {
        let subscriptions = config["webhooks"]["subscriptions"].as_array().unwrap();
        let compliance: Vec<&str> = subscriptions
            .iter()
            .filter_map(|s| s.get("compliance_topics"))
            .flat_map(|t| t.as_array().unwrap())
            .map(|t| t.as_str().unwrap())
            .collect();
        assert_eq!(
            compliance,
            ["customers/data_request", "customers/redact", "shop/redact"]
        );
        for subscription in subscriptions {
            assert!(
                subscription["uri"]
                    .as_str()
                    .unwrap()
                    .ends_with("/v1/shopify/webhooks")
            );
        }
    }
    let extension = toml_file("payments-app/extensions/crypto-payments/shopify.extension.toml");
    let payments = &extension["extensions"][0];
    assert_eq!(payments["type"].as_str(), Some("payments_extension"));
    assert!(
        payments["payment_session_url"]
            .as_str()
            .unwrap()
            .ends_with("/v1/shopify/payments/sessions")
    );
    assert!(
        payments["refund_session_url"]
            .as_str()
            .unwrap()
            .ends_with("/v1/shopify/payments/refunds")
    );
    // Shopify requires these two to agree, and a sale-only method has neither.
    assert_eq!(
        payments["supports_deferred_payments"].as_bool(),
        Some(false)
    );
    assert_eq!(payments["supports_installments"].as_bool(), Some(false));
    let ui = toml_file("extensions/pay-with-crypto/shopify.extension.toml");
    let targets: Vec<&str> = ui["extensions"][0]["targeting"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        [
            "purchase.thank-you.block.render",
            "customer-account.order-status.block.render"
        ]
    );
}
