//! With `embedded-widget`, the built widget (`widget/dist`) goes inside the binary: rebuild when
//! it changes, and say what to do when it was never built.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_FEATURE_EMBEDDED_WIDGET").is_none() {
        return;
    }
    let dist = std::path::Path::new("../../widget/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    if !dist.join("embed.js").is_file() {
        println!(
            "cargo:warning=embedded-widget: widget/dist holds no built widget; run `cargo xtask build-widget` first"
        );
        std::process::exit(1);
    }
}
