use crate::support::{ScratchDb, TestApp, usdt_invoice};
use serde_json::{Value, json};

#[tokio::test]
async fn creating_is_idempotent_per_order() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let (status, first) = app.create(&usdt_invoice("1001", "15.00")).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["status"], "pending");
    assert_eq!(first["payer_amount"], "15.000000");
    assert!(first["address"].as_str().unwrap().starts_with('T'));
    assert_eq!(
        first["pay_url"],
        format!("{}/pay/{}", app.url, first["id"].as_str().unwrap())
    );
    assert!(first["seconds_left"].as_u64().unwrap() > 3500);

    let (status, again) = app.create(&usdt_invoice("1001", "15.00")).await;
    assert_eq!(status, 200);
    assert_eq!(again["id"], first["id"]);

    let (status, conflict) = app.create(&usdt_invoice("1001", "16.00")).await;
    assert_eq!(status, 409);
    assert_eq!(conflict["error"]["code"], "conflict");
    assert!(
        conflict["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1001")
    );
}

#[tokio::test]
async fn bad_requests_get_a_clear_error_and_create_nothing() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({ "order_id": "x", "amount": "1e3", "currency": "USD" }),
            "amount",
        ),
        (
            json!({ "order_id": "x", "amount": "-5", "currency": "USD" }),
            "amount",
        ),
        (
            json!({ "order_id": "x", "amount": format!("1.{}", "1".repeat(40)), "currency": "USD" }),
            "amount",
        ),
        (
            json!({ "order_id": "x", "amount": 15, "currency": "USD" }),
            "expected a string",
        ),
        (json!({ "order_id": "x", "currency": "USD" }), "amount"),
        (
            json!({ "order_id": "x", "amount": "1", "currency": "<script>" }),
            "currency",
        ),
        (
            json!({ "order_id": "", "amount": "1", "currency": "USD" }),
            "order_id",
        ),
        (
            json!({ "order_id": "x", "amount": "1", "currency": "USD", "lifetime": 5 }),
            "lifetime",
        ),
        (
            json!({ "order_id": "x", "amount": "1", "currency": "USD", "url_success": "javascript:alert(1)" }),
            "url_success",
        ),
        (
            json!({ "order_id": "x", "amount": "1", "currency": "USD", "colour": "red" }),
            "colour",
        ),
    ];
    for (body, mentions) in cases {
        let (status, answer) = app.create(&body).await;
        assert_eq!(status, 400, "{body} -> {answer}");
        assert_eq!(answer["error"]["code"], "invalid_request", "{body}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(mentions),
            "{body}: {message:?} should mention {mentions:?}"
        );
    }
    // None of the above left an invoice behind: the order id is still free for any amount.
    let (status, _) = app.create(&usdt_invoice("x", "2.00")).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn transport_problems_are_named() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let url = format!("{}/v1/invoices", app.url);
    let send = |request: reqwest::RequestBuilder| async move {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json::<Value>().await.unwrap())
    };

    let (status, body) = send(app.http.post(&url).bearer_auth(&app.token).body("{}")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (415, Some("unsupported_media_type"))
    );

    let (status, body) = send(
        app.http
            .post(&url)
            .bearer_auth(&app.token)
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_request"))
    );

    let invalid_utf8 = b"{\"order_id\":\"\xff\",\"amount\":\"1\",\"currency\":\"USD\"}".to_vec();
    let (status, _) = send(
        app.http
            .post(&url)
            .bearer_auth(&app.token)
            .header("content-type", "application/json")
            .body(invalid_utf8),
    )
    .await;
    assert_eq!(status, 400);

    let huge = format!("{{\"order_id\":\"{}\"}}", "x".repeat(100_000));
    let (status, body) = send(
        app.http
            .post(&url)
            .bearer_auth(&app.token)
            .header("content-type", "application/json")
            .body(huge),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("payload_too_large"))
    );

    let (status, body) = send(app.http.post(&url).json(&usdt_invoice("t", "1"))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, body) = send(
        app.http
            .post(&url)
            .bearer_auth("shk_wrong")
            .json(&usdt_invoice("t", "1")),
    )
    .await;
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (401, Some("unknown shop token"))
    );
    let (status, _) = send(
        app.http
            .post(&url)
            .header("authorization", "Basic abc")
            .json(&usdt_invoice("t", "1")),
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn unknown_invoices_are_404_everywhere() {
    let app = TestApp::spawn("sqlite::memory:").await;
    for id in ["inv_0000", "nope", "inv_%ff", "inv_..%2F..%2Fetc"] {
        let (status, body) = app.invoice(id).await;
        assert_eq!(status, 404, "{id}");
        assert_eq!(body["error"]["code"], "not_found");
    }
    let page = app.get("/pay/inv_0000").await;
    assert_eq!(page.status().as_u16(), 404);
    assert!(page.text().await.unwrap().contains("not valid"));
    let (status, body) = {
        let r = app
            .http
            .delete(format!("{}/v1/whatever", app.url))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    };
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
}

#[tokio::test]
async fn a_refusal_at_the_gateway_leaves_the_order_free() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let mut body = usdt_invoice("2001", "5.00");
    body["network"] = json!("btc");
    let (status, refused) = app.create(&body).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"]["code"], "gateway_rejected");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("network")
    );

    let (status, created) = app.create(&usdt_invoice("2001", "5.00")).await;
    assert_eq!(status, 201, "{created}");
}

#[tokio::test]
async fn the_pay_page_loads_the_widget_for_known_invoices() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let (_, invoice) = app.create(&usdt_invoice("3001", "1.00")).await;
    let id = invoice["id"].as_str().unwrap();
    let page = app.get(&format!("/pay/{id}")).await;
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!(r#"data-invoice="{id}""#)));
    assert!(html.contains("/widget/embed.js"));
    // (This response's headers were consumed above; ask again for them.)
    let page = app.get(&format!("/pay/{id}")).await;
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'")
            && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    // Every HTML answer to a payer carries the same policy and refuses framing: the notices of an
    // unknown payment or deposit, and the Shopify pages a buyer meets.
    for path in [
        "/pay/inv_00000000000000000000000000000000",
        "/pay/not-an-id",
        "/wallet/wal_nope",
        "/v1/shopify/proxy/pay?order=1",
    ] {
        let answer = app.get(path).await;
        let headers = answer.headers();
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        assert_eq!(headers["content-security-policy"], csp.as_str(), "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["cache-control"], "no-store", "{path}");
    }
    let cors = app
        .http
        .get(format!("{}/v1/invoices/{id}", app.url))
        .header("origin", "https://shop.example")
        .send()
        .await
        .unwrap();
    assert_eq!(cors.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn an_unreachable_gateway_is_a_clear_503() {
    let scratch = ScratchDb::new("no-gateway");
    let db = scratch.url.clone();
    let store = server_shim::store::Store::connect(&db).await.unwrap();
    store.migrate().await.unwrap();
    let token = server_shim::domain::ShopToken::generate().unwrap();
    let shop = server_shim::domain::Shop {
        id: server_shim::domain::ShopId("s".into()),
        name: "s".into(),
    };
    store.create_shop(&shop, &token.hash(), 0).await.unwrap();
    let settings = server_shim::Settings {
        public_url: Some("https://pay.example".into()),
        // Nothing listens on the discard port: every call fails to connect.
        gateway_url: "http://127.0.0.1:9/".into(),
        merchant_uuid: Some("m".into()),
        payment_key: Some("k".to_owned().into()),
        outbox: server_shim::outbox::OutboxPolicy::default(),
        ..crate::support::settings(&db)
    };
    let app = server_shim::Application::build(&settings).await.unwrap();
    let url = app.url().to_owned();
    tokio::spawn(app.run_until(std::future::pending()));
    let response = reqwest::Client::new()
        .post(format!("{url}/v1/invoices"))
        .bearer_auth(token.reveal())
        .json(&usdt_invoice("3001", "1.00"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "gateway_unavailable");
    let health = reqwest::get(format!("{url}/readyz")).await.unwrap();
    assert_eq!(health.status().as_u16(), 200, "the shim itself stays up");
    scratch.remove();
}

#[tokio::test]
async fn metrics_answer_only_the_operators_token_when_one_is_set() {
    let token = "operators-metrics-token-0123456789";
    let settings = server_shim::Settings {
        metrics_token: Some(token.to_owned().into()),
        ..crate::support::settings("sqlite::memory:")
    };
    let (app, _) = TestApp::spawn_settings(&settings).await;
    let get = |bearer: Option<&str>| {
        let mut request = app.http.get(format!("{}/metrics", app.url));
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        request.send()
    };
    for wrong in [
        None,
        Some("operators-metrics-token-012345678"),
        Some(&app.token[..]),
    ] {
        let refused = get(wrong).await.unwrap();
        assert_eq!(refused.status().as_u16(), 401, "{wrong:?}");
        assert_eq!(
            refused.headers()["www-authenticate"],
            "Bearer realm=\"metrics\""
        );
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthorized");
        assert!(!body.to_string().contains("shim_"), "no counters: {body}");
    }
    let text = get(Some(token)).await.unwrap().text().await.unwrap();
    assert!(text.contains("shim_http_requests_total"), "{text}");
    // The rest of the API does not take it for a shop token.
    let (status, _) = app.create(&usdt_invoice("6102", "1.00")).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn metrics_count_requests_by_route_webhooks_and_streams() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let (_, invoice) = app.create(&usdt_invoice("6101", "1.00")).await;
    let id = invoice["id"].as_str().unwrap();
    app.invoice(id).await;
    app.invoice("inv_0000").await;
    app.sandbox("pay", json!({ "order_id": id, "amount": "1" }))
        .await;
    app.wait_for_status(id, "paid").await;
    let text = app.text("/metrics").await;
    for expected in [
        r#"shim_http_requests_total{route="/v1/invoices",status="2xx"} 1"#,
        r#"shim_http_requests_total{route="/v1/invoices/{id}",status="4xx"} 1"#,
        r#"shim_webhooks_total{outcome="applied"}"#,
        r#"shim_http_request_duration_seconds_count{route="/v1/invoices/{id}"}"#,
        "shim_live_streams 0",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(
        !text.contains(id),
        "raw paths (with ids) never become labels"
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let response = app.get("/healthz").await;
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 36, "a uuid: {id}");
    let response = app
        .http
        .get(format!("{}/healthz", app.url))
        .header("x-request-id", "trace-me-1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["x-request-id"],
        "trace-me-1",
        "a caller's id is kept"
    );
}

#[tokio::test]
async fn public_endpoints_limit_each_client() {
    let limit = server_shim::rate_limit::RateLimit {
        per_second: 1,
        burst: 3,
        ..Default::default()
    };
    let app = TestApp::spawn_configured("sqlite::memory:", Default::default(), limit).await;
    let (_, invoice) = app.create(&usdt_invoice("6201", "1.00")).await;
    let id = invoice["id"].as_str().unwrap();
    for _ in 0..3 {
        assert_eq!(app.invoice(id).await.0, 200);
    }
    let refused = app.get(&format!("/v1/invoices/{id}")).await;
    assert_eq!(refused.status().as_u16(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    // Shops' own calls are not limited by it.
    let (status, _) = app.create(&usdt_invoice("6202", "1.00")).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn the_openapi_document_describes_every_endpoint() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    std::fs::write(
        std::env::temp_dir().join("shim-openapi.json"),
        doc.to_string(),
    )
    .unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/v1/invoices", "post"),
        ("/v1/invoices/{id}", "get"),
        ("/v1/invoices/{id}/events", "get"),
        ("/v1/invoices/{id}/coins", "get"),
        ("/v1/invoices/{id}/coin", "post"),
        ("/v1/ipn/cryptomus", "post"),
        ("/pay/{id}", "get"),
        ("/pay/{id}/receipt", "get"),
        ("/v1/wallets/{id}/events", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
        ("/openapi.json", "get"),
    ] {
        assert!(
            paths[path][method].is_object(),
            "{method} {path} is not described"
        );
    }
    // Every reference points at a schema the document holds.
    fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    out.push(r);
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for r in found {
        let name = r.strip_prefix("#/components/schemas/").unwrap();
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} is missing"
        );
    }
    let view = &doc["components"]["schemas"]["InvoiceView"]["properties"];
    for field in ["status", "payment_uri", "seconds_left", "can_change_coin"] {
        assert!(view[field].is_object(), "InvoiceView.{field}");
    }
}
