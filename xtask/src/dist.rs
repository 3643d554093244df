//! `cargo xtask dist`: the installable packages of the shop plugins, as zips a merchant uploads.

use crate::cmd::step;
use anyhow::{Context as _, Result, bail};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// A plugin package: its folder, the name of the folder inside the zip, and the zip's name.
struct Package {
    source: &'static str,
    folder: &'static str,
    zip: &'static str,
    /// The file whose `Version:` header names the release.
    versioned: &'static str,
}

const PACKAGES: &[Package] = &[
    Package {
        source: "plugins/woocommerce/crypto-checkout",
        folder: "crypto-checkout",
        zip: "crypto-checkout-woocommerce",
        versioned: "crypto-checkout.php",
    },
    Package {
        source: "plugins/prestashop/cryptocheckout",
        folder: "cryptocheckout",
        zip: "cryptocheckout-prestashop",
        versioned: "cryptocheckout.php",
    },
];

/// The `Version:` header of a WordPress-style plugin file.
fn version_of(file: &Path) -> Result<String> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
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
        let version = version_of(&source.join(package.versioned))?;
        let path = out.join(format!("{}-{version}.zip", package.zip));
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path)?);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(0o644);
        let files = files_under(&source)?;
        if files.is_empty() {
            bail!("{} is empty", source.display());
        }
        for file in &files {
            let relative = file
                .strip_prefix(&source)?
                .to_string_lossy()
                .replace('\\', "/");
            zip.start_file(format!("{}/{relative}", package.folder), options)?;
            zip.write_all(&std::fs::read(file)?)?;
        }
        zip.finish()?;
        println!(
            "    {} ({} files, {} bytes)",
            path.display(),
            files.len(),
            std::fs::metadata(&path)?.len()
        );
        written.push(path);
    }
    Ok(written)
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
            zips[0].ends_with("crypto-checkout-woocommerce-0.1.0.zip"),
            "{zips:?}"
        );
        let archive = zip::ZipArchive::new(std::fs::File::open(&zips[0]).unwrap()).unwrap();
        let names: Vec<String> = archive
            .file_names()
            .map(|name| name.unwrap().into_owned())
            .collect();
        for expected in [
            "crypto-checkout/crypto-checkout.php",
            "crypto-checkout/readme.txt",
            "crypto-checkout/includes/class-wc-gateway-crypto-checkout.php",
            "crypto-checkout/assets/blocks.js",
        ] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} missing: {names:?}"
            );
        }
        assert!(names.iter().all(|n| n.starts_with("crypto-checkout/")));
        assert!(
            zips[1].ends_with("cryptocheckout-prestashop-0.1.0.zip"),
            "{zips:?}"
        );
        std::fs::remove_dir_all(&out).unwrap();
    }
}
