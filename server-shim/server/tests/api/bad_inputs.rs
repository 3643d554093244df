//! Bad input, however malformed, gets a clear 4xx and changes nothing.

use crate::support::{ScratchDb, TestApp, snapshot, usdt_invoice};

/// How many bad inputs the test sends.
const CASES: usize = 40;

/// The lines of `after` that are not in `before` and the reverse.
fn diff(before: &str, after: &str) -> String {
    let gone = before
        .lines()
        .filter(|l| !after.contains(l))
        .map(|l| format!("- {l}"));
    let new = after
        .lines()
        .filter(|l| !before.contains(l))
        .map(|l| format!("+ {l}"));
    gone.chain(new).collect::<Vec<_>>().join("\n")
}
use serde_json::{Value, json};
use shim_gateway::{ApiKey, sign_webhook};

struct Case {
    what: &'static str,
    method: reqwest::Method,
    path: String,
    auth: Option<String>,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: u16,
}

fn create(what: &'static str, app: &TestApp, body: Value) -> Case {
    Case {
        what,
        method: reqwest::Method::POST,
        path: "/v1/invoices".into(),
        auth: Some(app.token.clone()),
        content_type: Some("application/json"),
        body: serde_json::to_vec(&body).unwrap(),
        status: 400,
    }
}

fn with(field: &str, value: Value) -> Value {
    let mut body = usdt_invoice("bad", "1.00");
    body[field] = value;
    body
}

#[tokio::test]
async fn every_bad_input_is_refused_and_changes_nothing() {
    let scratch = ScratchDb::new("bad-inputs");
    let db = scratch.url.clone();
    // No reconciler pass during the test: it would touch the good invoice's check time.
    let quiet = server_shim::services::ReconcilePolicy {
        every: std::time::Duration::from_secs(3600),
        ..Default::default()
    };
    let app = TestApp::spawn_with(&db, quiet).await;
    let (_, good) = app.create(&usdt_invoice("good", "15.00")).await;
    let id = good["id"].as_str().unwrap().to_owned();
    let key = app.sandbox.config().payment_key.clone();
    let webhook = |order: &str, key: &ApiKey| {
        let body = json!({ "type": "payment", "uuid": "u", "order_id": order, "status": "paid", "is_final": true });
        sign_webhook(&serde_json::to_vec(&body).unwrap(), key).unwrap()
    };
    let tampered = String::from_utf8(webhook(&id, &key))
        .unwrap()
        .replace("\"paid\"", "\"paid_over\"")
        .into_bytes();

    let mut cases = vec![
        create("amount as a number", &app, with("amount", json!(15))),
        create(
            "amount with an exponent",
            &app,
            with("amount", json!("1e3")),
        ),
        create("negative amount", &app, with("amount", json!("-5"))),
        create("zero amount", &app, with("amount", json!("0"))),
        create(
            "40 decimals",
            &app,
            with("amount", json!(format!("1.{}", "1".repeat(40)))),
        ),
        create(
            "16-digit amount",
            &app,
            with("amount", json!("9".repeat(16))),
        ),
        create("amount with spaces", &app, with("amount", json!(" 1.00"))),
        create(
            "script tag as currency",
            &app,
            with("currency", json!("<script>")),
        ),
        create("empty currency", &app, with("currency", json!(""))),
        create(
            "script tag as network",
            &app,
            with("network", json!("<script>alert(1)</script>")),
        ),
        create(
            "script tag as coin",
            &app,
            with("to_currency", json!("<img src=x onerror=alert(1)>")),
        ),
        create("empty order id", &app, with("order_id", json!(""))),
        create(
            "129-character order id",
            &app,
            with("order_id", json!("x".repeat(129))),
        ),
        create(
            "control character in order id",
            &app,
            with("order_id", json!("a\u{0}b")),
        ),
        create("short lifetime", &app, with("lifetime", json!(10))),
        create("negative lifetime", &app, with("lifetime", json!(-1))),
        create(
            "javascript: return URL",
            &app,
            with("url_return", json!("javascript:alert(1)")),
        ),
        create(
            "quote in success URL",
            &app,
            with(
                "url_success",
                json!("https://x.example/\" onmouseover=\"alert(1)"),
            ),
        ),
        create(
            "256-character platform reference",
            &app,
            with("platform_order_ref", json!("r".repeat(256))),
        ),
        create("unknown field", &app, with("amout", json!("1"))),
        create("array body", &app, json!([1, 2])),
        create("string body", &app, json!("invoice")),
        create("null body", &app, json!(null)),
    ];
    let raw = |what, body: &[u8], status| Case {
        what,
        method: reqwest::Method::POST,
        path: "/v1/invoices".into(),
        auth: Some(app.token.clone()),
        content_type: Some("application/json"),
        body: body.to_vec(),
        status,
    };
    cases.push(raw("not JSON", b"{amount: 1", 400));
    cases.push(raw(
        "invalid UTF-8",
        b"{\"order_id\":\"\xff\",\"amount\":\"1\",\"currency\":\"USD\"}",
        400,
    ));
    cases.push(raw("64 KiB and more", &vec![b' '; 70 * 1024], 413));
    let mut extra = vec![
        Case {
            what: "no token",
            auth: None,
            ..create("", &app, usdt_invoice("x", "1"))
        },
        Case {
            what: "wrong token",
            auth: Some("shk_wrong".into()),
            ..create("", &app, usdt_invoice("x", "1"))
        },
        Case {
            what: "empty token",
            auth: Some(String::new()),
            ..create("", &app, usdt_invoice("x", "1"))
        },
        Case {
            what: "text/plain body",
            content_type: Some("text/plain"),
            ..create("", &app, usdt_invoice("x", "1"))
        },
        Case {
            what: "no content type",
            content_type: None,
            ..create("", &app, usdt_invoice("x", "1"))
        },
    ];
    for case in &mut extra {
        case.status = match case.what {
            "text/plain body" | "no content type" => 415,
            _ => 401,
        };
    }
    cases.extend(extra);
    let get = |what, path: String, status| Case {
        what,
        method: reqwest::Method::GET,
        path,
        auth: None,
        content_type: None,
        body: Vec::new(),
        status,
    };
    cases.push(get(
        "script tag as invoice id",
        "/v1/invoices/%3Cscript%3E".into(),
        404,
    ));
    cases.push(get("NUL in invoice id", "/v1/invoices/inv_%00".into(), 404));
    cases.push(get(
        "stream of a bad id",
        "/v1/invoices/..%2F..%2Fetc/events".into(),
        404,
    ));
    cases.push(get("unknown route", "/v2/anything".into(), 404));
    cases.push(Case {
        what: "wrong method",
        method: reqwest::Method::DELETE,
        ..get("", "/v1/invoices".into(), 405)
    });
    let ipn = |what, body: Vec<u8>| Case {
        what,
        method: reqwest::Method::POST,
        path: "/v1/ipn/cryptomus".into(),
        auth: None,
        content_type: Some("application/json"),
        body,
        status: 401,
    };
    cases.push(ipn(
        "forged webhook",
        webhook(&id, &ApiKey::new("not-the-key".into())),
    ));
    cases.push(ipn("tampered webhook", tampered));
    cases.push(ipn("empty webhook", Vec::new()));
    cases.push(ipn(
        "webhook without sign",
        br#"{"type":"payment","order_id":"x"}"#.to_vec(),
    ));
    assert_eq!(cases.len(), CASES, "every case is counted");

    let before = snapshot(&db).await;
    for case in cases {
        let mut request = app
            .http
            .request(case.method.clone(), format!("{}{}", app.url, case.path))
            .body(case.body);
        if let Some(token) = &case.auth {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some(content_type) = case.content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), case.status, "{}", case.what);
        let body: Value = response
            .json()
            .await
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", case.what));
        let message = body["error"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("{}: {body}", case.what));
        assert!(
            !message.is_empty() && body["error"]["code"].is_string(),
            "{}: {body}",
            case.what
        );
        assert!(
            !message.contains("<script>"),
            "{}: the message echoes markup: {message}",
            case.what
        );
        // The inbox, the event log, the outbox, the invoices and the rest: as they were.
        let after = snapshot(&db).await;
        assert!(
            after == before,
            "{} changed the database:\n{}",
            case.what,
            diff(&before, &after)
        );
    }

    // The pay page of an unknown id neither echoes it nor fails.
    let page = app
        .http
        .get(format!(
            "{}/pay/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            app.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 404);
    assert!(!page.text().await.unwrap().contains("<script>alert(1)"));

    // Nothing changed: no invoice but the good one, and it is as it was.
    let (status, again) = app.create(&usdt_invoice("bad", "1.00")).await;
    assert_eq!(
        status, 201,
        "no bad request left an invoice for order \"bad\": {again}"
    );
    let (_, view) = app.invoice(&id).await;
    assert_eq!(
        (view["status"].as_str(), view["version"].as_u64()),
        (Some("pending"), Some(1))
    );
    scratch.remove();
}
