//! Pay buttons: defined through the API, started from pages on their allowed origins only,
//! disabled and enabled again, and fenced against a client calling them in a loop.

use crate::support::{TestApp, status_and_json};
use serde_json::{Value, json};
use server_shim::services::buttons::MAX_OPEN_PER_CLIENT;

const SHOP_ORIGIN: &str = "https://shop.example";

async fn define(app: &TestApp, body: Value) -> (u16, Value) {
    app.shop_post("/v1/buttons", &body).await
}

async fn coffee(app: &TestApp) -> String {
    let (status, button) = define(
        app,
        json!({
            "amount": "15.00", "currency": "USD", "description": "Coffee beans, 1 kg",
            "allowed_origins": [SHOP_ORIGIN, "http://localhost:8081/"],
        }),
    )
    .await;
    assert_eq!(status, 201, "{button}");
    button["id"].as_str().unwrap().to_owned()
}

/// A click on button `id` from a page on `origin` (none: not from a browser).
async fn click(app: &TestApp, id: &str, origin: Option<&str>) -> (u16, Value) {
    let mut request = app
        .http
        .post(format!("{}/v1/buttons/{id}/invoices", app.url));
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    status_and_json(request.send().await.unwrap()).await
}

#[tokio::test]
async fn a_click_from_an_allowed_page_starts_an_invoice_at_the_buttons_price() {
    for database in crate::support::database_urls().await {
        let app = TestApp::spawn(&database).await;
        let id = coffee(&app).await;

        let (status, payment) = click(&app, &id, Some(SHOP_ORIGIN)).await;
        assert_eq!(status, 201, "{database}: {payment}");
        assert_eq!(payment["description"], "Coffee beans, 1 kg");
        assert_eq!(payment["merchant"], "demo");
        let invoice = payment["invoice_id"].as_str().unwrap();
        assert_eq!(
            payment["pay_url"],
            format!("{}/pay/{invoice}", app.url),
            "{payment}"
        );
        let (_, view) = app.invoice(invoice).await;
        assert_eq!(view["amount"], "15.00", "{view}");
        assert_eq!(view["currency"], "USD");
        assert_eq!(view["can_change_coin"], true, "the payer picks the coin");

        // The origin as the merchant wrote it, normalised; every click is a fresh invoice.
        let (status, again) = click(&app, &id, Some("http://localhost:8081")).await;
        assert_eq!(status, 201, "{again}");
        assert_ne!(again["invoice_id"], payment["invoice_id"]);

        let list: Value = app.shop_json("/v1/buttons").await;
        let listed = list["buttons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["id"] == id.as_str())
            .unwrap();
        assert_eq!(listed["uses"], 2, "{database}: {list}");
        assert_eq!(
            listed["allowed_origins"],
            json!([SHOP_ORIGIN, "http://localhost:8081"])
        );
        let snippet = listed["snippet"].as_str().unwrap();
        assert_eq!(
            snippet,
            format!(
                r#"<script src="{}/widget/embed.js" data-button="{id}" async></script>"#,
                app.url
            )
        );
    }
}

#[tokio::test]
async fn clicks_from_elsewhere_on_disabled_or_unknown_buttons_are_refused_plainly() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let id = coffee(&app).await;

    let (status, error) = click(&app, &id, Some("https://evil.example")).await;
    assert_eq!(status, 403, "{error}");
    assert_eq!(error["error"]["code"], "forbidden");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("does not take payments from https://evil.example")
            && message.contains(SHOP_ORIGIN),
        "{message}"
    );
    let (status, error) = click(&app, &id, None).await;
    assert_eq!(status, 403);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no Origin header"),
        "{error}"
    );

    let toggle = |action: &str| {
        app.http
            .post(format!("{}/v1/buttons/{id}/{action}", app.url))
            .bearer_auth(&app.token)
            .send()
    };
    let disabled: Value = toggle("disable").await.unwrap().json().await.unwrap();
    assert_eq!(disabled["enabled"], false, "{disabled}");
    let (status, error) = click(&app, &id, Some(SHOP_ORIGIN)).await;
    assert_eq!(status, 410, "{error}");
    assert_eq!(error["error"]["code"], "disabled");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("disabled by the merchant")
    );
    assert_eq!(toggle("enable").await.unwrap().status().as_u16(), 200);
    assert_eq!(click(&app, &id, Some(SHOP_ORIGIN)).await.0, 201);

    let (status, error) = click(&app, "btn_nothing", Some(SHOP_ORIGIN)).await;
    assert_eq!(status, 404, "{error}");
    assert_eq!(error["error"]["message"], "this pay button does not exist");
    // Refusals made nothing: one invoice so far, from the one accepted click.
    let list: Value = app.shop_json("/v1/buttons").await;
    let uses: Vec<i64> = list["buttons"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["id"] == id.as_str())
        .map(|b| b["uses"].as_i64().unwrap())
        .collect();
    assert_eq!(uses, [1], "{list}");
}

#[tokio::test]
async fn bad_definitions_get_clear_errors_and_make_nothing() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let base = json!({
        "amount": "15.00", "currency": "USD", "description": "Coffee",
        "allowed_origins": [SHOP_ORIGIN],
    });
    let with = |key: &str, value: Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    for (body, names) in [
        (with("amount", json!("-3")), "amount"),
        (with("currency", json!("dollars!")), "currency"),
        (with("description", json!("")), "description"),
        (
            with("allowed_origins", json!([])),
            "allowed_origins must list",
        ),
        (
            with("allowed_origins", json!(["https://shop.example/checkout"])),
            "is not an origin",
        ),
        (
            with("url_success", json!("javascript:alert(1)")),
            "url_success",
        ),
        (with("price", json!("1")), "unknown field `price`"),
    ] {
        let (status, error) = define(&app, body.clone()).await;
        assert_eq!(status, 400, "{body}: {error}");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains(names), "{body}: {message}");
    }
    let response = app.post("/v1/buttons", &base).await;
    assert_eq!(response.status().as_u16(), 401);
    let list: Value = app.shop_json("/v1/buttons").await;
    assert!(
        list["buttons"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["description"] != "Coffee"),
        "{list}"
    );
    // Another shop's token cannot touch the demo shop's buttons.
    let id = coffee(&app).await;
    let response = app
        .http
        .post(format!("{}/v1/buttons/{id}/disable", app.url))
        .bearer_auth("shk_not_a_token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
}

#[tokio::test]
async fn a_client_clicking_in_a_loop_is_stopped_and_the_service_stays_healthy() {
    for database in crate::support::database_urls().await {
        let app = TestApp::spawn(&database).await;
        let id = coffee(&app).await;
        let mut started = Vec::new();
        for _ in 0..MAX_OPEN_PER_CLIENT {
            let (status, payment) = click(&app, &id, Some(SHOP_ORIGIN)).await;
            assert_eq!(status, 201, "{database}: {payment}");
            started.push(payment["invoice_id"].as_str().unwrap().to_owned());
        }
        // Enough invoices wait for this client: no more until one ends.
        let (status, error) = click(&app, &id, Some(SHOP_ORIGIN)).await;
        assert_eq!(status, 429, "{database}: {error}");
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains("already have 5 payments waiting"),
            "{error}"
        );
        let expired = &started[0];
        app.sandbox("expire", json!({ "order_id": expired })).await;
        app.wait_for_status(expired, "expired").await;
        assert_eq!(click(&app, &id, Some(SHOP_ORIGIN)).await.0, 201);

        // Spread over other buttons, the client still meets its rate: 10 starts, then one per
        // few seconds, with Retry-After.
        let other = coffee(&app).await;
        let mut statuses = Vec::new();
        for _ in 0..6 {
            statuses.push(click(&app, &other, Some(SHOP_ORIGIN)).await.0);
        }
        // 7 tokens went on the first button (the refused click too); a slow machine may have
        // earned one back meanwhile.
        let started_here = statuses.iter().filter(|&&s| s == 201).count();
        assert!(
            (3..=4).contains(&started_here) && statuses.ends_with(&[429, 429]),
            "{database}: {statuses:?}"
        );
        let response = app
            .http
            .post(format!("{}/v1/buttons/{other}/invoices", app.url))
            .header("origin", SHOP_ORIGIN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 429);
        assert!(response.headers().contains_key("retry-after"));
        let error: Value = response.json().await.unwrap();
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains("too many payments started from this address"),
            "{error}"
        );

        // The loop hurt nobody else: health, readiness and invoice reads answer.
        for path in ["/healthz", "/readyz"] {
            let response = app.http.get(format!("{}{path}", app.url)).send().await;
            assert_eq!(response.unwrap().status().as_u16(), 200, "{path}");
        }
        assert_eq!(app.invoice(&started[1]).await.0, 200);
    }
}

#[tokio::test]
async fn pages_on_other_origins_may_post_to_the_public_endpoints() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let id = coffee(&app).await;
    let (_, payment) = click(&app, &id, Some(SHOP_ORIGIN)).await;
    let invoice = payment["invoice_id"].as_str().unwrap();
    // The browser asks first (a JSON POST is not a "simple" request): the button's click and the
    // embedded widget's coin picker.
    for path in [
        format!("/v1/buttons/{id}/invoices"),
        format!("/v1/invoices/{invoice}/coin"),
    ] {
        let response = app
            .http
            .request(reqwest::Method::OPTIONS, format!("{}{path}", app.url))
            .header("origin", SHOP_ORIGIN)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
        assert_eq!(response.headers()["access-control-allow-origin"], "*");
    }
    // Other methods still get the JSON 405.
    let response = app
        .http
        .delete(format!("{}/v1/buttons/{id}/invoices", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 405);
    let error: Value = response.json().await.unwrap();
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("DELETE is not allowed")
    );
}
