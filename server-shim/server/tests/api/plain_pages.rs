//! The pay page without script: its coin form takes a coin on offer and answers with the page
//! again; anything else gets a page saying what is wrong, and nothing changes.

use crate::support::TestApp;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coin_form_takes_a_coin_on_offer_and_refuses_the_rest() {
    let app = TestApp::spawn("sqlite::memory:").await;
    let (_, invoice) = app
        .create(&json!({ "order_id": "form-1", "amount": "20.00", "currency": "USD" }))
        .await;
    let id = invoice["id"].as_str().unwrap();
    let page = app.text(&format!("/pay/{id}")).await;
    assert!(
        page.contains(r#"value="USDT:tron""#),
        "the coins on offer: {page}"
    );

    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let post = |form: &'static [(&'static str, &'static str)], path: String| {
        let client = no_redirects.clone();
        let url = format!("{}{path}", app.url);
        async move { client.post(url).form(form).send().await.unwrap() }
    };
    let path = format!("/pay/{id}/coin");
    for (form, status, says) in [
        (&[("coin", "USDT")][..], 400, "COIN:network"),
        (&[("coin", "DOGE:moon")][..], 400, "not"),
        (&[("lang", "de")][..], 400, "COIN:network"),
    ] {
        let response = post(form, path.clone()).await;
        assert_eq!(response.status(), status, "{form:?}");
        let body = response.text().await.unwrap();
        assert!(body.contains(says), "{form:?}: {body}");
        assert!(
            body.contains(&format!("/pay/{id}?lang=")),
            "a way back: {body}"
        );
    }
    let unknown = post(&[("coin", "USDT:tron")], "/pay/inv_0000/coin".into()).await;
    assert_eq!(unknown.status(), 404);
    let (_, view) = app.invoice(id).await;
    assert!(view["address"].is_null(), "nothing changed: {view}");

    let chosen = post(&[("coin", "USDT:tron"), ("lang", "de")], path.clone()).await;
    assert_eq!(chosen.status(), 303);
    assert_eq!(chosen.headers()["location"], format!("/pay/{id}?lang=de"));
    let (_, view) = app.invoice(id).await;
    assert_eq!(view["payer_currency"], "USDT", "{view}");
    assert!(view["address"].is_string(), "{view}");
}
