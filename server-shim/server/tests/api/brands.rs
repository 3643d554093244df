//! A merchant's brand, set from the command line, on the pages payers see: the display name and
//! logo above the payment, the accent colour on the widget's host and the page's buttons; colours
//! too pale for their text refused with the ratio, and nothing changed.

use crate::cli::{shim, text};
use crate::support::{ScratchDb, TestApp, postgres_url, skipped, usdt_invoice};

/// A 1x1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchants_brand_is_on_the_pay_page_and_pale_colours_are_refused() {
    let scratch = ScratchDb::new("brands");
    brand_story(&scratch.url).await;
    match postgres_url().await {
        Some(url) => brand_story(&url).await,
        None => skipped("the PostgreSQL half: SHIM_TEST_POSTGRES_URL is not set"),
    }
    scratch.remove();
}

async fn brand_story(db: &str) {
    let app = TestApp::spawn(db).await;
    let (_, invoice) = app.create(&usdt_invoice("brand-1", "10.00")).await;
    let page_path = format!("/pay/{}", invoice["id"].as_str().unwrap());
    let plain_page = app.text(&page_path).await;
    assert!(
        !plain_page.contains("style=\"--ckw-brand") && !plain_page.contains("<img class=\"logo\"")
    );

    let dir = std::env::temp_dir().join(format!("brand-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let logo = dir.join("logo.png");
    std::fs::write(&logo, PNG).unwrap();
    let svg = dir.join("logo.svg");
    std::fs::write(
        &svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
    )
    .unwrap();

    // Refused, each with what to fix; nothing changes.
    for (args, says) in [
        (vec!["--accent", "#ffcc00"], "contrast ratio of 1.51:1"),
        (vec!["--accent", "blue"], "#rrggbb"),
        (vec!["--logo", svg.to_str().unwrap()], "PNG, JPEG or WebP"),
        (vec!["--display-name", "a\u{7}b"], "control characters"),
        (vec![], "say what to set"),
    ] {
        let out = shim(
            &[&["shops", "brand", "--name", "demo"][..], &args].concat(),
            db,
        );
        assert!(!out.status.success(), "{args:?}");
        assert!(text(&out).contains(says), "{args:?}: {}", text(&out));
    }
    let unknown = shim(
        &["shops", "brand", "--name", "nobody", "--accent", "#1a4d8f"],
        db,
    );
    assert!(
        text(&unknown).contains("no shop named"),
        "{}",
        text(&unknown)
    );
    let page = app.text(&page_path).await;
    assert!(
        !page.contains("style=\"--ckw-brand")
            && !page.contains("<img class=\"logo\"")
            && !page.contains("class=\"merchant\""),
        "refusals changed nothing: {page}"
    );

    let set = shim(
        &[
            "shops",
            "brand",
            "--name",
            "demo",
            "--display-name",
            "Café Ünïcode & Co",
            "--accent",
            "#1A4D8F",
            "--logo",
            logo.to_str().unwrap(),
        ],
        db,
    );
    assert!(set.status.success(), "{}", text(&set));
    assert!(
        text(&set).contains("accent #1a4d8f, logo image/png"),
        "{}",
        text(&set)
    );

    let page = app.text(&page_path).await;
    assert!(page.contains("Café Ünïcode &amp; Co"), "{page}");
    assert!(
        page.contains(r#"<div id="checkout" style="--ckw-brand: #1a4d8f">"#),
        "{page}"
    );
    let src = page
        .split("<img class=\"logo\" src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no logo: {page}"))
        .replace("&amp;", "&");
    let served = app.get(&src).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    let etag = served.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(served.bytes().await.unwrap().as_ref(), PNG);
    let again = app
        .http
        .get(format!("{}{src}", app.url))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(app.get("/brand/shop_nobody/logo").await.status(), 404);

    // Taken away again, part by part.
    let cleared = shim(
        &[
            "shops", "brand", "--name", "demo", "--clear", "logo", "--clear", "accent",
        ],
        db,
    );
    assert!(cleared.status.success(), "{}", text(&cleared));
    let page = app.text(&page_path).await;
    assert!(
        !page.contains("style=\"--ckw-brand") && !page.contains("<img class=\"logo\""),
        "{page}"
    );
    assert!(
        page.contains("Café Ünïcode &amp; Co"),
        "the name stays: {page}"
    );
    assert_eq!(app.get(&src).await.status(), 404);
    std::fs::remove_dir_all(&dir).unwrap();
}
