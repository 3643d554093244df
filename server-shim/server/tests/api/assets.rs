//! The widget's files as browsers get them: precompressed, cached for a year when their name
//! carries a content hash, revalidated otherwise.

use server_shim::{Application, Settings};

async fn shim_with_widget(dir: &std::path::Path) -> String {
    let settings = Settings {
        widget_dir: dir.to_owned(),
        ..crate::support::settings("sqlite::memory:")
    };
    let app = Application::build_demo(&settings).await.unwrap();
    let url = app.url().to_owned();
    tokio::spawn(app.run_until(std::future::pending()));
    url
}

#[tokio::test]
async fn widget_files_are_precompressed_and_cached_by_name() {
    let dir = std::env::temp_dir().join(format!("shim-assets-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("locales")).unwrap();
    for (name, body) in [
        ("locales/de.0123456789.json", "{}"),
        ("locales/de.0123456789.json.br", "brotli json"),
        ("checkout.0123456789.js", "plain js"),
        ("checkout.0123456789.js.br", "brotli js"),
        ("checkout.0123456789.js.gz", "gzip js"),
        ("embed.js", "plain embed"),
        ("embed.js.gz", "gzip embed"),
    ] {
        std::fs::write(dir.join(name), body).unwrap();
    }
    let url = shim_with_widget(&dir).await;
    // No automatic decompression: the test sees what the browser is sent.
    let http = reqwest::Client::builder().build().unwrap();
    let get = async |path: &str, encoding: &str| {
        http.get(format!("{url}/widget/{path}"))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap()
    };

    let hashed = get("checkout.0123456789.js", "gzip, br").await;
    assert_eq!(hashed.status().as_u16(), 200);
    let headers = hashed.headers().clone();
    assert_eq!(headers["content-encoding"], "br");
    assert_eq!(
        headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert_eq!(hashed.text().await.unwrap(), "brotli js");

    let gzip_only = get("checkout.0123456789.js", "gzip").await;
    assert_eq!(gzip_only.headers()["content-encoding"], "gzip");
    let plain = get("checkout.0123456789.js", "identity").await;
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.text().await.unwrap(), "plain js");

    let embed = get("embed.js", "gzip, br").await;
    assert_eq!(
        embed.headers()["content-encoding"],
        "gzip",
        "no .br of it: gzip"
    );
    assert_eq!(embed.headers()["cache-control"], "no-cache");
    let modified = embed.headers()["last-modified"].clone();
    let again = http
        .get(format!("{url}/widget/embed.js"))
        .header("if-modified-since", modified)
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.status().as_u16(),
        304,
        "a returning payer downloads nothing"
    );

    // A language's words, fetched by the widget from another origin than the page's.
    let words = get("locales/de.0123456789.json", "gzip, br").await;
    assert_eq!(words.status().as_u16(), 200);
    assert_eq!(words.headers()["content-encoding"], "br");
    assert_eq!(
        words.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(words.headers()["access-control-allow-origin"], "*");
    assert!(
        words.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("json")
    );

    let missing = get("nothing.js", "gzip").await;
    assert_eq!(missing.status().as_u16(), 404);
    assert!(missing.headers().get("cache-control").is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}
