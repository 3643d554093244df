//! The widget's files served from inside the binary (as a release built with `embedded-widget`
//! serves them), here from a small fixture: compressed as the browser accepts, typed, and not
//! downloaded again by a browser that has them.

use axum::http::{HeaderValue, StatusCode, header};
use include_dir::{Dir, include_dir};
use server_shim::routes::widget::serve_embedded;

static FIXTURE: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/tests/fixtures/widget");

async fn get(path: &str, headers: &[(header::HeaderName, &str)]) -> axum::response::Response {
    let mut request = axum::http::Request::get(path);
    for (name, value) in headers {
        request = request.header(name, HeaderValue::from_str(value).unwrap());
    }
    serve_embedded(&FIXTURE, request.body(axum::body::Body::empty()).unwrap()).await
}

async fn body(response: axum::response::Response) -> Vec<u8> {
    axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap()
        .to_vec()
}

#[tokio::test]
async fn embedded_files_are_served_compressed_typed_and_cached() {
    let br = get(
        "/widget/embed.js",
        &[(header::ACCEPT_ENCODING, "gzip, deflate, br")],
    )
    .await;
    assert_eq!(br.status(), StatusCode::OK);
    assert_eq!(br.headers()[header::CONTENT_ENCODING], "br");
    assert_eq!(br.headers()[header::CONTENT_TYPE], "text/javascript");
    assert_eq!(br.headers()[header::VARY], "accept-encoding");
    let etag = br.headers()[header::ETAG].to_str().unwrap().to_owned();
    assert_eq!(body(br).await, b"BROTLI-BYTES");

    let gzip = get("/widget/embed.js", &[(header::ACCEPT_ENCODING, "gzip")]).await;
    assert_eq!(gzip.headers()[header::CONTENT_ENCODING], "gzip");
    assert_ne!(
        gzip.headers()[header::ETAG],
        etag.as_str(),
        "each encoding its own tag"
    );
    let plain = get("/widget/embed.js", &[]).await;
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
    assert_eq!(body(plain).await, b"// embed.js of the fixture\n");
    let refused = get("/widget/embed.js", &[(header::ACCEPT_ENCODING, "br;q=0")]).await;
    assert!(refused.headers().get(header::CONTENT_ENCODING).is_none());

    // A returning browser downloads nothing.
    let again = get(
        "/widget/embed.js",
        &[
            (header::ACCEPT_ENCODING, "br"),
            (header::IF_NONE_MATCH, &etag),
        ],
    )
    .await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(body(again).await.is_empty());

    // A file without compressed copies, and what is not there.
    let hashed = get(
        "/widget/checkout.0123456789.js",
        &[(header::ACCEPT_ENCODING, "br")],
    )
    .await;
    assert_eq!(hashed.status(), StatusCode::OK);
    assert!(hashed.headers().get(header::CONTENT_ENCODING).is_none());
    for missing in ["/widget/nope.js", "/widget/../Cargo.toml", "/widget/"] {
        assert_eq!(
            get(missing, &[]).await.status(),
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
    let post = serve_embedded(
        &FIXTURE,
        axum::http::Request::post("/widget/embed.js")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
}
