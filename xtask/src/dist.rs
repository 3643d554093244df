//! `cargo xtask dist`: the installable packages of the shop plugins, as zips a merchant uploads.

use crate::cmd::step;
use anyhow::{Context as _, Result, bail};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// A plugin package: what goes into its zip, and under which names.
struct Package {
    /// The folder whose files are packed.
    source: &'static str,
    /// Their folder inside the zip ("": at its root).
    folder: &'static str,
    /// The zip's file name; `{version}` is replaced.
    zip: &'static str,
    /// The file that names the release: a `Version:` header, or `install.json`'s `version`.
    versioned: &'static str,
    /// Files from elsewhere in the repository (shared with other packages, so kept once), and
    /// where they go inside `folder`, in groups. None may stand where `source` has a file.
    extra: &'static [&'static [(&'static str, &'static str)]],
}

/// The shim's client, one source for every platform's package.
const SHIM_CLIENT: &str = "plugins/php-common/CryptoCheckoutShimClient.php";

/// The OpenCart extension's library, shared by its two packages: the core (which loads the rest),
/// what both versions' catalog and admin controllers do, and the shim's client.
const OPENCART_LIBRARY: &[(&str, &str)] = &[
    (
        "plugins/opencart/core/CryptoCheckoutCore.php",
        "system/library/crypto_checkout/core.php",
    ),
    (
        "plugins/opencart/core/CryptoCheckoutCatalog.php",
        "system/library/crypto_checkout/catalog.php",
    ),
    (
        "plugins/opencart/core/CryptoCheckoutAdmin.php",
        "system/library/crypto_checkout/admin.php",
    ),
    (
        SHIM_CLIENT,
        "system/library/crypto_checkout/shim_client.php",
    ),
];

/// The OpenCart extension's languages, the same in both packages, where 3.0 looks for them.
const OPENCART3_LANGUAGES: &[(&str, &str)] = &[
    (
        "plugins/opencart/core/language/en-gb/admin.php",
        "admin/language/en-gb/extension/payment/crypto_checkout.php",
    ),
    (
        "plugins/opencart/core/language/en-gb/catalog.php",
        "catalog/language/en-gb/extension/payment/crypto_checkout.php",
    ),
];

/// The same, where 4.x looks for them.
const OPENCART4_LANGUAGES: &[(&str, &str)] = &[
    (
        "plugins/opencart/core/language/en-gb/admin.php",
        "admin/language/en-gb/payment/crypto_checkout.php",
    ),
    (
        "plugins/opencart/core/language/en-gb/catalog.php",
        "catalog/language/en-gb/payment/crypto_checkout.php",
    ),
];

const PACKAGES: &[Package] = &[
    Package {
        source: "plugins/woocommerce/crypto-checkout",
        folder: "crypto-checkout",
        zip: "crypto-checkout-woocommerce-{version}.zip",
        versioned: "plugins/woocommerce/crypto-checkout/crypto-checkout.php",
        extra: &[&[(
            SHIM_CLIENT,
            "includes/class-crypto-checkout-shim-client.php",
        )]],
    },
    Package {
        source: "plugins/prestashop/cryptocheckout",
        folder: "cryptocheckout",
        zip: "cryptocheckout-prestashop-{version}.zip",
        versioned: "plugins/prestashop/cryptocheckout/cryptocheckout.php",
        extra: &[&[(SHIM_CLIENT, "classes/CryptoCheckoutShimClient.php")]],
    },
    // OpenCart 3 installs `upload/` over the shop (Extensions > Installer).
    Package {
        source: "plugins/opencart/oc3/upload",
        folder: "upload",
        zip: "crypto-checkout-opencart3-{version}.ocmod.zip",
        versioned: "plugins/opencart/oc4/crypto_checkout/install.json",
        extra: &[OPENCART_LIBRARY, OPENCART3_LANGUAGES],
    },
    // OpenCart 4 names the extension after the zip: it must be `crypto_checkout.ocmod.zip`, with
    // `install.json` at its root.
    Package {
        source: "plugins/opencart/oc4/crypto_checkout",
        folder: "",
        zip: "crypto_checkout.ocmod.zip",
        versioned: "plugins/opencart/oc4/crypto_checkout/install.json",
        extra: &[OPENCART_LIBRARY, OPENCART4_LANGUAGES],
    },
];

/// The release `file` names: its `Version:` header (WordPress, PrestaShop), or the `version` of
/// an OpenCart `install.json`.
fn version_of(file: &Path) -> Result<String> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    if file.extension().is_some_and(|e| e == "json") {
        let json: serde_json::Value = serde_json::from_str(&text)?;
        return json["version"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("{} has no version", file.display()));
    }
    text.lines()
        .find_map(|line| {
            line.trim_start_matches([' ', '*'])
                .strip_prefix("Version:")
                .map(|v| v.trim().to_owned())
        })
        .with_context(|| format!("{} has no Version: header", file.display()))
}

fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Writes every package's zip into `target/dist`; returns their paths.
pub fn dist(root: &Path) -> Result<Vec<PathBuf>> {
    step("plugin packages");
    dist_into(root, &root.join("target").join("dist"))
}

fn dist_into(root: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out)?;
    let mut written = Vec::new();
    for package in PACKAGES {
        let source = root.join(package.source);
        let version = version_of(&root.join(package.versioned))?;
        let path = out.join(package.zip.replace("{version}", &version));
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path)?);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(0o644);
        let files = files_under(&source)?;
        if files.is_empty() {
            bail!("{} is empty", source.display());
        }
        let inside = |relative: &str| match package.folder {
            "" => relative.to_owned(),
            folder => format!("{folder}/{relative}"),
        };
        for file in &files {
            let relative = file
                .strip_prefix(&source)?
                .to_string_lossy()
                .replace('\\', "/");
            zip.start_file(inside(&relative), options)?;
            zip.write_all(&std::fs::read(file)?)?;
        }
        let extra: Vec<&(&str, &str)> = package.extra.iter().copied().flatten().collect();
        for (from, to) in &extra {
            if source.join(to).exists() {
                bail!(
                    "{} has {to}, which packaging copies from {from}: keep one",
                    source.display()
                );
            }
            zip.start_file(inside(to), options)?;
            zip.write_all(
                &std::fs::read(root.join(from)).with_context(|| format!("reading {from}"))?,
            )?;
        }
        zip.finish()?;
        println!(
            "    {} ({} files, {} bytes)",
            path.display(),
            files.len() + extra.len(),
            std::fs::metadata(&path)?.len()
        );
        written.push(path);
    }
    Ok(written)
}

/// What the release tarball holds beside the binary: the repository's file, and its name inside.
const TARBALL_FILES: &[(&str, &str)] = &[
    ("deploy/shim.toml.example", "shim.toml.example"),
    ("deploy/server-shim.service", "server-shim.service"),
    ("deploy/prometheus/alerts.yml", "prometheus/alerts.yml"),
    (
        "deploy/prometheus/grafana-dashboard.json",
        "prometheus/grafana-dashboard.json",
    ),
];

/// The short install text in the tarball.
const INSTALL: &str = "server-shim: the crypto checkout shim, one static binary (the widget inside, no demo).

  install -m 755 server-shim /usr/local/bin/server-shim
  install -d -m 750 /etc/server-shim
  install -m 640 shim.toml.example /etc/server-shim/shim.toml      # set public_url, merchant_uuid
  install -m 600 /dev/null /etc/server-shim/secrets.env            # SHIM_PAYMENT_KEY=...
  install -m 644 server-shim.service /etc/systemd/system/
  systemctl daemon-reload && systemctl enable --now server-shim

Put HTTPS in front (Caddy: `reverse_proxy 127.0.0.1:8080`), then check everything with
`server-shim doctor --config /etc/server-shim/shim.toml`, add a shop with
`server-shim shops add --name my-shop`, and back the database up with `server-shim backup --to FILE`.
The whole walk-through: deploy/README.md in the repository; every setting: docs/operators.md.
";

/// Writes `target/dist/server-shim-<version>-<target>.tar.gz`: `binary`, the example settings,
/// the systemd unit, the alert rules and dashboard, and INSTALL, in one folder. Returns its path.
pub fn release_tarball(root: &Path, binary: &Path) -> Result<PathBuf> {
    let version = workspace_version(root)?;
    let triple = crate::setup::STATIC_TARGET.unwrap_or("native");
    let name = format!("server-shim-{version}-{triple}");
    let out = root.join("target").join("dist");
    let staging = out.join(&name);
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
    std::fs::create_dir_all(staging.join("prometheus"))?;
    std::fs::copy(binary, staging.join("server-shim"))
        .with_context(|| format!("reading {}", binary.display()))?;
    for (from, to) in TARBALL_FILES {
        std::fs::copy(root.join(from), staging.join(to))
            .with_context(|| format!("reading {from}"))?;
    }
    std::fs::write(staging.join("INSTALL"), INSTALL)?;
    let tarball = out.join(format!("{name}.tar.gz"));
    crate::cmd::run(
        std::process::Command::new("tar")
            .args([
                "--create",
                "--gzip",
                "--owner=0",
                "--group=0",
                "--sort=name",
                "--file",
            ])
            .arg(&tarball)
            .arg("-C")
            .arg(&out)
            .arg(&name),
    )?;
    std::fs::remove_dir_all(&staging)?;
    println!(
        "    {} ({} bytes)",
        tarball.display(),
        std::fs::metadata(&tarball)?.len()
    );
    Ok(tarball)
}

/// The workspace's version (`[workspace.package] version`).
fn workspace_version(root: &Path) -> Result<String> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml"))?;
    manifest
        .lines()
        .skip_while(|l| l.trim() != "[workspace.package]")
        .find_map(|l| l.trim().strip_prefix("version = "))
        .map(|v| v.trim_matches('"').to_owned())
        .context("Cargo.toml has no [workspace.package] version")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_woocommerce_zip_installs_as_one_plugin_folder() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let out = std::env::temp_dir().join(format!("xtask-dist-{}", std::process::id()));
        let zips = dist_into(&root, &out).unwrap();
        assert!(
            zips[0].ends_with("crypto-checkout-woocommerce-0.2.0.zip"),
            "{zips:?}"
        );
        let woo = names(&zips[0]);
        for expected in [
            "crypto-checkout/crypto-checkout.php",
            "crypto-checkout/readme.txt",
            "crypto-checkout/includes/class-wc-gateway-crypto-checkout.php",
            "crypto-checkout/includes/class-crypto-checkout-route.php",
            "crypto-checkout/includes/class-crypto-checkout-shim-client.php",
            "crypto-checkout/assets/blocks.js",
        ] {
            assert!(
                woo.iter().any(|n| n == expected),
                "{expected} missing: {woo:?}"
            );
        }
        assert!(woo.iter().all(|n| n.starts_with("crypto-checkout/")));
        assert!(
            zips[1].ends_with("cryptocheckout-prestashop-0.2.0.zip"),
            "{zips:?}"
        );
        let presta = names(&zips[1]);
        for expected in [
            "cryptocheckout/cryptocheckout.php",
            "cryptocheckout/classes/CryptoCheckoutShim.php",
            "cryptocheckout/classes/CryptoCheckoutShimClient.php",
        ] {
            assert!(
                presta.iter().any(|n| n == expected),
                "{expected} missing: {presta:?}"
            );
        }
        std::fs::remove_dir_all(&out).unwrap();
    }

    fn names(zip: &Path) -> Vec<String> {
        let archive = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
        archive
            .file_names()
            .map(|name| name.unwrap().into_owned())
            .collect()
    }

    #[test]
    fn the_opencart_packages_install_as_each_version_expects() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let out = std::env::temp_dir().join(format!("xtask-dist-oc-{}", std::process::id()));
        let zips = dist_into(&root, &out).unwrap();
        // 3.x: everything under upload/, the core among the libraries.
        assert!(
            zips[2].ends_with("crypto-checkout-opencart3-0.2.0.ocmod.zip"),
            "{zips:?}"
        );
        let oc3 = names(&zips[2]);
        assert!(oc3.iter().all(|n| n.starts_with("upload/")), "{oc3:?}");
        for expected in [
            "upload/catalog/controller/extension/payment/crypto_checkout.php",
            "upload/admin/controller/extension/payment/crypto_checkout.php",
            "upload/admin/language/en-gb/extension/payment/crypto_checkout.php",
            "upload/catalog/language/en-gb/extension/payment/crypto_checkout.php",
            "upload/system/library/crypto_checkout/core.php",
            "upload/system/library/crypto_checkout/catalog.php",
            "upload/system/library/crypto_checkout/admin.php",
            "upload/system/library/crypto_checkout/shim_client.php",
        ] {
            assert!(
                oc3.iter().any(|n| n == expected),
                "{expected} missing: {oc3:?}"
            );
        }
        // 4.x: named after the extension, install.json at the root.
        assert!(zips[3].ends_with("crypto_checkout.ocmod.zip"), "{zips:?}");
        let oc4 = names(&zips[3]);
        for expected in [
            "install.json",
            "catalog/controller/payment/crypto_checkout.php",
            "admin/controller/payment/crypto_checkout.php",
            "admin/language/en-gb/payment/crypto_checkout.php",
            "catalog/language/en-gb/payment/crypto_checkout.php",
            "system/library/crypto_checkout/core.php",
            "system/library/crypto_checkout/catalog.php",
            "system/library/crypto_checkout/admin.php",
            "system/library/crypto_checkout/shim_client.php",
        ] {
            assert!(
                oc4.iter().any(|n| n == expected),
                "{expected} missing: {oc4:?}"
            );
        }
        std::fs::remove_dir_all(&out).unwrap();
    }

    #[test]
    fn the_workspace_version_is_read_from_the_manifest() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let version = workspace_version(&root).unwrap();
        assert!(version.split('.').count() == 3, "{version}");
    }
}
