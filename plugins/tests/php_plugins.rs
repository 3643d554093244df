//! The installable PHP packages: every file parses (`php -l`), and the WooCommerce plugin's own
//! PHPUnit suite passes (stubs of WordPress and WooCommerce check what it sends to the shim and what
//! it does with the answer). `cargo xtask setup` installs php-cli and phpunit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

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
    php_files(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/woocommerce")),
        &mut files,
    );
    assert!(files.len() >= 5, "{files:?}");
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

#[test]
fn the_woocommerce_plugin_passes_its_phpunit_suite() {
    let tests = concat!(env!("CARGO_MANIFEST_DIR"), "/woocommerce/tests");
    let out = Command::new("phpunit")
        .args(["--configuration", &format!("{tests}/phpunit.xml")])
        .current_dir(tests)
        .output()
        .expect("phpunit is needed: run `cargo xtask setup` (it installs Debian's phpunit)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("OK (6 tests"), "{text}");
}
