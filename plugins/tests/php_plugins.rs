//! The installable PHP packages: every file parses (`php -l`), and their PHPUnit suites pass (the
//! WooCommerce plugin's with stubs of WordPress and WooCommerce, the PrestaShop module's shim
//! client and pay controller with stubs of PrestaShop, the OpenCart extension's core and both
//! packages' controllers with stubs of OpenCart 3.0 and 4.x), checking what they send to the shim and what they do with
//! the answer. `cargo xtask setup` installs php-cli and phpunit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

fn php_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            php_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "php") {
            out.push(path);
        }
    }
}

#[test]
fn every_php_file_parses() {
    let mut files = Vec::new();
    // php-common: the shim client every package shares (`cargo xtask dist` copies it into each).
    for platform in ["woocommerce", "prestashop", "opencart", "php-common"] {
        php_files(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join(platform),
            &mut files,
        );
    }
    assert!(files.len() >= 10, "{files:?}");
    for file in files {
        let out = Command::new("php")
            .arg("-l")
            .arg(&file)
            .output()
            .expect("php is needed: run `cargo xtask setup`");
        assert!(
            out.status.success(),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// Runs a PHPUnit suite; reports its tests to `cargo xtask test` (each counts as one there).
fn phpunit(tests: &str) -> String {
    let out = Command::new("phpunit")
        .args(["--configuration", &format!("{tests}/phpunit.xml")])
        .current_dir(tests)
        .output()
        .expect("phpunit is needed: run `cargo xtask setup` (it installs Debian's phpunit)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // `OK (11 tests, 40 assertions)`, or `Tests: 11, Assertions: 40, Failures: 2, Errors: 1.`
    let ran = common::number_after(&text, "OK (")
        .or_else(|| common::number_after(&text, "Tests:"))
        .unwrap_or(0);
    let failed = common::number_after(&text, "Failures:").unwrap_or(0)
        + common::number_after(&text, "Errors:").unwrap_or(0);
    common::report("phpunit", ran.saturating_sub(failed), failed);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[test]
fn the_woocommerce_plugin_passes_its_phpunit_suite() {
    let text = phpunit(concat!(env!("CARGO_MANIFEST_DIR"), "/woocommerce/tests"));
    assert!(text.contains("OK (11 tests"), "{text}");
}

#[test]
fn the_prestashop_module_passes_its_phpunit_suite() {
    let text = phpunit(concat!(env!("CARGO_MANIFEST_DIR"), "/prestashop/tests"));
    assert!(text.contains("OK (13 tests"), "{text}");
}

#[test]
fn the_opencart_extension_passes_its_phpunit_suite() {
    let text = phpunit(concat!(env!("CARGO_MANIFEST_DIR"), "/opencart/tests"));
    assert!(text.contains("OK (64 tests"), "{text}");
}
