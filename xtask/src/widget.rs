//! The widget's wasm build: cargo with the size profile, wasm-bindgen, wasm-opt, then the files
//! as served: content-hashed names (cached for a year by browsers), minified JavaScript, a
//! `manifest.json` naming them, and brotli and gzip copies of each, with their sizes.

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

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

fn brotli(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
    Ok(out)
}

/// A short content hash for file names (FNV-1a, 64 bits): a new build of a file gets a new name.
fn content_hash(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{:010x}", hash >> 24)
}

/// `name.ext` → `name.<hash>.ext`.
fn hashed_name(name: &str, bytes: &[u8]) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{}.{ext}", content_hash(bytes)),
        None => format!("{name}.{}", content_hash(bytes)),
    }
}

/// Minifies an ES module with terser.
fn minify(tools: &Tools, source: &Path, out: &Path) -> Result<()> {
    run(Command::new("node")
        .arg(&tools.terser)
        .arg(source)
        .args(["--module", "--compress", "--mangle", "--output"])
        .arg(out))
}

/// The files a payer's browser loads, by role.
struct Assets {
    embed: String,
    js: String,
    wasm: String,
    /// The translations (`locales/de.<hash>.json`), of which a payer loads at most one.
    locales: Vec<String>,
}

/// Copies the translations in `widget/locales/` to `dist/locales/`, under the content-hashed
/// names the widget asks for (it computes the same hash of the same bytes when it is built).
fn copy_locales(root: &Path, dist: &Path) -> Result<Vec<String>> {
    let source = root.join("widget/locales");
    std::fs::create_dir_all(dist.join("locales"))?;
    let mut names = Vec::new();
    for entry in
        std::fs::read_dir(&source).with_context(|| format!("reading {}", source.display()))?
    {
        let path = entry?.path();
        let Some(file) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !file.ends_with(".json") {
            continue;
        }
        let bytes = std::fs::read(&path)?;
        serde_json::from_slice::<serde_json::Value>(&bytes)
            .with_context(|| format!("{} is not valid JSON", path.display()))?;
        let name = format!("locales/{}", hashed_name(file, &bytes));
        std::fs::write(dist.join(&name), &bytes)?;
        names.push(name);
    }
    names.sort();
    Ok(names)
}

/// Renames, minifies, links and precompresses the freshly built files in `dist`.
fn finish_assets(root: &Path, dist: &Path, tools: &Tools) -> Result<Assets> {
    let wasm_bytes = std::fs::read(dist.join("checkout_bg.wasm"))?;
    let wasm = hashed_name("checkout_bg.wasm", &wasm_bytes);
    std::fs::rename(dist.join("checkout_bg.wasm"), dist.join(&wasm))?;

    // The glue loads the wasm by name when `init()` is called without a path.
    let glue = std::fs::read_to_string(dist.join("checkout.js"))?;
    anyhow::ensure!(
        glue.contains("checkout_bg.wasm"),
        "wasm-bindgen's glue no longer names checkout_bg.wasm; update xtask/src/widget.rs"
    );
    std::fs::write(
        dist.join("checkout.js"),
        glue.replace("checkout_bg.wasm", &wasm),
    )?;
    minify(tools, &dist.join("checkout.js"), &dist.join("checkout.js"))?;
    let js_bytes = std::fs::read(dist.join("checkout.js"))?;
    let js = hashed_name("checkout.js", &js_bytes);
    // `checkout.js` stays too, for pages that import the module by its plain name.
    std::fs::write(dist.join(&js), &js_bytes)?;

    let embed = std::fs::read_to_string(root.join("widget/js/embed.js"))
        .context("reading widget/js/embed.js")?;
    anyhow::ensure!(
        embed.contains("\"checkout.js\"") && embed.contains("\"checkout_bg.wasm\""),
        "widget/js/embed.js must load \"checkout.js\" and \"checkout_bg.wasm\" by those names"
    );
    let embed = embed
        .replace("\"checkout.js\"", &format!("\"{js}\""))
        .replace("\"checkout_bg.wasm\"", &format!("\"{wasm}\""));
    std::fs::write(dist.join("embed.src.js"), embed)?;
    minify(tools, &dist.join("embed.src.js"), &dist.join("embed.js"))?;
    std::fs::remove_file(dist.join("embed.src.js"))?;

    let locales = copy_locales(root, dist)?;
    let manifest = serde_json::json!({
        "embed.js": "embed.js",
        "checkout.js": js,
        "checkout_bg.wasm": wasm,
        "locales": locales,
    });
    std::fs::write(
        dist.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest)?,
    )?;

    let files = ["embed.js", "checkout.js", &js, &wasm, "manifest.json"];
    for name in files.into_iter().chain(locales.iter().map(String::as_str)) {
        let bytes = std::fs::read(dist.join(name))?;
        std::fs::write(dist.join(format!("{name}.gz")), gzip(&bytes)?)?;
        std::fs::write(dist.join(format!("{name}.br")), brotli(&bytes)?)?;
    }
    Ok(Assets {
        embed: "embed.js".into(),
        js,
        wasm,
        locales,
    })
}

/// A file's size raw, gzip and brotli.
fn sizes(dist: &Path, name: &str) -> Result<(u64, u64, u64)> {
    let size = |name: &str| Ok::<_, anyhow::Error>(std::fs::metadata(dist.join(name))?.len());
    Ok((
        size(name)?,
        size(&format!("{name}.gz"))?,
        size(&format!("{name}.br"))?,
    ))
}

/// Prints what a payer downloads: each file raw, gzip and brotli; the code every payer loads,
/// and the largest translation, which a payer reading that language loads besides.
fn report(dist: &Path, assets: &Assets) -> Result<()> {
    println!(
        "\n    widget assets in {} (what a payer's browser loads):",
        dist.display()
    );
    println!(
        "    {:<30} {:>9} {:>9} {:>9}",
        "file", "raw", "gzip", "brotli"
    );
    let mut totals = (0, 0, 0);
    for name in [&assets.embed, &assets.js, &assets.wasm] {
        let (raw, gz, br) = sizes(dist, name)?;
        totals = (totals.0 + raw, totals.1 + gz, totals.2 + br);
        println!("    {name:<30} {raw:>9} {gz:>9} {br:>9}");
    }
    println!(
        "    {:<30} {:>9} {:>9} {:>9}   (an English-reading payer)",
        "total", totals.0, totals.1, totals.2
    );
    let mut largest = (String::new(), (0, 0, 0));
    for name in &assets.locales {
        let sizes = sizes(dist, name)?;
        if sizes.1 > largest.1.1 {
            largest = (name.clone(), sizes);
        }
    }
    let (name, (raw, gz, br)) = largest;
    println!(
        "    {:<30} {raw:>9} {gz:>9} {br:>9}   (the largest of {} translations)",
        name.trim_start_matches("locales/"),
        assets.locales.len()
    );
    println!(
        "    {:<30} {:>9} {:>9} {:>9}   (budget: 85 KB = 87040 B compressed)",
        "total, with that translation",
        totals.0 + raw,
        totals.1 + gz,
        totals.2 + br
    );
    Ok(())
}

/// `cargo build` of the widget's WebAssembly with the size profile.
fn widget_build(root: &Path) -> Command {
    let mut build = cargo(root);
    build.args([
        "build",
        "-p",
        "checkout-widget",
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
    ]);
    build
}

/// Whether the toolchain has the standard library's sources (`rustup component add rust-src`,
/// which `cargo xtask setup` runs), which the smaller build compiles.
fn has_std_sources() -> bool {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    output(Command::new(rustc).args(["--print", "sysroot"])).is_some_and(|sysroot| {
        Path::new(sysroot.trim())
            .join("lib/rustlib/src/rust/library/std")
            .is_dir()
    })
}

/// The widget's WebAssembly, as small as this toolchain makes it.
///
/// The standard library is compiled with the widget, so that a panic stops the widget at once
/// (`panic=immediate-abort`) instead of formatting a message nobody reads, and panics carry no
/// source locations and `Debug` no text. About 12 KB gzip less for every payer. These are
/// unstable options of the stable toolchain (`RUSTC_BOOTSTRAP=1`); should this toolchain refuse
/// them, or lack the standard library's sources, the widget is built the standard way and this
/// says so.
fn build_wasm(root: &Path) -> Result<()> {
    if std::env::var_os("RUSTFLAGS").is_none() && has_std_sources() {
        let mut small = widget_build(root);
        small
            .arg("-Zbuild-std=std,panic_abort")
            .env("RUSTC_BOOTSTRAP", "1")
            .env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
                "-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none",
            );
        match run(&mut small) {
            Ok(()) => return Ok(()),
            Err(e) => println!(
                "    !! the smaller build failed with this toolchain ({e:#}); building the standard \
                 way, about 12 KB gzip larger"
            ),
        }
    } else {
        println!(
            "    !! RUSTFLAGS is set or the standard library's sources are missing (`rustup component \
             add rust-src`): building the standard way, about 12 KB gzip larger"
        );
    }
    run(&mut widget_build(root))
}

/// Builds the widget into `widget/dist` and returns that folder.
pub fn build(root: &Path, tools: &Tools) -> Result<PathBuf> {
    step("building the widget (wasm32, size profile)");
    build_wasm(root)?;
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
    let assets = finish_assets(root, &dist, tools)?;
    report(&dist, &assets)?;
    Ok(dist)
}
