//! Shopify's payments app, end to end: the emulator, as Shopify's checkout, starts payment
//! sessions on the shim's mutual TLS listener with a client certificate from a locally generated
//! "Shopify" CA; the buyer pays in the sandbox; the outbox settles the session through the
//! Payments Apps API; the buyer is sent on to Shopify. Clients without a certificate, or with one
//! of another CA, never reach the routes.

use crate::support::{ScratchDb, TestApp, connect_demo_shop, serve, settings};
use platform_emulators::shopify::ShopifyEmulator;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
};
use serde_json::{Value, json};
use server_shim::shopify_tls::ShopifyPayments;
use std::path::Path;
use std::time::{Duration, Instant};

const DOMAIN: &str = "payments-test.myshopify.com";
const CLIENT_ID: &str = "payments-client-id";
const SECRET: &str = "payments-app-secret-0123";
/// The payments app's own offline token and secret.
const PAYMENTS_TOKEN: &str = "shpca_payments_offline_token_0123";
const PAYMENTS_SECRET: &str = "payments-app-client-secret";

/// A CA, and what it signs.
struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn ca(name: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let pem = params.self_signed(&key).unwrap().pem();
    Ca {
        pem,
        issuer: Issuer::new(params, key),
    }
}

/// A certificate `ca` signs for `name`, for a server or a client: (certificate, key) in PEM.
fn leaf(ca: &Ca, name: &str, client: bool) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec![name.to_owned()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![if client {
        ExtendedKeyUsagePurpose::ClientAuth
    } else {
        ExtendedKeyUsagePurpose::ServerAuth
    }];
    let cert = params.signed_by(&key, &ca.issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A client of the payments listener: trusts its server CA, shows `identity` if given.
fn client(server_ca: &Ca, identity: Option<(String, String)>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(server_ca.pem.as_bytes()).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20));
    if let Some((cert, key)) = identity {
        builder = builder
            .identity(reqwest::Identity::from_pem(format!("{cert}{key}").as_bytes()).unwrap());
    }
    builder.build().unwrap()
}

struct Setup {
    app: TestApp,
    payments: String,
    shopify: ShopifyEmulator,
    server_ca: Ca,
    shopify_ca: Ca,
    /// Its database, removed with it.
    _scratch: ScratchDb,
}

async fn setup(name: &str) -> Setup {
    let scratch = ScratchDb::new(&format!("payments-{name}"));
    let server_ca = ca("Test server CA");
    let shopify_ca = ca("Shopify client CA (test)");
    let (cert, key) = leaf(&server_ca, "127.0.0.1", false);
    let db = scratch.url.clone();
    let settings = server_shim::Settings {
        shopify_payments: ShopifyPayments::Tls {
            listen: "127.0.0.1:0".into(),
            cert: write(&scratch.dir, "server.pem", &cert),
            key: write(&scratch.dir, "server.key", &key),
            client_ca: write(&scratch.dir, "shopify-ca.pem", &shopify_ca.pem),
        },
        ..settings(&db)
    };
    let (app, payments) = TestApp::spawn_settings(&settings).await;
    let payments = payments.expect("the payments listener");
    let shopify = ShopifyEmulator::new(DOMAIN, PAYMENTS_TOKEN).with_app(CLIENT_ID, SECRET);
    let admin = serve(shopify.router()).await;
    let config = json!({ "platform": "shopify", "shop": DOMAIN, "client_id": CLIENT_ID,
        "api_secret": SECRET, "admin_url": admin,
        "payments_app": { "access_token": PAYMENTS_TOKEN, "api_secret": PAYMENTS_SECRET } });
    connect_demo_shop(&db, &config).await;
    Setup {
        app,
        payments,
        shopify,
        server_ca,
        shopify_ca,
        _scratch: scratch,
    }
}

impl Setup {
    /// A client with Shopify's certificate.
    fn shopify_client(&self) -> reqwest::Client {
        client(
            &self.server_ca,
            Some(leaf(&self.shopify_ca, "payments.shopify.com", true)),
        )
    }

    fn sessions_url(&self) -> String {
        format!("{}/v1/shopify/payments/sessions", self.payments)
    }

    async fn eventually(&self, what: &str, check: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !check() {
            assert!(Instant::now() < deadline, "timed out: {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The buyer picks USDT on the pay page of `invoice` and sends `amount` dollars' worth.
    async fn pay(&self, invoice: &str, fraction: f64) {
        let picked = self.app.pick_coin(invoice, "USDT", "tron").await;
        let due: f64 = picked["payer_amount"].as_str().unwrap().parse().unwrap();
        self.app
            .sandbox(
                "pay",
                json!({ "order_id": format!("{invoice}-2"), "amount": format!("{:.6}", due * fraction) }),
            )
            .await;
    }

    async fn next(&self, id: &str) -> (u16, String) {
        let response = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("{}/v1/shopify/payments/next/{id}", self.app.url))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, location)
    }
}

fn invoice_of(redirect: &str) -> String {
    redirect.rsplit('/').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shopify_checkout_pays_in_crypto_through_the_payments_app() {
    let s = setup("paid").await;
    let shopify = s.shopify_client();

    let (status, answer) = s
        .shopify
        .start_payment_session(&shopify, &s.sessions_url(), "sess1", "15.00", "USD")
        .await
        .unwrap();
    assert_eq!(status, 200, "{answer}");
    let redirect = answer["redirect_url"].as_str().unwrap().to_owned();
    assert!(
        redirect.starts_with(&format!("{}/pay/inv_", s.app.url)),
        "{redirect}"
    );
    // Shopify retries a session it did not hear back about: the same answer.
    let (status, again) = s
        .shopify
        .start_payment_session(&shopify, &s.sessions_url(), "sess1", "15.00", "USD")
        .await
        .unwrap();
    assert_eq!((status, &again), (200, &answer));
    let invoice = invoice_of(&redirect);
    let (_, view) = s.app.invoice(&invoice).await;
    assert_eq!(view["amount"], "15.00");

    // Before Shopify is told, the pay page's "next" waits (and looks again by itself).
    assert_eq!(s.next("sess1").await, (200, String::new()));

    s.pay(&invoice, 1.0).await;
    let gid = "gid://shopify/PaymentSession/sess1";
    s.eventually("resolved", || {
        s.shopify.payment_session(gid).as_deref() == Some("resolved")
    })
    .await;
    let (status, location) = s.next("sess1").await;
    assert_eq!(
        (status, location.as_str()),
        (
            303,
            format!("https://{DOMAIN}/checkouts/c/sess1/thank-you").as_str()
        )
    );

    // A refund: taken, then refused with a word for the merchant.
    let (status, _) = s
        .shopify
        .start_refund_session(
            &shopify,
            &format!("{}/v1/shopify/payments/refunds", s.payments),
            "ref1",
            "sess1",
            "15.00",
            "USD",
        )
        .await
        .unwrap();
    assert_eq!(status, 201);
    s.eventually("refund rejected", || {
        s.shopify
            .refund_session("gid://shopify/RefundSession/ref1")
            .as_deref()
            == Some("rejected")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unpaid_session_is_rejected_and_the_buyer_goes_back_to_checkout() {
    let s = setup("expired").await;
    let (status, answer) = s
        .shopify
        .start_payment_session(
            &s.shopify_client(),
            &s.sessions_url(),
            "sess2",
            "20.00",
            "EUR",
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{answer}");
    let invoice = invoice_of(answer["redirect_url"].as_str().unwrap());
    s.app
        .sandbox("expire", json!({ "order_id": invoice }))
        .await;
    let gid = "gid://shopify/PaymentSession/sess2";
    s.eventually("rejected", || {
        s.shopify.payment_session(gid).as_deref() == Some("rejected")
    })
    .await;
    let (status, location) = s.next("sess2").await;
    assert_eq!(status, 303);
    assert!(
        location.contains("/checkouts/c/sess2/payment"),
        "{location}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_shopifys_certificate_opens_the_payments_listener() {
    let s = setup("mtls").await;
    // No certificate, and one from another CA: the handshake fails, nothing is created.
    let rogue_ca = ca("Not Shopify");
    for client in [
        client(&s.server_ca, None),
        client(
            &s.server_ca,
            Some(leaf(&rogue_ca, "payments.shopify.com", true)),
        ),
    ] {
        let result = s
            .shopify
            .start_payment_session(&client, &s.sessions_url(), "sess3", "15.00", "USD")
            .await;
        assert!(result.is_err(), "{result:?}");
    }
    // The main listener does not serve the payments app.
    let (status, _) = s
        .shopify
        .start_payment_session(
            &reqwest::Client::new(),
            &format!("{}/v1/shopify/payments/sessions", s.app.url),
            "sess3",
            "15.00",
            "USD",
        )
        .await
        .unwrap();
    assert_eq!(status, 404);
    assert_eq!(s.next("sess3").await.0, 404, "no session was made");

    // With Shopify's certificate: what is wrong in a request is said plainly.
    let shopify = s.shopify_client();
    let post = |body: Value, domain: &'static str| {
        let shopify = shopify.clone();
        let url = s.sessions_url();
        async move {
            let response = shopify
                .post(url)
                .header("shopify-shop-domain", domain)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let session = |id: &str, kind: &str, amount: &str| {
        json!({ "id": id, "gid": format!("gid://shopify/PaymentSession/{id}"), "amount": amount,
            "currency": "USD", "test": false, "kind": kind,
            "payment_method": { "type": "offsite", "data": { "cancel_url": "https://payments-test.myshopify.com/checkouts/c/x" } } })
    };
    let (status, body) = post(session("sess4", "sale", "15.00"), "other.myshopify.com").await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = post(session("sess4", "authorization", "15.00"), DOMAIN).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("only sales"),
        "{body}"
    );
    let (status, body) = post(json!({ "id": "sess4" }), DOMAIN).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = post(session("sess4", "sale", "-1"), DOMAIN).await;
    assert_eq!(status, 400, "{body}");
    // A session that names another session's gid (which the outbox would settle) is refused.
    let mut other = session("sess4", "sale", "15.00");
    other["gid"] = json!("gid://shopify/PaymentSession/someone-elses");
    let (status, body) = post(other, DOMAIN).await;
    assert_eq!(status, 400, "{body}");
    // Test mode would take real crypto.
    let mut test = session("sess4", "sale", "15.00");
    test["test"] = json!(true);
    let (status, body) = post(test, DOMAIN).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sandbox"),
        "{body}"
    );
    let (status, _) = post(session("sess4", "sale", "15.00"), DOMAIN).await;
    assert_eq!(status, 200);
    let (status, body) = post(session("sess4", "sale", "16.00"), DOMAIN).await;
    assert_eq!(status, 409, "the same id for another amount: {body}");
}
