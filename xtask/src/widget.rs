//! The widget's wasm build: cargo with the size profile, wasm-bindgen, wasm-opt, and its sizes.

use crate::cmd::{cargo, output, run, step};
use crate::setup::Tools;
use anyhow::{Context as _, Result};
use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The target directory cargo uses (it may be outside the checkout, as in CI).
fn target_dir(root: &Path) -> Result<PathBuf> {
    let metadata = output(cargo(root).args(["metadata", "--format-version", "1", "--no-deps"]))
        .context("`cargo metadata` failed")?;
    let value: serde_json::Value = serde_json::from_str(&metadata)?;
    value["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .context("cargo metadata has no target_directory")
}

fn gzip_len(bytes: &[u8]) -> Result<usize> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len())
}

/// Builds the widget into `widget/dist` and returns that folder.
pub fn build(root: &Path, tools: &Tools) -> Result<PathBuf> {
    step("building the widget (wasm32, size profile)");
    run(cargo(root).args([
        "build",
        "-p",
        "checkout-widget",
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
    ]))?;
    let wasm = target_dir(root)?.join("wasm32-unknown-unknown/wasm-release/checkout_widget.wasm");
    let dist = root.join("widget").join("dist");
    if dist.exists() {
        std::fs::remove_dir_all(&dist)?;
    }
    std::fs::create_dir_all(&dist)?;
    run(Command::new(&tools.wasm_bindgen)
        .args([
            "--target",
            "web",
            "--no-typescript",
            "--out-name",
            "checkout",
            "--out-dir",
        ])
        .arg(&dist)
        .arg(&wasm))?;
    let bg = dist.join("checkout_bg.wasm");
    // The features rustc enables by default for wasm32 today; wasm-opt must be told about them.
    run(Command::new(&tools.wasm_opt)
        .args([
            "-Oz",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-mutable-globals",
            "--enable-reference-types",
            "--enable-multivalue",
        ])
        .arg(&bg)
        .arg("-o")
        .arg(&bg))?;
    std::fs::copy(root.join("widget/js/embed.js"), dist.join("embed.js"))
        .context("copying embed.js")?;

    println!("\n    widget assets in {}:", dist.display());
    println!("    {:<22} {:>10} {:>10}", "file", "raw", "gzip");
    let (mut raw_total, mut gzip_total) = (0, 0);
    let mut files: Vec<_> = std::fs::read_dir(&dist)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    files.sort();
    for file in files.iter().filter(|f| f.is_file()) {
        let bytes = std::fs::read(file)?;
        let gz = gzip_len(&bytes)?;
        raw_total += bytes.len();
        gzip_total += gz;
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!("    {name:<22} {:>10} {:>10}", bytes.len(), gz);
    }
    println!("    {:<22} {:>10} {:>10}", "total", raw_total, gzip_total);
    Ok(dist)
}
