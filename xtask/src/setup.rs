//! Installs what the build and the tests need, each step printed, each skipped when already done.
//!
//! Tools live in a cache outside the checkout, keyed by version, so that two checkouts (or CI's
//! fresh clones) share them and never fight over a global install.

use crate::cmd::{output, run, step};
use anyhow::{Context as _, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The binaryen release whose `wasm-opt` understands what today's rustc emits. Debian's binaryen is
/// too old (it fails on reference types), so it comes from npm.
const BINARYEN_VERSION: &str = "132.0.0";
/// The terser release that minifies the widget's JavaScript.
const TERSER_VERSION: &str = "5.51.4";
/// WooCommerce's official JavaScript client, which checks the WooCommerce emulator.
const WOO_NPM_VERSION: &str = "1.0.2";
/// WooCommerce's official Python client, the same.
const WOO_PYPI_VERSION: &str = "3.0.0";
/// PrestaShop's Webservice client for Python, which checks the PrestaShop emulator.
const PRESTAPYT_VERSION: &str = "0.11.1";
/// Shopify's GraphQL Admin API client (npm), run against the Shopify emulator.
const SHOPIFY_ADMIN_CLIENT_VERSION: &str = "2.0.0";
/// Shopify's app library (npm), whose webhook and app proxy checks our signatures must pass.
/// It declares Node 22; what the test uses runs on Node 20, the machines' (npm only warns).
const SHOPIFY_API_VERSION: &str = "15.0.0";
/// What the checkout extension is built against (its API version, 2025-10, is Preact's).
const SHOPIFY_UI_EXTENSIONS_VERSION: &str = "2025.10.16";
const PREACT_VERSION: &str = "10.29.8";
const PREACT_SIGNALS_VERSION: &str = "2.11.4";
/// The bundler Shopify CLI builds extensions with.
const ESBUILD_VERSION: &str = "0.28.2";
/// The axe-core release the browser tests check every status screen with (WCAG 2.1 AA).
const AXE_CORE_VERSION: &str = "4.14.1";

/// What a command needs set up.
#[derive(Debug, Clone, Copy)]
pub struct Needs {
    /// The wasm target, wasm-bindgen and wasm-opt.
    pub widget: bool,
    /// Chromium, ChromeDriver and PHP.
    pub browser: bool,
    /// The static (musl) target and its C compiler, for the operators' one binary.
    pub static_build: bool,
}

impl Needs {
    /// Everything.
    pub const ALL: Needs = Needs {
        widget: true,
        browser: true,
        static_build: true,
    };
    /// What building the widget needs.
    pub const WIDGET: Needs = Needs {
        widget: true,
        browser: false,
        static_build: false,
    };
    /// What `dist` needs: the widget, and the static build of the shim that carries it.
    pub const DIST: Needs = Needs {
        widget: true,
        browser: false,
        static_build: true,
    };
}

/// Where the installed tools are.
#[derive(Debug, Default)]
pub struct Tools {
    pub wasm_bindgen: PathBuf,
    pub wasm_bindgen_test_runner: Option<PathBuf>,
    pub wasm_opt: PathBuf,
    /// terser's command-line script (run with `node`), for the widget's JavaScript.
    pub terser: PathBuf,
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
    /// `axe.min.js`, for the accessibility checks in the browser tests.
    pub axe_core: PathBuf,
    /// A `node_modules` folder with `@woocommerce/woocommerce-rest-api`.
    pub woo_node_modules: PathBuf,
    /// A folder for `PYTHONPATH` with the `woocommerce` package.
    pub woo_python: PathBuf,
    /// A folder for `PYTHONPATH` with `prestapyt`.
    pub prestapyt: PathBuf,
    /// A `node_modules` folder with `@shopify/admin-api-client` and `@shopify/shopify-api`.
    pub shopify_node_modules: PathBuf,
    /// A `node_modules` folder with `@shopify/ui-extensions`, Preact and esbuild.
    pub checkout_extension_node_modules: PathBuf,
}

/// The cache folder for tools (and, in CI, the build).
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CHECKOUT_KIT_CACHE") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("checkout-kit")
}

fn done(what: &str) {
    println!("    ok: {what}");
}

/// Sets up what `needs` asks for and returns where the tools are.
pub fn setup(root: &Path, needs: Needs) -> Result<Tools> {
    step("setup");
    let mut tools = Tools::default();
    if needs.widget {
        wasm_target()?;
        std_sources();
        let version = wasm_bindgen_version(root)?;
        (tools.wasm_bindgen, tools.wasm_bindgen_test_runner) = wasm_bindgen_cli(&version)?;
        tools.wasm_opt = wasm_opt()?;
        tools.terser = npm_package(
            "terser",
            TERSER_VERSION,
            "minifying the widget's JavaScript",
        )?
        .join("bin")
        .join("terser");
    }
    if needs.static_build && STATIC_TARGET.is_some() {
        static_build()?;
    }
    if needs.browser {
        (tools.chromium, tools.chromedriver) = system_tools()?;
        tools.axe_core = axe_core()?;
        tools.woo_node_modules = npm_package(
            "@woocommerce/woocommerce-rest-api",
            WOO_NPM_VERSION,
            "checking the WooCommerce emulator with the official client",
        )?
        .join("..")
        .join("..");
        tools.woo_python = pip_package(
            "woocommerce",
            WOO_PYPI_VERSION,
            "checking the WooCommerce emulator with the official client",
        )?;
        tools.prestapyt = pip_package(
            "prestapyt",
            PRESTAPYT_VERSION,
            "checking the PrestaShop emulator with its Webservice client",
        )?;
        tools.shopify_node_modules = npm_packages(
            &format!("shopify-libraries-{SHOPIFY_ADMIN_CLIENT_VERSION}-{SHOPIFY_API_VERSION}"),
            &[
                ("@shopify/admin-api-client", SHOPIFY_ADMIN_CLIENT_VERSION),
                ("@shopify/shopify-api", SHOPIFY_API_VERSION),
            ],
            "checking the Shopify emulator and signatures with Shopify's own libraries",
        )?;
        tools.checkout_extension_node_modules = npm_packages(
            &format!("shopify-ui-extensions-{SHOPIFY_UI_EXTENSIONS_VERSION}"),
            &[
                ("@shopify/ui-extensions", SHOPIFY_UI_EXTENSIONS_VERSION),
                ("preact", PREACT_VERSION),
                ("@preact/signals", PREACT_SIGNALS_VERSION),
                ("esbuild", ESBUILD_VERSION),
            ],
            "building the Shopify checkout extension as Shopify CLI does",
        )?;
    }
    Ok(tools)
}

fn wasm_target() -> Result<()> {
    rust_target("wasm32-unknown-unknown")
}

/// Rust target `target`, added with rustup when missing.
fn rust_target(target: &str) -> Result<()> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"]))
        .with_context(|| {
            format!("rustup is needed to add the {target} target; install Rust with rustup")
        })?;
    if installed.lines().any(|l| l.trim() == target) {
        done(&format!("rust target {target}"));
        return Ok(());
    }
    run(Command::new("rustup").args(["target", "add", target]))
}

/// The target of the operators' static binary on this host (x86_64 Linux), if there is one.
pub const STATIC_TARGET: Option<&str> = if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
    Some("x86_64-unknown-linux-musl")
} else {
    None
};

/// The musl target and `musl-gcc` (the C parts of SQLite and ring are compiled for it), installed
/// from rustup and Debian's packages when missing.
fn static_build() -> Result<()> {
    if let Some(target) = STATIC_TARGET {
        rust_target(target)?;
    }
    install_system_tools(&[SystemTool {
        what: "musl-gcc (for the shim's static build)",
        programs: &["musl-gcc"],
        packages: &["musl-tools"],
    }])?;
    done("musl-gcc");
    Ok(())
}

/// The standard library's sources, which the widget's smallest build compiles (see
/// `widget::build_wasm`); without them the widget is built the standard way, a little larger.
fn std_sources() {
    let installed = output(Command::new("rustup").args(["component", "list", "--installed"]))
        .unwrap_or_default();
    if installed.lines().any(|l| l.trim().starts_with("rust-src")) {
        done("rust component rust-src");
        return;
    }
    if let Err(e) = run(Command::new("rustup").args(["component", "add", "rust-src"])) {
        println!(
            "    !! could not add rust-src ({e:#}): the widget will be built the standard way, \
             about 12 KB gzip larger"
        );
    }
}

/// The `wasm-bindgen` version in Cargo.lock: the CLI must match it exactly.
fn wasm_bindgen_version(root: &Path) -> Result<String> {
    let lock =
        std::fs::read_to_string(root.join("Cargo.lock")).context("cannot read Cargo.lock")?;
    let mut versions = Vec::new();
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            versions.push(version.trim_end_matches('"').to_owned());
        }
    }
    match versions.as_slice() {
        [version] => Ok(version.clone()),
        [] => bail!("Cargo.lock has no wasm-bindgen package"),
        _ => bail!(
            "Cargo.lock has several wasm-bindgen versions ({}); the CLI must match the one the widget \
             uses: unify them with `cargo update -p wasm-bindgen`",
            versions.join(", ")
        ),
    }
}

fn wasm_bindgen_cli(version: &str) -> Result<(PathBuf, Option<PathBuf>)> {
    let dir = cache_dir()
        .join("tools")
        .join(format!("wasm-bindgen-{version}"));
    let bin = dir.join("bin").join("wasm-bindgen");
    let runner = dir.join("bin").join("wasm-bindgen-test-runner");
    let installed =
        output(Command::new(&bin).arg("--version")).is_some_and(|v| v.contains(version));
    if installed {
        done(&format!("wasm-bindgen-cli {version}"));
    } else {
        println!(
            "    installing wasm-bindgen-cli {version} into {} (a few minutes, once)",
            dir.display()
        );
        // Not --locked: the CLI's own lock file pins a webpki-roots the registry mirror lacks.
        run(Command::new("cargo")
            .args([
                "install",
                "wasm-bindgen-cli",
                "--version",
                version,
                "--force",
                "--root",
            ])
            .arg(&dir))?;
    }
    Ok((bin, runner.is_file().then_some(runner)))
}

fn wasm_opt() -> Result<PathBuf> {
    let dir = cache_dir()
        .join("tools")
        .join(format!("binaryen-{BINARYEN_VERSION}"));
    let bin = dir.join("node_modules").join(".bin").join("wasm-opt");
    if output(Command::new(&bin).arg("--version")).is_some() {
        done(&format!("wasm-opt (binaryen {BINARYEN_VERSION})"));
        return Ok(bin);
    }
    if output(Command::new("npm").arg("--version")).is_none() {
        bail!(
            "npm is needed to install wasm-opt (binaryen {BINARYEN_VERSION}); install Node.js and npm, e.g. `apt-get install nodejs npm`"
        );
    }
    std::fs::create_dir_all(&dir)?;
    run(Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(&dir)
        .arg(format!("binaryen@{BINARYEN_VERSION}")))?;
    Ok(bin)
}

/// Installs `package@version` from npm into the tool cache (once); returns its folder.
fn npm_package(package: &str, version: &str, needed_for: &str) -> Result<PathBuf> {
    let folder = format!(
        "{}-{version}",
        package.trim_start_matches('@').replace('/', "-")
    );
    Ok(npm_packages(&folder, &[(package, version)], needed_for)?.join(package))
}

/// Installs npm `packages` (name, version) together into the tool cache folder `folder` (once);
/// returns its `node_modules`.
fn npm_packages(folder: &str, packages: &[(&str, &str)], needed_for: &str) -> Result<PathBuf> {
    let dir = cache_dir().join("tools").join(folder);
    let modules = dir.join("node_modules");
    let names = packages
        .iter()
        .map(|(package, version)| format!("{package} {version}"))
        .collect::<Vec<_>>()
        .join(", ");
    if packages
        .iter()
        .all(|(package, _)| modules.join(package).join("package.json").is_file())
    {
        done(&names);
        return Ok(modules);
    }
    if output(Command::new("npm").arg("--version")).is_none() {
        bail!(
            "npm is needed to install {names} ({needed_for}); install Node.js and npm, e.g. `apt-get install nodejs npm`"
        );
    }
    std::fs::create_dir_all(&dir)?;
    run(Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(&dir)
        .args(
            packages
                .iter()
                .map(|(package, version)| format!("{package}@{version}")),
        ))?;
    Ok(modules)
}

/// Installs `package==version` from PyPI (with its dependencies) into a folder of the tool cache
/// (once); returns that folder, for `PYTHONPATH`.
fn pip_package(package: &str, version: &str, needed_for: &str) -> Result<PathBuf> {
    let dir = cache_dir()
        .join("tools")
        .join(format!("pypi-{package}-{version}"));
    let done_marker = dir.join(".installed");
    if done_marker.is_file() {
        done(&format!("{package} {version} (PyPI)"));
        return Ok(dir);
    }
    if output(Command::new("python3").arg("--version")).is_none() {
        bail!(
            "python3 with pip is needed to install {package} {version} ({needed_for}); install it, e.g. `apt-get install python3-pip`"
        );
    }
    std::fs::create_dir_all(&dir)?;
    run(Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--upgrade",
            "--target",
        ])
        .arg(&dir)
        .arg(format!("{package}=={version}")))?;
    std::fs::write(&done_marker, "")?;
    Ok(dir)
}

fn axe_core() -> Result<PathBuf> {
    Ok(npm_package("axe-core", AXE_CORE_VERSION, "the accessibility checks")?.join("axe.min.js"))
}

fn which(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_some_and(|id| id.trim() == "0")
}

const CHROMIUM_NAMES: &[&str] = &["chromium", "chromium-browser", "google-chrome"];

/// A program the tests need, and the Debian packages that provide it.
struct SystemTool {
    what: &'static str,
    programs: &'static [&'static str],
    packages: &'static [&'static str],
}

const SYSTEM_TOOLS: &[SystemTool] = &[
    SystemTool {
        what: "Chromium",
        programs: CHROMIUM_NAMES,
        packages: &["chromium"],
    },
    SystemTool {
        what: "ChromeDriver",
        programs: &["chromedriver"],
        packages: &["chromium-driver"],
    },
    SystemTool {
        what: "PHP (for the gateway conformance test and the plugins)",
        programs: &["php"],
        packages: &["php-cli"],
    },
    SystemTool {
        what: "PHPUnit (for the plugins' tests)",
        programs: &["phpunit"],
        packages: &["phpunit"],
    },
    SystemTool {
        what: "docker-compose (to check deploy/compose.yaml; no daemon needed)",
        programs: &["docker-compose"],
        packages: &["docker-compose"],
    },
];

/// Installs `tools` from Debian's packages when some are missing (as root with apt-get), or says
/// what to install.
fn install_system_tools(tools: &[SystemTool]) -> Result<()> {
    let missing: Vec<&SystemTool> = tools
        .iter()
        .filter(|t| which(t.programs).is_none())
        .collect();
    if !missing.is_empty() {
        let packages: Vec<&str> = missing
            .iter()
            .flat_map(|t| t.packages.iter().copied())
            .collect();
        let install = format!(
            "apt-get update && apt-get install -y {}",
            packages.join(" ")
        );
        let names: Vec<&str> = missing.iter().map(|t| t.what).collect();
        if !is_root() || which(&["apt-get"]).is_none() {
            bail!(
                "this needs {}. Install them, e.g. as root on Debian: {install}",
                names.join(", ")
            );
        }
        println!(
            "    installing {} from Debian (about a minute, once)",
            names.join(", ")
        );
        run(Command::new("apt-get").arg("update").arg("-qq"))?;
        run(Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(&packages)
            .env("DEBIAN_FRONTEND", "noninteractive"))?;
        if let Some(still) = tools.iter().find(|t| which(t.programs).is_none()) {
            bail!(
                "apt-get finished but {} is still not on PATH; try: {install}",
                still.what
            );
        }
    }
    Ok(())
}

/// Chromium, ChromeDriver and PHP, installed together from Debian's packages when missing.
fn system_tools() -> Result<(PathBuf, PathBuf)> {
    install_system_tools(SYSTEM_TOOLS)?;
    match (
        which(CHROMIUM_NAMES),
        which(&["chromedriver"]),
        which(&["php"]),
    ) {
        (Some(chromium), Some(driver), Some(php)) => {
            done(&format!(
                "{}, {} and {}",
                chromium.display(),
                driver.display(),
                php.display()
            ));
            Ok((chromium, driver))
        }
        _ => bail!("Chromium, ChromeDriver or PHP is missing after setup"),
    }
}
