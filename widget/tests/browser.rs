//! Component tests in headless Chromium (`cargo xtask test` runs them with wasm-bindgen-test).

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use checkout_widget::components::{InvoiceCard, InvoiceCardProps};
use checkout_widget::i18n::{Locale, Words as _};
use checkout_widget::mount;
use gloo_timers::future::TimeoutFuture;
use shim_api::{InvoiceId, InvoiceStatus, InvoiceView};
use std::rc::Rc;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn host() -> web_sys::Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let host = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&host).unwrap();
    host
}

fn text(host: &web_sys::Element, selector: &str) -> Option<String> {
    host.query_selector(selector)
        .unwrap()
        .and_then(|e| e.text_content())
}

/// Where a mounted widget renders: the container in the host's shadow root.
fn widget_root(host: &web_sys::Element) -> web_sys::Element {
    host.shadow_root()
        .expect("mount() attaches a shadow root")
        .first_element_child()
        .expect("mount() puts a container in it")
}

/// Yields to the browser until `selector` appears, for up to `ms`.
async fn appears(host: &web_sys::Element, selector: &str, ms: u32) -> bool {
    for _ in 0..ms / 20 {
        if host.query_selector(selector).unwrap().is_some() {
            return true;
        }
        TimeoutFuture::new(20).await;
    }
    false
}

fn view(status: InvoiceStatus) -> InvoiceView {
    InvoiceView {
        id: InvoiceId::parse("inv_1").unwrap(),
        status,
        is_final: status.is_final(),
        amount: "15.00".into(),
        currency: "USD".into(),
        payer_amount: Some("0.00025000".into()),
        payer_currency: Some("BTC".into()),
        network: Some("btc".into()),
        address: Some("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4".into()),
        paid_amount: "0.0001".into(),
        remaining_amount: Some("0.00015000".into()),
        payment_uri: Some(
            "bitcoin:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4?amount=0.00025".into(),
        ),
        expires_at: "2026-01-01T00:00:00Z".into(),
        seconds_left: 125,
        url_return: Some("https://shop.example/cart".into()),
        url_success: Some("https://shop.example/thanks".into()),
        version: 1,
        can_change_coin: false,
    }
}

/// Gives the widget `locale`'s words from its file, as fetching it would.
fn install_words(locale: Locale, json: &str) {
    if !locale.is_loaded() {
        assert!(locale.install(&js_sys::JSON::parse(json).unwrap()));
    }
}

fn render(status: InvoiceStatus) -> (web_sys::Element, yew::AppHandle<InvoiceCard>) {
    render_view(view(status), Locale::En)
}

fn render_view(
    view: InvoiceView,
    locale: Locale,
) -> (web_sys::Element, yew::AppHandle<InvoiceCard>) {
    let host = host();
    let props = InvoiceCardProps {
        view: Rc::new(view),
        seconds_left: 125,
        locale,
        // Nothing listens there: the coin picker's requests fail.
        api_base: "http://127.0.0.1:9".into(),
        on_view: Default::default(),
    };
    let handle = yew::Renderer::<InvoiceCard>::with_root_and_props(host.clone(), props).render();
    (host, handle)
}

#[wasm_bindgen_test]
async fn the_widget_speaks_the_payers_language() {
    install_words(Locale::De, include_str!("../locales/de.json"));
    install_words(Locale::Ar, include_str!("../locales/ar.json"));
    let (host, handle) = render_view(view(InvoiceStatus::Pending), Locale::De);
    assert!(appears(&host, ".ckw-amount", 2_000).await);
    assert_eq!(text(&host, ".ckw-amount").as_deref(), Some("0,00025 BTC"));
    assert_eq!(
        text(&host, ".ckw-countdown").as_deref(),
        Some("Verbleibende Zeit: 2:05")
    );
    assert_eq!(
        text(&host, ".ckw-status").as_deref(),
        Some("Wir warten auf Ihre Zahlung")
    );
    handle.destroy();

    let (host, handle) = render_view(view(InvoiceStatus::Pending), Locale::Ar);
    assert!(appears(&host, ".ckw-amount", 2_000).await);
    assert_eq!(text(&host, ".ckw-amount").as_deref(), Some("٠٫٠٠٠٢٥ BTC"));
    assert_eq!(
        host.query_selector(".ckw-address")
            .unwrap()
            .unwrap()
            .get_attribute("dir")
            .as_deref(),
        Some("ltr"),
        "the address reads left to right inside Arabic"
    );
    handle.destroy();

    // Mounted, the page's language decides when no option is given; Arabic turns the layout.
    let document = web_sys::window().unwrap().document().unwrap();
    let html = document.document_element().unwrap();
    html.set_attribute("lang", "ar-EG").unwrap();
    let page = self::host();
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"invoiceId".into(), &"inv_abc".into()).unwrap();
    js_sys::Reflect::set(&options, &"apiBase".into(), &"http://127.0.0.1:9".into()).unwrap();
    let mut mounted = mount(page.clone(), options.into()).unwrap();
    html.remove_attribute("lang").unwrap();
    let page = widget_root(&page);
    assert!(appears(&page, ".ckw-banner", 5_000).await);
    let root = page.query_selector(".ckw").unwrap().unwrap();
    assert_eq!(root.get_attribute("dir").as_deref(), Some("rtl"));
    assert_eq!(root.get_attribute("lang").as_deref(), Some("ar"));
    assert!(
        text(&page, ".ckw-banner")
            .unwrap()
            .contains("تعذّر تحميل الدفعة")
    );
    mounted.destroy();
}

#[wasm_bindgen_test]
async fn an_invoice_without_a_coin_offers_the_coin_picker() {
    let mut open = view(InvoiceStatus::Pending);
    open.payer_amount = None;
    open.payer_currency = None;
    open.network = None;
    open.address = None;
    open.remaining_amount = None;
    open.payment_uri = None;
    open.can_change_coin = true;
    let (host, handle) = render_view(open, Locale::En);
    assert!(appears(&host, ".ckw-picker", 2_000).await, "picker shown");
    assert_eq!(
        text(&host, ".ckw-picker-title").as_deref(),
        Some("Choose a coin to pay with")
    );
    // The shim is unreachable here: the picker says so and offers to try again.
    assert!(appears(&host, ".ckw-picker .ckw-banner button", 5_000).await);
    assert!(host.query_selector(".ckw-address").unwrap().is_none());
    handle.destroy();
}

#[wasm_bindgen_test]
async fn a_pending_invoice_shows_how_to_pay() {
    let (host, handle) = render(InvoiceStatus::Pending);
    assert!(
        appears(&host, ".ckw-qr svg", 2_000).await,
        "QR code rendered"
    );
    assert_eq!(text(&host, ".ckw-amount").as_deref(), Some("0.00025 BTC"));
    assert_eq!(
        text(&host, ".ckw-address").as_deref(),
        Some("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")
    );
    assert_eq!(
        text(&host, ".ckw-countdown").as_deref(),
        Some("Time left: 2:05")
    );
    let label = host
        .query_selector(".ckw-qr")
        .unwrap()
        .unwrap()
        .get_attribute("aria-label")
        .unwrap();
    assert!(label.contains("0.00025 BTC"), "{label}");
    let wallet = host
        .query_selector(".ckw-wallet")
        .unwrap()
        .unwrap()
        .get_attribute("href")
        .unwrap();
    assert!(wallet.starts_with("bitcoin:"), "{wallet}");
    assert!(text(&host, ".ckw-network").unwrap().contains("Bitcoin"));
    handle.destroy();
}

#[wasm_bindgen_test]
async fn a_partial_payment_asks_for_the_rest() {
    let (host, handle) = render(InvoiceStatus::PartiallyPaid);
    assert!(appears(&host, ".ckw-partial", 2_000).await);
    assert_eq!(text(&host, ".ckw-amount").as_deref(), Some("0.00015 BTC"));
    assert!(
        text(&host, ".ckw-partial")
            .unwrap()
            .contains("Received 0.0001 BTC")
    );
    handle.destroy();
}

#[wasm_bindgen_test]
async fn final_statuses_hide_the_address_and_offer_the_way_back() {
    for (status, back) in [
        (InvoiceStatus::Paid, "https://shop.example/thanks"),
        (InvoiceStatus::Expired, "https://shop.example/cart"),
    ] {
        let (host, handle) = render(status);
        assert!(appears(&host, ".ckw-return", 2_000).await, "{status}");
        assert!(
            host.query_selector(".ckw-address").unwrap().is_none(),
            "{status}"
        );
        let href = host
            .query_selector(".ckw-return")
            .unwrap()
            .unwrap()
            .get_attribute("href")
            .unwrap();
        assert_eq!(href, back, "{status}");
        handle.destroy();
    }
}

#[wasm_bindgen_test]
async fn a_language_that_cannot_be_fetched_leaves_english() {
    let host = host();
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"invoiceId".into(), &"inv_abc".into()).unwrap();
    js_sys::Reflect::set(&options, &"apiBase".into(), &"http://127.0.0.1:9".into()).unwrap();
    js_sys::Reflect::set(&options, &"locale".into(), &"vi".into()).unwrap();
    let mut handle = mount(host.clone(), options.into()).unwrap();
    let inside = widget_root(&host);
    assert!(appears(&inside, ".ckw-banner", 5_000).await);
    let card = inside.query_selector(".ckw").unwrap().unwrap();
    assert_eq!(
        card.get_attribute("lang").as_deref(),
        Some("en"),
        "marked as the English it shows"
    );
    assert!(
        text(&inside, ".ckw-banner").unwrap().contains("Retrying"),
        "English, since http://127.0.0.1:9/widget/locales/vi.<hash>.json cannot be had"
    );
    assert!(!Locale::Vi.is_loaded(), "a later mount tries again");
    handle.destroy();
}

#[wasm_bindgen_test]
async fn an_unreachable_shim_is_said_and_retried() {
    let host = host();
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"invoiceId".into(), &"inv_abc".into()).unwrap();
    js_sys::Reflect::set(&options, &"apiBase".into(), &"http://127.0.0.1:9".into()).unwrap();
    js_sys::Reflect::set(&options, &"locale".into(), &"en".into()).unwrap();
    let mut handle = mount(host.clone(), options.into()).unwrap();
    let inside = widget_root(&host);
    assert!(
        appears(&inside, ".ckw-banner", 5_000).await,
        "error banner shown"
    );
    assert!(text(&inside, ".ckw-banner").unwrap().contains("Retrying"));
    handle.destroy();
    TimeoutFuture::new(50).await;
    assert_eq!(
        host.shadow_root().unwrap().child_element_count(),
        0,
        "destroy() empties the widget"
    );
}

#[wasm_bindgen_test]
fn mount_refuses_bad_options() {
    let error = mount(host(), js_sys::Object::new().into()).unwrap_err();
    assert!(error.as_string().unwrap().contains("invoiceId is required"));
    let options = js_sys::Object::new();
    js_sys::Reflect::set(
        &options,
        &"invoiceId".into(),
        &JsValue::from_str("../../etc"),
    )
    .unwrap();
    assert!(mount(host(), options.into()).is_err());
    let options = js_sys::Object::new();
    js_sys::Reflect::set(
        &options,
        &"walletId".into(),
        &JsValue::from_str("wal_../../x"),
    )
    .unwrap();
    let error = mount(host(), options.into()).unwrap_err();
    assert!(error.as_string().unwrap().contains("not a wallet id"));
}

fn js(code: &str) -> JsValue {
    js_sys::Function::new_no_args(code)
        .call0(&JsValue::NULL)
        .unwrap()
}

#[wasm_bindgen_test]
async fn nothing_is_asked_while_the_tab_is_hidden_and_at_once_when_it_is_back() {
    // No live stream here, so the widget polls; every request fails, and is counted.
    js("window.__saved = { fetch: window.fetch, EventSource: window.EventSource };
        window.__fetches = 0;
        window.fetch = () => { window.__fetches++; return Promise.reject(new TypeError('offline')); };
        window.EventSource = undefined;
        window.__hidden = true;
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => window.__hidden === true });");
    let page = host();
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"invoiceId".into(), &"inv_abc".into()).unwrap();
    js_sys::Reflect::set(&options, &"locale".into(), &"en".into()).unwrap();
    let mut handle = mount(page, options.into()).unwrap();
    TimeoutFuture::new(1_500).await;
    let hidden_fetches = js("return window.__fetches").as_f64().unwrap();
    js("window.__hidden = false; document.dispatchEvent(new Event('visibilitychange'))");
    TimeoutFuture::new(300).await;
    let back_fetches = js("return window.__fetches").as_f64().unwrap();
    handle.destroy();
    js(
        "window.fetch = window.__saved.fetch; window.EventSource = window.__saved.EventSource;
        delete document.hidden;",
    );
    assert_eq!(hidden_fetches, 0.0, "no request while hidden");
    assert!(
        back_fetches >= 1.0,
        "asked at once on return: {back_fetches}"
    );
}

#[wasm_bindgen_test]
async fn the_host_pages_styles_stay_out_and_its_theme_comes_in() {
    // A hostile stylesheet on the host page, and a theme colour set on the host element.
    let document = web_sys::window().unwrap().document().unwrap();
    let style = document.create_element("style").unwrap();
    style.set_text_content(Some(
        "p, h2, button, .ckw-banner { color: rgb(255, 0, 0) !important; display: none !important; }",
    ));
    document.head().unwrap().append_child(&style).unwrap();
    let page = host();
    page.set_attribute("style", "--ckw-accent: rgb(1, 2, 3)")
        .unwrap();
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"invoiceId".into(), &"inv_abc".into()).unwrap();
    js_sys::Reflect::set(&options, &"apiBase".into(), &"http://127.0.0.1:9".into()).unwrap();
    js_sys::Reflect::set(&options, &"theme".into(), &"dark".into()).unwrap();
    let mut handle = mount(page.clone(), options.into()).unwrap();
    let inside = widget_root(&page);
    assert!(appears(&inside, ".ckw-banner", 5_000).await);
    let window = web_sys::window().unwrap();
    let style_of = |element: &web_sys::Element, property: &str| {
        window
            .get_computed_style(element)
            .unwrap()
            .unwrap()
            .get_property_value(property)
            .unwrap()
            .trim()
            .to_owned()
    };
    let banner = inside.query_selector(".ckw-banner").unwrap().unwrap();
    assert_ne!(style_of(&banner, "display"), "none");
    assert_ne!(style_of(&banner, "color"), "rgb(255, 0, 0)");
    let root = inside.query_selector(".ckw").unwrap().unwrap();
    assert_eq!(root.get_attribute("data-theme").as_deref(), Some("dark"));
    assert_eq!(
        style_of(&root, "--_accent"),
        "rgb(1, 2, 3)",
        "the host's theme reaches in"
    );
    assert_eq!(style_of(&root, "--_bg"), "#1a202c", "dark by option");
    handle.destroy();
    style.remove();
    let bad = js_sys::Object::new();
    js_sys::Reflect::set(&bad, &"invoiceId".into(), &"inv_abc".into()).unwrap();
    js_sys::Reflect::set(&bad, &"theme".into(), &"purple".into()).unwrap();
    let error = mount(host(), bad.into()).unwrap_err();
    assert!(error.as_string().unwrap().contains("theme"));
}

/// The widget parses the shim's JSON by hand (no serde in the wasm, for size): it must read what
/// the shim's serde writes, for every status, with the optional fields set and unset.
#[wasm_bindgen_test]
fn the_parsers_read_what_the_shim_writes() {
    use checkout_widget::api::{view_from_json, wallet_from_js};
    for status in InvoiceStatus::ALL {
        let bare = InvoiceView {
            payer_amount: None,
            payer_currency: None,
            network: None,
            address: None,
            remaining_amount: None,
            payment_uri: None,
            url_return: None,
            url_success: None,
            can_change_coin: true,
            ..view(status)
        };
        for sent in [view(status), bare] {
            let json = serde_json::to_string(&sent).unwrap();
            assert_eq!(view_from_json(&json), Some(sent), "{json}");
        }
    }
    let deposit = |id: &str, credited: bool| shim_api::DepositView {
        id: id.into(),
        txid: credited.then(|| "ab12".into()),
        amount: "10.5".into(),
        credited_amount: "10.4".into(),
        status: if credited { "paid" } else { "review" }.into(),
        review_reason: (!credited).then(|| "the amount differs".into()),
        credited,
        is_final: true,
        received_at: 1_767_225_600,
    };
    let sent = shim_api::WalletView {
        id: "wal_0123456789abcdef01234567".into(),
        currency: "USDT".into(),
        network: "tron".into(),
        address: "TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf".into(),
        payment_uri: "tron:TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf".into(),
        blocked: false,
        credited: "10.4".into(),
        deposits: vec![deposit("a1", true), deposit("b2", false)],
        page_url: "https://pay.example/w/wal_0123456789abcdef01234567".into(),
    };
    let json = serde_json::to_string(&sent).unwrap();
    let read = wallet_from_js(&js_sys::JSON::parse(&json).unwrap()).expect(&json);
    assert_eq!(
        (read.id, read.currency, read.network, read.address),
        (sent.id, sent.currency, sent.network, sent.address)
    );
    assert_eq!(
        (read.payment_uri, read.blocked, read.credited),
        (sent.payment_uri, sent.blocked, sent.credited)
    );
    let deposits: Vec<_> = read
        .deposits
        .iter()
        .map(|d| (d.id.as_str(), d.amount.as_str(), d.credited, d.is_final))
        .collect();
    assert_eq!(
        deposits,
        [("a1", "10.5", true, true), ("b2", "10.5", false, true)]
    );
}
