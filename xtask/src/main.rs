//! `cargo xtask`: everything needed to build, run and test the kit on a fresh machine.
//!
//! # Layout
//! - `main.rs`: the commands (`setup`, `build-widget`, `demo`, `test`, `bench`, `dist`, `ci`) and
//!   their order; `ci` also lints the shim built without its `demo` feature.
//! - `setup.rs`: installs the tools the build needs, idempotently, into a cache outside the
//!   checkout (`$CHECKOUT_KIT_CACHE`, else `$XDG_CACHE_HOME/checkout-kit`, else
//!   `~/.cache/checkout-kit`), keyed by version.
//! - `widget.rs`: the wasm build of the widget: cargo, wasm-bindgen, wasm-opt, sizes.
//! - `dist.rs`: each platform's installable package (zip), with the shared PHP shim client copied
//!   in.
//! - `leaks.rs`: finding the processes the tests started that outlived them.
//! - `cmd.rs`: running commands visibly, and the tally of passed, failed and skipped tests.

mod cmd;
mod dist;
mod leaks;
mod setup;
mod widget;

use anyhow::{Context as _, Result, bail};
use cmd::{Tally, cargo, run, run_tests, step};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  setup          install what the build and tests need (wasm target, wasm-bindgen, wasm-opt, Chromium)
  build-widget   build the widget to widget/dist and print its sizes
  demo [ARGS]    build the widget and run `server-shim demo ARGS` (e.g. --listen 127.0.0.1:8080)
  test           every test: workspace, widget in headless Chromium, browser end-to-end
  dist           the shop plugins' installable zips, in target/dist
  bench [NAMES]  the budgets, measured: invoice reads against bare axum (reads), webhook
                 intake on SQLite and PostgreSQL when SHIM_TEST_POSTGRES_URL is set (intake),
                 10,000 live streams (streams), idle memory (idle), the invoice list and
                 its search over 1,000,000 invoices (console), the widget's size and its
                 time to QR on the pay page in Chromium (widget); NAMES picks some
  ci             cargo fmt --check, clippy (native and wasm32) with -D warnings, then test
                 with SHIM_TEST_POSTGRES_URL pointing at the local PostgreSQL";

/// The local PostgreSQL every machine of this project runs (trust auth).
const DEFAULT_TEST_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run_command(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace this run is for: the one `cargo xtask` was started in (cargo sets
/// `CARGO_MANIFEST_DIR` when it runs the binary), not the one the binary was built in. Clones
/// sharing a target dir share the binary cargo last linked, whichever clone built it.
fn root() -> PathBuf {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest.parent().map(Path::to_path_buf).unwrap_or_default()
}

fn run_command(args: &[String]) -> Result<()> {
    let root = root();
    let Some(command) = args.first() else {
        println!("{USAGE}");
        return Ok(());
    };
    match command.as_str() {
        "setup" => {
            setup::setup(&root, setup::Needs::ALL)?;
        }
        "build-widget" => {
            let tools = setup::setup(&root, setup::Needs::WIDGET)?;
            widget::build(&root, &tools)?;
        }
        "demo" => {
            let tools = setup::setup(&root, setup::Needs::WIDGET)?;
            let dist = widget::build(&root, &tools)?;
            step("running the demo (Ctrl-C to stop)");
            let mut command = cargo(&root);
            command
                .args([
                    "run",
                    "--quiet",
                    "-p",
                    "server-shim",
                    "--",
                    "demo",
                    "--widget-dir",
                ])
                .arg(&dist);
            command.args(&args[1..]);
            run(&mut command)?;
        }
        "test" => test(&root)?,
        "bench" => bench(&root, &args[1..])?,
        "dist" => {
            dist::dist(&root)?;
            let tools = setup::setup(&root, setup::Needs::DIST)?;
            widget::build(&root, &tools)?;
            step("the operators' shim: one static binary, the widget inside (release)");
            let binary = build_operators(&root, "release")?;
            dist::release_tarball(&root, &binary)?;
        }
        "ci" => ci(&root)?,
        "help" | "--help" | "-h" => println!("{USAGE}"),
        other => bail!("unknown command {other:?}\n\n{USAGE}"),
    }
    Ok(())
}

fn test(root: &Path) -> Result<()> {
    let tools = setup::setup(root, setup::Needs::ALL)?;
    let dist = widget::build(root, &tools)?;
    let postgres = std::env::var("SHIM_TEST_POSTGRES_URL")
        .ok()
        .or_else(|| cmd::override_of("SHIM_TEST_POSTGRES_URL"))
        .filter(|v| !v.is_empty());
    if postgres.is_none() {
        eprintln!(
            "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
             !! SHIM_TEST_POSTGRES_URL is not set: the PostgreSQL store tests are SKIPPED.       !!\n\
             !! Set it (e.g. {DEFAULT_TEST_POSTGRES}) or run `cargo xtask ci`. !!\n\
             !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
        );
    }

    let mut tally = Tally::default();
    // Where tests report the suites they run inside and what they skipped: fresh for this run.
    let reports = std::env::temp_dir().join(format!("checkout-kit-tally-{}", std::process::id()));
    std::fs::write(&reports, "")?;
    // Every process the tests start inherits this mark; any still alive at the end is a leak.
    let run = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    let operators = operators_binary(root)?;
    step("workspace tests (native, including the browser end-to-end tests)");
    let mut native = cargo(root);
    native
        // Every test binary runs even after one fails, so the closing line counts them all.
        .args(["test", "--workspace", "--no-fail-fast"])
        .env(cmd::TALLY_ENV, &reports)
        .env(leaks::RUN_ENV, &run)
        .env("SHIM_WIDGET_DIR", &dist)
        .env("SHIM_OPERATOR_BINARY", &operators)
        .env("CHROMEDRIVER", &tools.chromedriver)
        .env("CHROMIUM", &tools.chromium)
        .env("AXE_CORE_JS", &tools.axe_core)
        .env("WOO_NODE_MODULES", &tools.woo_node_modules)
        .env("WOO_PYTHONPATH", &tools.woo_python)
        .env("PRESTAPYT_PYTHONPATH", &tools.prestapyt)
        .env("SHOPIFY_NODE_PATH", &tools.shopify_node_modules)
        .env(
            "CHECKOUT_EXTENSION_NODE_PATH",
            &tools.checkout_extension_node_modules,
        );
    run_tests(&mut native, &mut tally)?;

    step("widget tests in headless Chromium (wasm-bindgen-test)");
    let runner = tools
        .wasm_bindgen_test_runner
        .as_ref()
        .context("wasm-bindgen-test-runner missing")?;
    let mut wasm = cargo(root);
    // Only the browser test binary: the widget's unit tests are plain #[test]s run natively above.
    wasm.args([
        "test",
        "-p",
        "checkout-widget",
        "--target",
        "wasm32-unknown-unknown",
    ])
    .args(["--test", "browser"])
    .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", runner)
    .env(leaks::RUN_ENV, &run)
    .env("CHROMEDRIVER", &tools.chromedriver)
    .env("WASM_BINDGEN_TEST_TIMEOUT", "60");
    run_tests(&mut wasm, &mut tally)?;

    tally.read_reports(&reports);
    let leaked = leaks::left_running(&run);
    if !leaked.is_empty() {
        println!("\nxtask: processes the tests started are still running (stopped now):");
        for process in &leaked {
            println!("  {process}");
        }
        leaks::stop(&leaked);
        tally
            .failures
            .push(format!("{} process(es) outlived the tests", leaked.len()));
    }
    let _ = std::fs::remove_file(&reports);
    if !tally.skipped.is_empty() {
        println!("\nskipped, not passed:");
        for skip in &tally.skipped {
            println!("  {skip}");
        }
    }
    for failure in &tally.failures {
        println!("\nxtask: {failure}");
    }
    // The plain closing line CI reads, adding up every runner above and the suites tests ran.
    println!("\n{}", tally.line());
    if !tally.failures.is_empty() || tally.failed > 0 {
        bail!("{} test command(s) failed", tally.failures.len().max(1));
    }
    Ok(())
}

fn bench(root: &Path, only: &[String]) -> Result<()> {
    // The widget's size and time to QR need the built widget and a browser.
    let tools = setup::setup(root, setup::Needs::ALL)?;
    let dist = widget::build(root, &tools)?;
    step("building the shim and the load generator (release)");
    run(cargo(root).args([
        "build",
        "--release",
        "-p",
        "server-shim",
        "-p",
        "e2e-tests",
        "--bins",
    ]))?;
    step("benchmarks");
    let target = root.join("target");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or(target);
    run(
        std::process::Command::new(target.join("release").join("shim-bench"))
            .args(only)
            .env("SHIM_WIDGET_DIR", &dist)
            .env("CHROMEDRIVER", &tools.chromedriver)
            .env("CHROMIUM", &tools.chromium),
    )
}

fn ci(root: &Path) -> Result<()> {
    step("cargo fmt --check");
    run(cargo(root).args(["fmt", "--all", "--", "--check"]))
        .context("formatting differs: run `cargo fmt --all`")?;
    step("clippy (native)");
    run(cargo(root).args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    // Clippy on wasm32 needs the target, which setup installs.
    setup::setup(root, setup::Needs::WIDGET)?;
    step("clippy (widget on wasm32)");
    run(cargo(root).args([
        "clippy",
        "-p",
        "checkout-widget",
        "--target",
        "wasm32-unknown-unknown",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    operators_build(root)?;
    if std::env::var_os("SHIM_TEST_POSTGRES_URL").is_none() {
        cmd::ENV_OVERRIDES.with(|env| {
            env.borrow_mut().push((
                "SHIM_TEST_POSTGRES_URL".into(),
                DEFAULT_TEST_POSTGRES.into(),
            ));
        });
    }
    test(root)
}

/// The shim as operators run it, for the test that starts it alone from an empty directory: no
/// demo, the widget just built inside it, static (musl) where the host allows, as `dist` ships it
/// (there in release). Built in a target directory of its own, so that the tests' own
/// `server-shim` (with the demo) is not replaced. Returns the binary.
fn operators_binary(root: &Path) -> Result<PathBuf> {
    step("the operators' shim: one static binary, the widget inside (no demo)");
    build_operators(root, "dev")
}

/// Builds the operators' shim in `profile` (`dev`, `release`); returns the binary.
fn build_operators(root: &Path, profile: &str) -> Result<PathBuf> {
    let target = widget::target_dir(root)?.join("operators");
    let mut build = cargo(root);
    build
        .args([
            "build",
            "-p",
            "server-shim",
            "--no-default-features",
            "--features",
            "embedded-widget,mimalloc",
            "--bin",
            "server-shim",
            "--profile",
            profile,
            "--target-dir",
        ])
        .arg(&target);
    let mut out = target.clone();
    if let Some(triple) = setup::STATIC_TARGET {
        build.args(["--target", triple]);
        out = out.join(triple);
    }
    run(&mut build)?;
    let folder = if profile == "dev" { "debug" } else { profile };
    Ok(out.join(folder).join("server-shim"))
}

/// The shim as operators build it (`--no-default-features`): lint-clean, and without the demo's
/// fake gateway among its dependencies.
fn operators_build(root: &Path) -> Result<()> {
    step("clippy (the shim without the demo feature)");
    run(cargo(root).args([
        "clippy",
        "-p",
        "server-shim",
        "--no-default-features",
        "--lib",
        "--bins",
        "--",
        "-D",
        "warnings",
    ]))?;
    step("the shim without the demo feature links no sandbox");
    let tree = cargo(root)
        .args([
            "tree",
            "-p",
            "server-shim",
            "--no-default-features",
            "--edges",
            "normal",
            "--prefix",
            "none",
        ])
        .output()
        .context("cannot run cargo tree")?;
    if !tree.status.success() {
        bail!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&tree.stderr).trim()
        );
    }
    if let Some(line) = String::from_utf8_lossy(&tree.stdout)
        .lines()
        .find(|line| line.starts_with("cryptomus-sandbox "))
    {
        bail!(
            "the operators' build of server-shim depends on {line}: keep the sandbox behind the `demo` feature"
        );
    }
    Ok(())
}
