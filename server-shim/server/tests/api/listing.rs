//! The shop's view of its invoices: `GET /v1/invoices` (pages, filters, the search) and
//! `GET /v1/invoices/{id}/history`, on every backend.

use crate::support::{ScratchDb, TestApp, call, call_as, postgres_url, skipped, usdt_invoice};
use reqwest::Method;
use serde_json::{Value, json};
use server_shim::domain::{Shop, ShopId, ShopToken};
use server_shim::store::Store;

/// The ids of a page's invoices, in order.
fn ids(page: &Value) -> Vec<String> {
    page["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The ids `GET /v1/invoices?{query}` finds, all pages.
async fn found(app: &TestApp, query: &str) -> Vec<String> {
    let (status, page) = call(app, Method::GET, &format!("/v1/invoices?{query}"), None).await;
    assert_eq!(status, 200, "{query}: {page}");
    ids(&page)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_lists_filters_and_searches_its_invoices() {
    // A file, not memory: the story adds a second shop through a store of its own.
    let scratch = ScratchDb::new("listing");
    list_story(&scratch.url).await;
    match postgres_url().await {
        Some(url) => list_story(&url).await,
        None => skipped("the PostgreSQL half: SHIM_TEST_POSTGRES_URL is not set"),
    }
    scratch.remove();
}

/// `ids`, sorted as a set.
fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

async fn list_story(db: &str) {
    let app = TestApp::spawn(db).await;
    // Five invoices, the last made first in the list; one paid with a known transaction id.
    let mut made = Vec::new();
    for (n, amount) in ["15.00", "20.00", "15", "7.50", "99.00"].iter().enumerate() {
        let (status, invoice) = app
            .create(&usdt_invoice(&format!("list-{n}"), amount))
            .await;
        assert_eq!(status, 201, "{invoice}");
        made.push(invoice["id"].as_str().unwrap().to_owned());
    }
    let paid = made[1].clone();
    app.sandbox(
        "pay",
        json!({ "order_id": paid, "amount": "20", "txid": "tx-list-1" }),
    )
    .await;
    app.wait_for_status(&paid, "paid").await;
    // All of them, newest first (those of one second in id order); then two at a time,
    // following the cursor to the end.
    let (_, all) = call(&app, Method::GET, "/v1/invoices", None).await;
    let newest_first = ids(&all);
    assert_eq!(sorted(newest_first.clone()), sorted(made.clone()), "{all}");
    let times: Vec<&str> = all["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["created_at"].as_str().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("/v1/invoices?limit=2&cursor={c}"),
            None => "/v1/invoices?limit=2".to_owned(),
        };
        let (status, page) = call(&app, Method::GET, &query, None).await;
        assert_eq!(status, 200, "{page}");
        assert!(ids(&page).len() <= 2, "{page}");
        pages.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, newest_first, "the pages, one after the other");

    // What a list item says.
    let (_, page) = call(&app, Method::GET, &format!("/v1/invoices?q={paid}"), None).await;
    let item = &page["invoices"][0];
    assert_eq!(
        (
            item["order_id"].as_str(),
            item["status"].as_str(),
            item["txid"].as_str()
        ),
        (Some("list-1"), Some("paid"), Some("tx-list-1")),
        "{item}"
    );
    assert!(
        item["created_at"].as_str().unwrap().ends_with('Z'),
        "{item}"
    );

    // Filters.
    assert_eq!(found(&app, "status=paid").await, [paid.as_str()]);
    assert_eq!(found(&app, "status=pending").await.len(), 4);
    assert_eq!(
        found(&app, "coin=usdt").await,
        newest_first,
        "coin, any case"
    );
    assert!(found(&app, "coin=BTC").await.is_empty());
    assert!(
        found(
            &app,
            "created_from=2000-01-01T00:00:00Z&created_to=2001-01-01T00:00:00Z"
        )
        .await
        .is_empty()
    );
    assert_eq!(
        found(&app, "created_from=2000-01-01T00:00:00Z").await,
        newest_first
    );

    // The search: by id, order id, address, transaction id, gateway uuid, exact amount.
    assert_eq!(
        found(&app, &format!("q={}", made[3])).await,
        [made[3].clone()]
    );
    assert_eq!(found(&app, "q=list-4").await, [made[4].as_str()]);
    let (_, view) = app.invoice(&paid).await;
    let address = view["address"].as_str().unwrap();
    assert_eq!(found(&app, &format!("q={address}")).await, [paid.as_str()]);
    assert_eq!(found(&app, "q=tx-list-1").await, [paid.as_str()]);
    let uuid = app.gateway_uuid(&paid).await;
    assert_eq!(found(&app, &format!("q={uuid}")).await, [paid.as_str()]);
    assert_eq!(
        sorted(found(&app, "q=15").await),
        sorted(vec![made[0].clone(), made[2].clone()]),
        "15 finds 15.00 and 15"
    );
    assert_eq!(found(&app, "q=7.5").await, [made[3].as_str()]);
    assert!(found(&app, "q=nothing-like-this").await.is_empty());
    assert_eq!(found(&app, "q=15&status=pending&limit=1").await.len(), 1);

    // Another shop sees none of them, and finds none by search.
    let store = Store::connect(db).await.unwrap();
    let token = ShopToken::generate().unwrap();
    let other = Shop {
        id: ShopId("shop_other".into()),
        name: "other".into(),
    };
    store.create_shop(&other, &token.hash(), 0).await.unwrap();
    let (status, theirs) = call_as(&app, token.reveal(), Method::GET, "/v1/invoices", None).await;
    assert_eq!((status, ids(&theirs).len()), (200, 0), "{theirs}");
    let (_, theirs) = call_as(
        &app,
        token.reveal(),
        Method::GET,
        &format!("/v1/invoices?q={paid}"),
        None,
    )
    .await;
    assert!(ids(&theirs).is_empty(), "{theirs}");
    let (status, _) = call_as(
        &app,
        token.reveal(),
        Method::GET,
        &format!("/v1/invoices/{paid}/history"),
        None,
    )
    .await;
    assert_eq!(
        status, 404,
        "another shop's invoice has no history for this one"
    );

    // The paid invoice's history: made, then the gateway's word, oldest first, with times.
    let (status, history) = call(
        &app,
        Method::GET,
        &format!("/v1/invoices/{paid}/history"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{history}");
    let events = history["events"].as_array().unwrap();
    assert_eq!(events[0]["source"], "create", "{history}");
    let last = events.last().unwrap();
    assert!(
        last["outcome"].as_str().unwrap().contains("paid") && last["version"].as_i64() > Some(1),
        "{history}"
    );
    assert!(
        events
            .iter()
            .all(|e| e["at"].as_str().is_some_and(|t| t.ends_with('Z'))),
        "{history}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_list_queries_get_clear_errors() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let (status, _) = call(&app, Method::GET, "/v1/invoices", None).await;
    assert_eq!(status, 200);
    for (query, names) in [
        ("status=done", "status"),
        ("created_from=yesterday", "created_from"),
        ("created_to=2026-13-01T00:00:00Z", "created_to"),
        ("coin=US%20DT", "coin"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=many", "limit"),
        ("cursor=abc", "cursor"),
        ("cursor=12.not-an-invoice", "cursor"),
        ("stauts=paid", "stauts"),
        ("q=%01", "q"),
    ] {
        let (status, body) = call(&app, Method::GET, &format!("/v1/invoices?{query}"), None).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["code"], "invalid_request", "{query}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(names),
            "{query}: the message names {names}: {body}"
        );
    }
    // Without a token, or with a wrong one: 401, and nothing listed.
    let response = app.get("/v1/invoices").await;
    assert_eq!(response.status().as_u16(), 401);
    let (status, _) = call_as(&app, "shk_wrong", Method::GET, "/v1/invoices", None).await;
    assert_eq!(status, 401);
    let (status, body) = call(&app, Method::GET, "/v1/invoices/not-an-id/history", None).await;
    assert_eq!(status, 404, "{body}");
}

/// Splits RFC 4180 CSV into records of fields (quoted fields may hold commas, doubled quotes and
/// line breaks; records end with CRLF).
pub(crate) fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let (mut record, mut field) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && record.is_empty(),
        "the last line ends with CRLF"
    );
    records
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_payments_report_is_csv_a_spreadsheet_reads() {
    let app = TestApp::spawn("sqlite::memory:").await;
    // Order ids with a comma, a quote, Cyrillic and a line-less but odd mix.
    let orders = ["plain-1", "a,b", "say \"hi\"", "заказ-7"];
    let mut made = Vec::new();
    for order in orders {
        let (status, invoice) = app.create(&usdt_invoice(order, "12.50")).await;
        assert_eq!(status, 201, "{invoice}");
        made.push(invoice["id"].as_str().unwrap().to_owned());
    }
    app.sandbox(
        "pay",
        json!({ "order_id": made[1], "amount": "12.5", "txid": "tx-report-1" }),
    )
    .await;
    app.wait_for_status(&made[1], "paid").await;

    let response = app
        .http
        .get(format!("{}/v1/reports/payments.csv", app.url))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a UTF-8 byte order mark");
    let records = parse_csv(text);
    assert_eq!(
        records[0][..3],
        ["invoice_id", "order_id", "platform_order_ref"]
    );
    assert_eq!(records.len(), 1 + orders.len(), "{text}");
    assert!(
        records.iter().all(|r| r.len() == records[0].len()),
        "{text}"
    );
    // Each order id back as it was given.
    let got: Vec<&str> = records[1..].iter().map(|r| r[1].as_str()).collect();
    let mut want = orders.to_vec();
    let mut got_sorted = got.clone();
    got_sorted.sort();
    want.sort();
    assert_eq!(got_sorted, want, "{text}");
    let column = |name: &str| records[0].iter().position(|c| c == name).unwrap();
    let paid = records
        .iter()
        .find(|r| r[column("invoice_id")] == made[1])
        .unwrap();
    assert_eq!(
        (
            paid[column("order_id")].as_str(),
            paid[column("status")].as_str(),
            paid[column("txid")].as_str(),
            paid[column("amount")].as_str(),
            paid[column("payer_currency")].as_str(),
        ),
        ("a,b", "paid", "tx-report-1", "12.50", "USDT")
    );
    // What reached the merchant after the gateway's commission (the sandbox takes 2%).
    let number = |name: &str| paid[column(name)].parse::<f64>().unwrap();
    assert!(
        (number("commission") - number("paid_amount") * 0.02).abs() < 1e-9
            && (number("credited") + number("commission") - number("paid_amount")).abs() < 1e-9,
        "{paid:?}"
    );
    let unpaid = records
        .iter()
        .find(|r| r[column("invoice_id")] == made[0])
        .unwrap();
    assert_eq!(
        (
            unpaid[column("credited")].as_str(),
            unpaid[column("commission")].as_str()
        ),
        ("", ""),
        "nothing reached the merchant yet"
    );

    // The JSON report says the same.
    let (status, report) = call(&app, Method::GET, "/v1/reports/payments", None).await;
    assert_eq!(status, 200, "{report}");
    let lines = report["invoices"].as_array().unwrap();
    assert_eq!(lines.len(), orders.len());
    for (line, record) in lines.iter().zip(&records[1..]) {
        assert_eq!(line["invoice_id"].as_str(), Some(record[0].as_str()));
        assert_eq!(line["order_id"].as_str(), Some(record[1].as_str()));
    }

    // A range: nothing before the invoices were made; bad times are a 400 naming them.
    let (status, empty) = call(
        &app,
        Method::GET,
        "/v1/reports/payments?to=2001-01-01T00:00:00Z",
        None,
    )
    .await;
    assert_eq!(
        (status, empty["invoices"].as_array().unwrap().len()),
        (200, 0)
    );
    for (query, name) in [
        ("from=soon", "from"),
        ("to=2026-02-30T00:00:00Z", "to"),
        ("form=x", "form"),
    ] {
        let (status, body) = call(
            &app,
            Method::GET,
            &format!("/v1/reports/payments.csv?{query}"),
            None,
        )
        .await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(name),
            "{query}: {body}"
        );
    }
    let (status, _) = call_as(
        &app,
        "shk_wrong",
        Method::GET,
        "/v1/reports/payments.csv",
        None,
    )
    .await;
    assert_eq!(status, 401);
}
