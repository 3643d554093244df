//! The console over plain HTTP, on every backend: no page without a session; a user sees only
//! their shop (an operator every shop); forms without the session's CSRF token are refused and
//! change nothing; staff move no money; a refund goes through a confirmation step; the export is
//! CSV a spreadsheet reads; guessing passwords is slowed down; signing out ends sessions.

use crate::listing::parse_csv;
use crate::support::{ScratchDb, TestApp, call, postgres_url, skipped, usdt_invoice};
use reqwest::Method;
use reqwest::header::{COOKIE, LOCATION, RETRY_AFTER, SET_COOKIE};
use serde_json::json;
use server_shim::domain::{Shop, ShopId, ShopToken};
use server_shim::services::console::Accounts;
use server_shim::store::{ConsoleRole, Store};

pub(crate) const PASSWORD: &str = "correct horse battery";

/// A browser without JavaScript: it keeps the session cookie and follows no redirect.
pub(crate) struct Visitor {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

/// An answer: status, where it sends the browser, and the page.
pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) location: String,
    retry_after: Option<u64>,
    pub(crate) body: String,
}

async fn page(response: reqwest::Response) -> Page {
    Page {
        status: response.status().as_u16(),
        location: response
            .headers()
            .get(LOCATION)
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default(),
        retry_after: response
            .headers()
            .get(RETRY_AFTER)
            .map(|r| r.to_str().unwrap().parse().unwrap()),
        body: response.text().await.unwrap(),
    }
}

/// The value of `name="{field}" value="..."` in `html`.
pub(crate) fn form_value(html: &str, field: &str) -> String {
    let marker = format!("name=\"{field}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {field} in {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// The cookie `name` a response sets, as `name=value`.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|c| c.to_str().unwrap())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

impl Visitor {
    pub(crate) fn new(base: &str) -> Self {
        Visitor {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_owned(),
            cookie: String::new(),
        }
    }

    /// Signs in through the form; the answer to the form.
    pub(crate) async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let form = self
            .http
            .get(format!("{}/console/sign-in", self.base))
            .send()
            .await
            .unwrap();
        let form_cookie = set_cookie(&form, "console_sign_in").expect("the form's cookie");
        let html = form.text().await.unwrap();
        let response = self
            .http
            .post(format!("{}/console/sign-in", self.base))
            .header(COOKIE, &form_cookie)
            .form(&[
                ("email", email),
                ("password", password),
                ("form_token", &form_value(&html, "form_token")),
                ("next", "/console/invoices"),
            ])
            .send()
            .await
            .unwrap();
        if let Some(session) = set_cookie(&response, "console_session") {
            let flags = response
                .headers()
                .get_all(SET_COOKIE)
                .iter()
                .map(|c| c.to_str().unwrap().to_owned())
                .find(|c| c.starts_with("console_session="))
                .unwrap();
            for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console"] {
                assert!(flags.contains(flag), "{flag} in {flags}");
            }
            self.cookie = session;
        }
        page(response).await
    }

    pub(crate) async fn get(&self, path: &str) -> Page {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .unwrap();
        page(response).await
    }

    pub(crate) async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .form(form)
            .send()
            .await
            .unwrap();
        page(response).await
    }

    /// The CSRF token of the forms on `path`.
    pub(crate) async fn csrf(&self, path: &str) -> String {
        form_value(&self.get(path).await.body, "csrf")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_keeps_users_to_their_shop_and_refuses_forged_forms() {
    let scratch = ScratchDb::new("console");
    console_story(&scratch.url).await;
    match postgres_url().await {
        Some(url) => console_story(&url).await,
        None => skipped("the PostgreSQL half: SHIM_TEST_POSTGRES_URL is not set"),
    }
    scratch.remove();
}

async fn console_story(db: &str) {
    let app = TestApp::spawn(db).await;
    let store = Store::connect(db).await.unwrap();
    let other = Shop {
        id: ShopId("shop_other".into()),
        name: "other".into(),
    };
    store
        .create_shop(&other, &ShopToken::generate().unwrap().hash(), 0)
        .await
        .unwrap();
    let accounts = Accounts(&store);
    for (email, shop, role) in [
        ("owner@demo.example", Some("demo"), ConsoleRole::Owner),
        ("staff@demo.example", Some("demo"), ConsoleRole::Staff),
        ("staff@other.example", Some("other"), ConsoleRole::Staff),
        ("ops@example.com", None, ConsoleRole::Operator),
    ] {
        accounts
            .add_user(email, PASSWORD, shop, role)
            .await
            .unwrap();
    }
    // An invoice whose order id a spreadsheet must keep whole: a comma, a quote, Cyrillic.
    let order = "Заказ \"7\", срочно";
    let (_, invoice) = app.create(&usdt_invoice(order, "20.00")).await;
    let id = invoice["id"].as_str().unwrap().to_owned();
    app.sandbox(
        "pay",
        json!({ "order_id": id, "amount": "20", "txid": "tx-console-1" }),
    )
    .await;
    let paid = app.wait_for_status(&id, "paid").await;
    let address = paid["address"].as_str().unwrap().to_owned();

    // No page without a session: the sign-in page, and back to where the user was going.
    let mut owner = Visitor::new(&app.url);
    let refused = owner.get("/console/invoices").await;
    assert_eq!(
        (refused.status, refused.location.as_str()),
        (303, "/console/sign-in?next=%2Fconsole%2Finvoices")
    );
    let signed = owner.sign_in("Owner@Demo.example", PASSWORD).await;
    assert_eq!(
        (signed.status, signed.location.as_str()),
        (303, "/console/invoices"),
        "{}",
        signed.body
    );

    // Found by its payment address; its page has its story.
    let found = owner.get(&format!("/console/invoices?q={address}")).await;
    assert_eq!(found.status, 200);
    assert!(
        found.body.contains(&format!("/console/invoices/{id}")),
        "{}",
        found.body
    );
    let one = owner.get(&format!("/console/invoices/{id}")).await;
    assert_eq!(one.status, 200);
    for expected in [
        "Gateway webhook",
        "tx-console-1",
        "Re-check at the gateway now",
        "Review the refund",
    ] {
        assert!(one.body.contains(expected), "{expected} in {}", one.body);
    }

    // Bad filters are said on the page, and never echo a control character back.
    for (query, said) in [
        ("status=bogus", "unknown status"),
        ("from=2026-13-45", "From must be a day"),
        ("cursor=garbage", "cursor must be"),
        ("q=%00x", "the search takes"),
    ] {
        let bad = owner.get(&format!("/console/invoices?{query}")).await;
        assert_eq!(bad.status, 400, "{query}");
        assert!(bad.body.contains(said), "{query}: {}", bad.body);
        assert!(!bad.body.contains('\0'), "{query}");
    }

    // Forms without the session's CSRF token are refused, and change nothing.
    let path = format!("/console/invoices/{id}/refund");
    let payer = "TJRyWwFs9wTFGZg3JbrVriFbNfCug5tDeC";
    for csrf in ["", "0000", &"a".repeat(64)] {
        let forged = owner
            .post(
                &path,
                &[("csrf", csrf), ("step", "confirm"), ("address", payer)],
            )
            .await;
        assert_eq!(forged.status, 403, "{}", forged.body);
    }
    assert_eq!(app.invoice(&id).await.1["status"], "paid");

    // Staff of another shop cannot open it by URL; staff of this one cannot move money.
    let mut stranger = Visitor::new(&app.url);
    stranger.sign_in("staff@other.example", PASSWORD).await;
    assert_eq!(
        stranger
            .get(&format!("/console/invoices/{id}"))
            .await
            .status,
        404
    );
    assert!(
        !stranger
            .get(&format!("/console/invoices?q={address}"))
            .await
            .body
            .contains(&id)
    );
    assert!(
        !stranger
            .get("/console/invoices?shop=demo")
            .await
            .body
            .contains(&id),
        "staff cannot pick a shop"
    );
    let csrf = stranger.csrf("/console/invoices").await;
    let attempt = stranger
        .post(
            &path,
            &[("csrf", &csrf), ("step", "confirm"), ("address", payer)],
        )
        .await;
    assert!(matches!(attempt.status, 403 | 404), "{}", attempt.status);
    let mut staff = Visitor::new(&app.url);
    staff.sign_in("staff@demo.example", PASSWORD).await;
    let csrf = staff.csrf(&format!("/console/invoices/{id}")).await;
    let attempt = staff
        .post(
            &path,
            &[("csrf", &csrf), ("step", "confirm"), ("address", payer)],
        )
        .await;
    assert_eq!(attempt.status, 403, "{}", attempt.body);
    assert_eq!(app.invoice(&id).await.1["status"], "paid");
    // An operator sees every shop.
    let mut operator = Visitor::new(&app.url);
    operator.sign_in("ops@example.com", PASSWORD).await;
    assert!(
        operator
            .get(&format!("/console/invoices?shop=demo&q={address}"))
            .await
            .body
            .contains(&id)
    );
    assert_eq!(
        operator
            .get(&format!("/console/invoices/{id}"))
            .await
            .status,
        200
    );

    // The refund: a confirmation step, then the gateway.
    let csrf = owner.csrf(&format!("/console/invoices/{id}")).await;
    let review = owner
        .post(
            &path,
            &[("csrf", &csrf), ("step", "review"), ("address", payer)],
        )
        .await;
    assert_eq!(review.status, 200);
    assert!(
        review.body.contains("Confirm the refund") && review.body.contains("20 USDT"),
        "{}",
        review.body
    );
    assert_eq!(
        app.invoice(&id).await.1["status"],
        "paid",
        "reviewing changes nothing"
    );
    let done = owner
        .post(
            &path,
            &[("csrf", &csrf), ("step", "confirm"), ("address", payer)],
        )
        .await;
    assert_eq!(
        (done.status, done.location.as_str()),
        (303, format!("/console/invoices/{id}").as_str()),
        "{}",
        done.body
    );
    assert_eq!(app.invoice(&id).await.1["status"], "refunding");
    let (_, history) = call(
        &app,
        Method::GET,
        &format!("/v1/invoices/{id}/history"),
        None,
    )
    .await;
    assert!(
        history
            .to_string()
            .contains("asked for by owner@demo.example"),
        "{history}"
    );

    // The export of the list's filter, as CSV.
    let csv = owner
        .get(&format!("/console/invoices.csv?q={address}"))
        .await;
    assert_eq!(csv.status, 200);
    let records = parse_csv(csv.body.trim_start_matches('\u{feff}'));
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(records[1][1], order);

    // Sign-in guessing: five wrong passwords, then even the right one waits.
    let mut guesser = Visitor::new(&app.url);
    for _ in 0..5 {
        assert_eq!(
            guesser
                .sign_in("staff@demo.example", "wrong password!")
                .await
                .status,
            401
        );
    }
    let slowed = guesser.sign_in("staff@demo.example", PASSWORD).await;
    assert_eq!(slowed.status, 429, "{}", slowed.body);
    assert!(slowed.body.contains("Try again in"), "{}", slowed.body);
    assert!(
        slowed.retry_after.is_some_and(|s| (1..=900).contains(&s)),
        "{:?}",
        slowed.retry_after
    );
    assert!(guesser.cookie.is_empty(), "no session");
    assert_eq!(
        Visitor::new(&app.url)
            .sign_in("ops@example.com", PASSWORD)
            .await
            .status,
        303,
        "other emails are not held up"
    );

    // Signing out ends this session; signing out everywhere ends the others too.
    let csrf = owner.csrf("/console").await;
    let mut second = Visitor::new(&app.url);
    second.sign_in("owner@demo.example", PASSWORD).await;
    assert_eq!(
        owner
            .post(
                "/console/sign-out",
                &[("csrf", &csrf), ("everywhere", "no")]
            )
            .await
            .status,
        303
    );
    assert_eq!(owner.get("/console").await.status, 303, "signed out");
    assert_eq!(
        second.get("/console").await.status,
        200,
        "the other browser stays"
    );
    let csrf = second.csrf("/console").await;
    let mut third = Visitor::new(&app.url);
    third.sign_in("owner@demo.example", PASSWORD).await;
    second
        .post(
            "/console/sign-out",
            &[("csrf", &csrf), ("everywhere", "yes")],
        )
        .await;
    assert_eq!(second.get("/console").await.status, 303);
    assert_eq!(
        third.get("/console").await.status,
        303,
        "signed out everywhere"
    );
}

#[tokio::test]
async fn console_pages_are_never_framed_cached_or_scripted() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let response = reqwest::get(format!("{}/console/sign-in", app.url))
        .await
        .unwrap();
    let headers = response.headers();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self';"),
        "{csp}"
    );
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("form-action 'self'"),
        "{csp}"
    );
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(!csp.contains("unsafe"), "{csp}");
    let html = response.text().await.unwrap();
    // Scripts only from files of the shim's own, none inline.
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script src=\"/console/").count(),
        "{html}"
    );
    for (path, kind) in [
        ("console.css", "text/css"),
        ("console.js", "text/javascript"),
    ] {
        let asset = reqwest::get(format!("{}/console/{path}", app.url))
            .await
            .unwrap();
        assert_eq!(
            asset.headers()["content-type"],
            format!("{kind}; charset=utf-8").as_str()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_resolves_a_review_with_a_note_and_tells_the_shop_again() {
    let scratch = ScratchDb::new("console-review");
    let app = TestApp::spawn(&scratch.url).await;
    let (store, shop) = crate::outbox::receive_callbacks(&scratch.url, 0).await;
    let accounts = Accounts(&store);
    accounts
        .add_user(
            "owner@demo.example",
            PASSWORD,
            Some("demo"),
            ConsoleRole::Owner,
        )
        .await
        .unwrap();
    accounts
        .add_user(
            "staff@demo.example",
            PASSWORD,
            Some("demo"),
            ConsoleRole::Staff,
        )
        .await
        .unwrap();
    let (_, invoice) = app.create(&usdt_invoice("held-1", "15.00")).await;
    let id = invoice["id"].as_str().unwrap().to_owned();
    app.sandbox(
        "pay",
        json!({ "order_id": id, "amount": "15", "confirm": false }),
    )
    .await;
    app.wait_for_status(&id, "confirming").await;
    app.sandbox("hold", json!({ "order_id": id })).await;
    app.wait_for_status(&id, "review").await;

    let page_path = format!("/console/invoices/{id}");
    let resolve = format!("/console/invoices/{id}/resolve");
    let mut owner = Visitor::new(&app.url);
    owner.sign_in("owner@demo.example", PASSWORD).await;
    let page = owner.get(&page_path).await;
    assert!(
        page.body.contains("Resolve the review")
            && page.body.contains("the gateway holds the payment"),
        "{}",
        page.body
    );
    let csrf = form_value(&page.body, "csrf");
    // Staff may look, not decide; a resolution needs a choice and a note; forms need their token.
    let mut staff = Visitor::new(&app.url);
    staff.sign_in("staff@demo.example", PASSWORD).await;
    let staff_csrf = staff.csrf(&page_path).await;
    assert!(
        !staff
            .get(&page_path)
            .await
            .body
            .contains("Resolve the review")
    );
    let refused = staff
        .post(
            &resolve,
            &[
                ("csrf", &staff_csrf),
                ("resolution", "paid"),
                ("note", "ok"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403);
    for (form, status) in [
        (
            vec![
                ("csrf", csrf.as_str()),
                ("resolution", "paid"),
                ("note", "  "),
            ],
            400,
        ),
        (
            vec![
                ("csrf", csrf.as_str()),
                ("resolution", "maybe"),
                ("note", "checked"),
            ],
            400,
        ),
        (
            vec![
                ("csrf", "forged"),
                ("resolution", "paid"),
                ("note", "checked"),
            ],
            403,
        ),
    ] {
        let answer = owner.post(&resolve, &form).await;
        assert_eq!(answer.status, status, "{form:?}: {}", answer.body);
    }
    assert_eq!(
        app.invoice(&id).await.1["status"],
        "review",
        "nothing changed"
    );
    let done = owner
        .post(
            &resolve,
            &[
                ("csrf", &csrf),
                ("resolution", "paid"),
                ("note", "Checked with the payer by phone"),
            ],
        )
        .await;
    assert_eq!(
        (done.status, done.location.as_str()),
        (303, page_path.as_str()),
        "{}",
        done.body
    );
    assert_eq!(app.invoice(&id).await.1["status"], "paid");
    let (_, history) = call(
        &app,
        Method::GET,
        &format!("/v1/invoices/{id}/history"),
        None,
    )
    .await;
    let text = history.to_string();
    assert!(
        text.contains(
            "review resolved as paid by owner@demo.example: Checked with the payer by phone"
        ),
        "{text}"
    );

    // The shop heard of it; told again, it hears it again, and the timeline shows each try.
    let heard = crate::outbox::wait_for_callbacks(&shop, 1).await;
    let count = heard.len();
    let again = owner
        .post(
            &format!("/console/invoices/{id}/redeliver"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(again.body.contains("Sent again"), "{}", again.body);
    let heard = crate::outbox::wait_for_callbacks(&shop, count + 1).await;
    assert_eq!(heard[count].1["invoice"]["status"], "paid");
    let callbacks = crate::support::eventually(std::time::Duration::from_secs(10), async || {
        let (_, history) = call(
            &app,
            Method::GET,
            &format!("/v1/invoices/{id}/history"),
            None,
        )
        .await;
        let lines: Vec<String> = history["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["source"] == "callback")
            .map(|e| e["outcome"].as_str().unwrap().to_owned())
            .collect();
        match lines.len() > count {
            true => Ok(lines),
            false => Err(format!("callback lines: {lines:?}")),
        }
    })
    .await;
    assert!(
        callbacks.iter().all(|l| l.starts_with("invoice.updated: ")
            && l.contains("to http://127.0.0.1:")
            && l.contains(": delivered (HTTP 200)")),
        "{callbacks:#?}"
    );
    assert!(
        callbacks.iter().all(|l| !l.contains("/callback")),
        "only the origin, not the path: {callbacks:#?}"
    );
    scratch.remove();
}
