//! The widget's files, served from a directory (`--widget-dir`, `cargo xtask build-widget`'s
//! `widget/dist`) or, in a release built with `embedded-widget`, from inside the binary: the same
//! answers either way (brotli or gzip as the browser accepts, the content type, an ETag so that a
//! returning payer downloads nothing, and the cache rules of `widget_cache`).

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use include_dir::Dir;
use sha2::Digest as _;

/// The widget built into this binary, if it was built with `embedded-widget`.
pub fn embedded() -> Option<&'static Dir<'static>> {
    #[cfg(feature = "embedded-widget")]
    {
        static WIDGET: Dir<'static> =
            include_dir::include_dir!("$CARGO_MANIFEST_DIR/../../widget/dist");
        Some(&WIDGET)
    }
    #[cfg(not(feature = "embedded-widget"))]
    {
        None
    }
}

/// Where the widget's files come from.
#[derive(Debug, Clone, Copy)]
pub enum WidgetFiles<'a> {
    /// A directory holding a built widget.
    Dir(&'a std::path::Path),
    /// Files inside the binary.
    Embedded(&'static Dir<'static>),
}

impl<'a> WidgetFiles<'a> {
    /// `dir` when it holds a built widget (`embed.js`), else the widget inside the binary, else
    /// `dir` anyway (its files are then missing, and `doctor` says so).
    pub fn pick(dir: &'a std::path::Path) -> Self {
        match embedded() {
            Some(files) if !dir.join("embed.js").is_file() => WidgetFiles::Embedded(files),
            _ => WidgetFiles::Dir(dir),
        }
    }

    /// File `name`'s bytes.
    pub fn read(&self, name: &str) -> Option<Vec<u8>> {
        match self {
            WidgetFiles::Dir(dir) => std::fs::read(dir.join(name)).ok(),
            WidgetFiles::Embedded(files) => files.get_file(name).map(|f| f.contents().to_vec()),
        }
    }
}

/// The content type of a widget file, by its extension.
fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "js" => "text/javascript",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "css" => "text/css",
        "html" => "text/html; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

/// Whether the request's `Accept-Encoding` takes `encoding`.
fn accepts(headers: &HeaderMap, encoding: &str) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            name.eq_ignore_ascii_case(encoding) && !refused
        })
}

/// Answers `request` from `files` (embedded): the file under `/widget/`, compressed as the
/// browser accepts when a compressed copy is there; 304 when the browser has it already.
pub async fn serve_embedded(files: &'static Dir<'static>, request: Request<Body>) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let path = request.uri().path().trim_start_matches('/');
    let path = path.strip_prefix("widget/").unwrap_or(path);
    let Some(plain) = files.get_file(path).filter(|_| !path.contains("..")) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let headers = request.headers();
    let (file, encoding) = [("br", ".br"), ("gzip", ".gz")]
        .iter()
        .find_map(|(encoding, suffix)| {
            let compressed = files.get_file(format!("{path}{suffix}"))?;
            accepts(headers, encoding).then_some((compressed, Some(*encoding)))
        })
        .unwrap_or((plain, None));
    let digest = sha2::Sha256::digest(file.contents());
    let etag = format!(
        "\"{}{}\"",
        hex::encode(&digest[..8]),
        encoding.map_or("", |e| &e[..1])
    );
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|given| given.split(',').any(|tag| tag.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else if request.method() == Method::HEAD {
        StatusCode::OK.into_response()
    } else {
        (StatusCode::OK, file.contents()).into_response()
    };
    let answer = response.headers_mut();
    answer.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(path)),
    );
    answer.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Ok(tag) = HeaderValue::from_str(&etag) {
        answer.insert(header::ETAG, tag);
    }
    if let Some(encoding) = encoding {
        answer.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    if request.method() == Method::HEAD {
        answer.insert(
            header::CONTENT_LENGTH,
            HeaderValue::from(file.contents().len()),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_read_as_browsers_send_them() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, deflate, br;q=0"),
        );
        assert!(accepts(&headers, "gzip"));
        assert!(!accepts(&headers, "br"), "refused with q=0");
        assert_eq!(
            content_type("checkout_bg.0123456789.wasm"),
            "application/wasm"
        );
    }
}
