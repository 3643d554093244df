//! The Shopify checkout UI extension (plugins/shopify/extensions/pay-with-crypto): its tests under
//! `node --test`, including a bundle of each target built with esbuild against Shopify's own
//! `@shopify/ui-extensions` and Preact, which `cargo xtask test` installs and names in
//! `CHECKOUT_EXTENSION_NODE_PATH`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

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
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("# pass 6"), "{text}");
    assert!(text.contains("# skipped 0"), "{text}");
}
