//! The widget's wasm build: cargo with the size profile, wasm-bindgen, wasm-opt, then the files
//! as served: content-hashed names (cached for a year by browsers), minified JavaScript, a
//! `manifest.json` naming them, and brotli and gzip copies of each, with their sizes.

use crate::cmd::{cargo, output, run, step};
use crate::setup::Tools;
use anyhow::{Context as _, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The target directory cargo uses (it may be outside the checkout, as in CI).
pub(crate) fn target_dir(root: &Path) -> Result<PathBuf> {
    let metadata = output(cargo(root).args(["metadata", "--format-version", "1", "--no-deps"]))
        .context("`cargo metadata` failed")?;
    let value: serde_json::Value = serde_json::from_str(&metadata)?;
    value["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .context("cargo metadata has no target_directory")
}

/// Gzip by zopfli: standard gzip that any client decodes, about 5 % smaller than zlib's best (it
/// searches far longer, once, at build time).
fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    zopfli::compress(
        zopfli::Options::default(),
        zopfli::Format::Gzip,
        bytes,
        &mut out,
    )?;
    Ok(out)
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

/// One build of the widget, by its content-hashed file names.
struct Bundle {
    /// The ES module with `mount` (wasm-bindgen's glue, minified).
    js: String,
    /// Its WebAssembly.
    wasm: String,
}

/// Hashes the names of build `name` (`checkout` or `deposit`), links its glue to its wasm, and
/// minifies the glue; `{name}.js` stays too, for pages that import the module by its plain name.
fn finish_bundle(dist: &Path, tools: &Tools, name: &str) -> Result<Bundle> {
    let plain_wasm = format!("{name}_bg.wasm");
    let wasm = hashed_name(&plain_wasm, &std::fs::read(dist.join(&plain_wasm))?);
    std::fs::rename(dist.join(&plain_wasm), dist.join(&wasm))?;

    // The glue loads the wasm by name when `init()` is called without a path.
    let plain_js = dist.join(format!("{name}.js"));
    let glue = std::fs::read_to_string(&plain_js)?;
    anyhow::ensure!(
        glue.contains(&plain_wasm),
        "wasm-bindgen's glue no longer names {plain_wasm}; update xtask/src/widget.rs"
    );
    std::fs::write(&plain_js, glue.replace(&plain_wasm, &wasm))?;
    minify(tools, &plain_js, &plain_js)?;
    let js_bytes = std::fs::read(&plain_js)?;
    let js = hashed_name(&format!("{name}.js"), &js_bytes);
    std::fs::write(dist.join(&js), &js_bytes)?;
    Ok(Bundle { js, wasm })
}

/// The files a payer's browser loads, by role.
struct Assets {
    embed: String,
    /// The widget for invoices.
    checkout: Bundle,
    /// The deposit card.
    deposit: Bundle,
    /// Button mode, which only pages with a pay button load.
    button: String,
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
        // English is built into the widget; its file is the source the shim's pages read.
        if !file.ends_with(".json") || file == "en.json" {
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
    let checkout = finish_bundle(dist, tools, "checkout")?;
    let deposit = finish_bundle(dist, tools, "deposit")?;

    // Button mode, which embed.js imports only for `data-button` tags.
    minify(
        tools,
        &root.join("widget/js/button.js"),
        &dist.join("button.js"),
    )?;
    let button_bytes = std::fs::read(dist.join("button.js"))?;
    let button = hashed_name("button.js", &button_bytes);
    std::fs::rename(dist.join("button.js"), dist.join(&button))?;

    let mut embed = std::fs::read_to_string(root.join("widget/js/embed.js"))
        .context("reading widget/js/embed.js")?;
    for (plain, hashed) in [
        ("checkout.js", &checkout.js),
        ("checkout_bg.wasm", &checkout.wasm),
        ("deposit.js", &deposit.js),
        ("deposit_bg.wasm", &deposit.wasm),
        ("button.js", &button),
    ] {
        let quoted = format!("\"{plain}\"");
        anyhow::ensure!(
            embed.contains(&quoted),
            "widget/js/embed.js must load {quoted} by that name"
        );
        embed = embed.replace(&quoted, &format!("\"{hashed}\""));
    }
    std::fs::write(dist.join("embed.src.js"), embed)?;
    minify(tools, &dist.join("embed.src.js"), &dist.join("embed.js"))?;
    std::fs::remove_file(dist.join("embed.src.js"))?;

    let locales = copy_locales(root, dist)?;
    let manifest = serde_json::json!({
        "embed.js": "embed.js",
        "checkout.js": checkout.js,
        "checkout_bg.wasm": checkout.wasm,
        "deposit.js": deposit.js,
        "deposit_bg.wasm": deposit.wasm,
        "button.js": button,
        "locales": locales,
    });
    std::fs::write(
        dist.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest)?,
    )?;

    let files = [
        "embed.js",
        "checkout.js",
        &checkout.js,
        &checkout.wasm,
        "deposit.js",
        &deposit.js,
        &deposit.wasm,
        &button,
        "manifest.json",
    ];
    for name in files.into_iter().chain(locales.iter().map(String::as_str)) {
        let bytes = std::fs::read(dist.join(name))?;
        std::fs::write(dist.join(format!("{name}.gz")), gzip(&bytes)?)?;
        std::fs::write(dist.join(format!("{name}.br")), brotli(&bytes)?)?;
    }
    Ok(Assets {
        embed: "embed.js".into(),
        checkout,
        deposit,
        button,
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
    // Prints each file and returns their sum; `also` is counted, not printed again.
    let listed = |also: (u64, u64, u64), names: &[&String]| -> Result<(u64, u64, u64)> {
        let mut total = also;
        for name in names {
            let (raw, gz, br) = sizes(dist, name)?;
            total = (total.0 + raw, total.1 + gz, total.2 + br);
            println!("    {name:<30} {raw:>9} {gz:>9} {br:>9}");
        }
        Ok(total)
    };
    let checkout = &assets.checkout;
    let totals = listed((0, 0, 0), &[&assets.embed, &checkout.js, &checkout.wasm])?;
    println!(
        "    {:<30} {:>9} {:>9} {:>9}   (an English-reading payer of an invoice; budget: 102400 gzip, 87040 brotli)",
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
        "    {:<30} {:>9} {:>9} {:>9}",
        "total, with that translation",
        totals.0 + raw,
        totals.1 + gz,
        totals.2 + br
    );
    let embed = sizes(dist, &assets.embed)?;
    let deposit = listed(embed, &[&assets.deposit.js, &assets.deposit.wasm])?;
    println!(
        "    {:<30} {:>9} {:>9} {:>9}   (instead, on a deposit card: with embed.js, in English)",
        "total", deposit.0, deposit.1, deposit.2
    );
    let (raw, gz, br) = sizes(dist, &assets.button)?;
    println!(
        "    {:<30} {raw:>9} {gz:>9} {br:>9}   (besides, on pages with a pay button)",
        assets.button
    );
    Ok(())
}

/// The widget's builds: the cargo feature that picks what `mount` takes, and the name of the
/// files. Each payer downloads one: an invoice's payer no code of the deposit card, and back.
const BUNDLES: [(&str, &str); 2] = [("invoice", "checkout"), ("deposit", "deposit")];

/// `cargo build` of the widget's WebAssembly with the size profile and only `feature`.
fn widget_build(root: &Path, feature: &str) -> Command {
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
        "--no-default-features",
        "--features",
        feature,
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
fn build_wasm(root: &Path, feature: &str) -> Result<()> {
    if std::env::var_os("RUSTFLAGS").is_none() && has_std_sources() {
        let mut small = widget_build(root, feature);
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
    run(&mut widget_build(root, feature))
}

/// `wasm-opt` with the features rustc enables by default for wasm32 today, which it must be told of.
fn wasm_opt(tools: &Tools) -> Command {
    let mut command = Command::new(&tools.wasm_opt);
    command.args([
        "--enable-bulk-memory",
        "--enable-nontrapping-float-to-int",
        "--enable-sign-ext",
        "--enable-mutable-globals",
        "--enable-reference-types",
        "--enable-multivalue",
    ]);
    command
}

/// Renames what the wasm and its JavaScript glue call each other by (`__wbg_createElement_<hash>`,
/// closure shims named after their Rust types, the `./checkout_bg.js` module) to one or two
/// letters, in both files: the long names are mostly hashes, which no compression shrinks. About
/// 5 KB gzip less, as a JavaScript minifier would do if it could see into the wasm.
fn shorten_names(tools: &Tools, dist: &Path, name: &str) -> Result<()> {
    let bg = dist.join(format!("{name}_bg.wasm"));
    let mut command = wasm_opt(tools);
    command
        .arg("--minify-imports-and-exports-and-modules")
        .arg(&bg)
        .arg("-o")
        .arg(&bg);
    println!(
        "$ wasm-opt --minify-imports-and-exports-and-modules {}",
        bg.display()
    );
    let map = output(&mut command).context("wasm-opt could not shorten the wasm's import names")?;
    let glue_path = dist.join(format!("{name}.js"));
    let module = first_import_module(&std::fs::read(&bg)?)
        .context("the shortened wasm has no import to read its module name from")?;
    let glue = rename_in_glue(&std::fs::read_to_string(&glue_path)?, name, &map, &module)?;
    std::fs::write(&glue_path, glue)?;
    Ok(())
}

/// Applies wasm-opt's renaming `map` (`{"imports": [[module, name, new]], "exports": [[name, new]]}`)
/// and the new module name to wasm-bindgen's glue: the keys of the import object, its module
/// name, and each `wasm.name`.
/// Fails rather than guess when the glue is not shaped as expected (a new wasm-bindgen).
fn rename_in_glue(glue: &str, name: &str, map: &str, new_module: &str) -> Result<String> {
    let map: serde_json::Value =
        serde_json::from_str(map).context("wasm-opt's renaming map is not JSON")?;
    let pairs = |key: &str, from: usize, to: usize| -> Result<Vec<(String, String)>> {
        map[key]
            .as_array()
            .with_context(|| format!("wasm-opt's renaming map has no {key}"))?
            .iter()
            .map(|entry| {
                let name = |i: usize| entry[i].as_str().map(str::to_owned);
                name(from)
                    .zip(name(to))
                    .context("a renaming entry is not strings")
            })
            .collect()
    };
    let imports = pairs("imports", 1, 2)?;
    let exports = pairs("exports", 0, 1)?;
    let module = format!("\"./{name}_bg.js\": import0");
    anyhow::ensure!(
        glue.matches(&module).count() == 1,
        "wasm-bindgen's glue no longer imports from {module}; update xtask/src/widget.rs"
    );
    let mut glue = glue.replacen(&module, &format!("\"{new_module}\": import0"), 1);
    for (old, new) in &imports {
        let replaced;
        (glue, replaced) = replace_whole(&glue, &format!("{old}:"), &format!("{new}:"));
        anyhow::ensure!(
            replaced == 1,
            "wasm-bindgen's glue does not provide the import {old}"
        );
    }
    // Some exports are for the host only (`__abort_handler`) and not in the glue.
    for (old, new) in &exports {
        (glue, _) = replace_whole(&glue, &format!("wasm.{old}"), &format!("wasm.{new}"));
    }
    for used in glue.split("wasm.").skip(1) {
        let name: String = used
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '$')
            .collect();
        anyhow::ensure!(
            exports.iter().any(|(_, new)| *new == name),
            "wasm-bindgen's glue uses `wasm.{name}`, which the shortened wasm does not export"
        );
    }
    Ok(glue)
}

/// `text` with each whole-word `old` replaced (not part of a longer name: old names may prefix
/// one another, `…_true_` and `…_true__5`), and how many there were.
fn replace_whole(text: &str, old: &str, new: &str) -> (String, usize) {
    let is_name =
        |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut replaced = 0;
    while let Some(at) = rest.find(old) {
        let before = rest[..at].chars().last().or_else(|| out.chars().last());
        let after = rest[at + old.len()..].chars().next();
        out.push_str(&rest[..at]);
        if is_name(before) || is_name(after) {
            out.push_str(old);
        } else {
            out.push_str(new);
            replaced += 1;
        }
        rest = &rest[at + old.len()..];
    }
    out.push_str(rest);
    (out, replaced)
}

/// The module name of a wasm binary's first import (wasm-opt gives them all the same short one).
fn first_import_module(wasm: &[u8]) -> Option<String> {
    fn leb(bytes: &[u8], at: &mut usize) -> Option<usize> {
        let (mut value, mut shift) = (0usize, 0);
        loop {
            let byte = *bytes.get(*at)?;
            *at += 1;
            value |= usize::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
            shift += 7;
        }
    }
    let mut at = 8; // magic and version
    while at < wasm.len() {
        let id = wasm[at];
        at += 1;
        let size = leb(wasm, &mut at)?;
        if id == 2 {
            leb(wasm, &mut at)?; // the number of imports
            let len = leb(wasm, &mut at)?;
            return String::from_utf8(wasm.get(at..at + len)?.to_vec()).ok();
        }
        at += size;
    }
    None
}

/// Builds the widget into `widget/dist` and returns that folder.
pub fn build(root: &Path, tools: &Tools) -> Result<PathBuf> {
    let dist = root.join("widget").join("dist");
    if dist.exists() {
        std::fs::remove_dir_all(&dist)?;
    }
    std::fs::create_dir_all(&dist)?;
    let built = target_dir(root)?.join("wasm32-unknown-unknown/wasm-release/checkout_widget.wasm");
    for (feature, name) in BUNDLES {
        step(&format!(
            "building the widget's {name}.js (feature {feature}; wasm32, size profile)"
        ));
        build_wasm(root, feature)?;
        run(Command::new(&tools.wasm_bindgen)
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                name,
                "--out-dir",
            ])
            .arg(&dist)
            .arg(&built))?;
        let bg = dist.join(format!("{name}_bg.wasm"));
        // -Oz until it stops shrinking; the first 1 KB of memory is never used by Rust (its
        // stack starts at 1 MB), which lets more loads and stores fold their offsets. 1.1 KB
        // brotli less than one -Oz pass on the invoice build (2026-12-05).
        run(wasm_opt(tools)
            .args(["--low-memory-unused", "-Oz", "--converge"])
            // Which compiler and features built it: for tools, not for payers.
            .args(["--strip-producers", "--strip-target-features"])
            .arg(&bg)
            .arg("-o")
            .arg(&bg))?;
        shorten_names(tools, &dist, name)?;
    }
    let assets = finish_assets(root, &dist, tools)?;
    report(&dist, &assets)?;
    Ok(dist)
}

#[cfg(test)]
mod tests {
    use super::{first_import_module, rename_in_glue, replace_whole};

    #[test]
    fn whole_names_only() {
        let text = "wasm.f_true_(1); wasm.f_true__5(2); xwasm.f_true_;";
        let (out, n) = replace_whole(text, "wasm.f_true_", "wasm.a");
        assert_eq!(out, "wasm.a(1); wasm.f_true__5(2); xwasm.f_true_;");
        assert_eq!(n, 1);
    }

    const MAP: &str = r#"{"imports": [["./checkout_bg.js", "__wbg_get_0123", "b"]],
        "exports": [["mount", "c"], ["__abort_handler", "d"], ["memory", "e"]]}"#;

    #[test]
    fn renames_the_import_object_and_the_calls() {
        let glue = r#"export function mount(e) { return wasm.mount(e); }
const import0 = { __proto__: null, __wbg_get_0123: function(a) { return a; } };
return { __proto__: null, "./checkout_bg.js": import0 };
view = new Uint8Array(wasm.memory.buffer);"#;
        let out = rename_in_glue(glue, "checkout", MAP, "a").unwrap();
        assert_eq!(
            out,
            r#"export function mount(e) { return wasm.c(e); }
const import0 = { __proto__: null, b: function(a) { return a; } };
return { __proto__: null, "a": import0 };
view = new Uint8Array(wasm.e.buffer);"#
        );
    }

    #[test]
    fn refuses_glue_it_does_not_understand() {
        let missing_import = r#"const import0 = {}; return { "./checkout_bg.js": import0 };"#;
        assert!(rename_in_glue(missing_import, "checkout", MAP, "a").is_err());
        let unknown_export = r#"const import0 = { __wbg_get_0123: 1 };
return { "./checkout_bg.js": import0 }; wasm.other();"#;
        assert!(rename_in_glue(unknown_export, "checkout", MAP, "a").is_err());
    }

    #[test]
    fn reads_the_import_module() {
        // magic, version; a type section (id 1, 4 bytes); an import section with one import.
        let mut wasm = b"\0asm\x01\0\0\0\x01\x04\x01\x60\0\0".to_vec();
        wasm.extend_from_slice(b"\x02\x07\x01\x01a\x01b\x00\x00");
        assert_eq!(first_import_module(&wasm).as_deref(), Some("a"));
        assert_eq!(first_import_module(b"\0asm\x01\0\0\0"), None);
    }
}
