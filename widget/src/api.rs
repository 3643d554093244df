//! The widget's requests: the invoice view, its live stream, and the coin picker.
//!
//! Plain `fetch` and the browser's own `JSON.parse`, read field by field: no JSON library in the
//! WebAssembly, which keeps the widget small (a serde_json decoder with its float formatting
//! weighed about a fifth of the bundle).

use crate::state::LoadError;
use js_sys::{JSON, Reflect};
use shim_api::{CoinOption, InvoiceId, InvoiceStatus, InvoiceView};
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

fn field(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn string(object: &JsValue, key: &str) -> Option<String> {
    field(object, key).as_string()
}

/// An invoice view from the shim's JSON, parsed by the browser; `None` if it is not one.
pub fn view_from_js(value: &JsValue) -> Option<InvoiceView> {
    let number = |key: &str| {
        field(value, key)
            .as_f64()
            .filter(|n| *n >= 0.0)
            .map(|n| n as u64)
    };
    Some(InvoiceView {
        id: InvoiceId::parse(&string(value, "id")?)?,
        status: InvoiceStatus::parse(&string(value, "status")?)?,
        is_final: field(value, "is_final").as_bool()?,
        amount: string(value, "amount")?,
        currency: string(value, "currency")?,
        payer_amount: string(value, "payer_amount"),
        payer_currency: string(value, "payer_currency"),
        network: string(value, "network"),
        address: string(value, "address"),
        paid_amount: string(value, "paid_amount")?,
        remaining_amount: string(value, "remaining_amount"),
        payment_uri: string(value, "payment_uri"),
        expires_at: string(value, "expires_at")?,
        seconds_left: number("seconds_left")?,
        url_return: string(value, "url_return"),
        url_success: string(value, "url_success"),
        version: number("version")?,
        can_change_coin: field(value, "can_change_coin").as_bool().unwrap_or(false),
    })
}

/// An invoice view from JSON text (a live event's data).
pub fn view_from_json(text: &str) -> Option<InvoiceView> {
    view_from_js(&JSON::parse(text).ok()?)
}

fn coins_from_js(value: &JsValue) -> Option<Vec<CoinOption>> {
    let list: js_sys::Array = field(value, "coins").dyn_into().ok()?;
    list.iter()
        .map(|coin| {
            Some(CoinOption {
                currency: string(&coin, "currency")?,
                network: string(&coin, "network")?,
                min_amount: string(&coin, "min_amount")?,
                max_amount: string(&coin, "max_amount")?,
            })
        })
        .collect()
}

/// Sends a request; the response's status and its JSON body (`undefined` if it has none).
async fn fetch_json(
    method: &str,
    url: &str,
    body: Option<&JsValue>,
) -> Result<(u16, JsValue), LoadError> {
    let window = web_sys::window().ok_or(LoadError::Network)?;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new().map_err(|_| LoadError::Network)?;
    headers
        .set("accept", "application/json")
        .map_err(|_| LoadError::Network)?;
    if let Some(body) = body {
        let text = JSON::stringify(body).map_err(|_| LoadError::Malformed)?;
        headers
            .set("content-type", "application/json")
            .map_err(|_| LoadError::Network)?;
        init.set_body(&text);
    }
    init.set_headers(&headers);
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|_| LoadError::Network)?
        .dyn_into()
        .map_err(|_| LoadError::Network)?;
    let status = response.status();
    let json = match response.json() {
        Ok(promise) => JsFuture::from(promise).await.unwrap_or(JsValue::UNDEFINED),
        Err(_) => JsValue::UNDEFINED,
    };
    Ok((status, json))
}

/// One of the widget's own JSON files (a language's words); `None` if it cannot be had.
pub async fn fetch_asset_json(url: &str) -> Option<JsValue> {
    match fetch_json("GET", url, None).await {
        Ok((200, json)) if json.is_object() => Some(json),
        _ => None,
    }
}

/// `GET {api_base}/v1/invoices/{id}`.
pub async fn fetch_invoice(api_base: &str, invoice_id: &str) -> Result<InvoiceView, LoadError> {
    match fetch_json("GET", &format!("{api_base}/v1/invoices/{invoice_id}"), None).await? {
        (200, json) => view_from_js(&json).ok_or(LoadError::Malformed),
        (404, _) => Err(LoadError::NotFound),
        (status, _) => Err(LoadError::Server(status)),
    }
}

/// `GET {api_base}/v1/invoices/{id}/coins`: the coins the payer may pick.
pub async fn fetch_coins(api_base: &str, invoice_id: &str) -> Result<Vec<CoinOption>, LoadError> {
    let url = format!("{api_base}/v1/invoices/{invoice_id}/coins");
    match fetch_json("GET", &url, None).await? {
        (200, json) => coins_from_js(&json).ok_or(LoadError::Malformed),
        (404, _) => Err(LoadError::NotFound),
        (status, _) => Err(LoadError::Server(status)),
    }
}

/// Why a coin could not be picked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChooseError {
    /// No answer; trying again may help.
    Network,
    /// The shim refused, saying why (already paid, expired, coin unavailable...).
    Refused(String),
}

/// `POST {api_base}/v1/invoices/{id}/coin`: the payer picks `currency` on `network`.
pub async fn choose_coin(
    api_base: &str,
    invoice_id: &str,
    currency: &str,
    network: &str,
) -> Result<InvoiceView, ChooseError> {
    let body = js_sys::Object::new();
    let _ = Reflect::set(&body, &"currency".into(), &currency.into());
    let _ = Reflect::set(&body, &"network".into(), &network.into());
    let url = format!("{api_base}/v1/invoices/{invoice_id}/coin");
    match fetch_json("POST", &url, Some(&body)).await {
        Ok((200, json)) => view_from_js(&json).ok_or(ChooseError::Network),
        Ok((_, json)) => match string(&field(&json, "error"), "message") {
            Some(message) => Err(ChooseError::Refused(message)),
            None => Err(ChooseError::Network),
        },
        Err(_) => Err(ChooseError::Network),
    }
}

/// A live subscription to Server-Sent Events: an invoice's (`GET {api_base}/v1/invoices/{id}/events`)
/// or a deposit wallet's (`.../v1/wallets/{id}/events`). It closes itself when it is told the
/// subject is final, and when dropped.
#[derive(Debug)]
pub struct Live {
    source: web_sys::EventSource,
    _on_event: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
    _on_open: Closure<dyn FnMut(web_sys::Event)>,
}

impl Live {
    /// Opens the invoice's stream. `on_view` gets every view pushed; `on_trouble` is told of each
    /// error, with `true` when the browser gave up on the stream (an error status, or no stream
    /// support for the URL) rather than reconnecting; `on_open` is told when the stream is
    /// (re)connected, which may bring no event when nothing changed meanwhile. `None` where
    /// `EventSource` is not available.
    pub fn invoice(
        api_base: &str,
        invoice_id: &str,
        on_view: impl Fn(InvoiceView) + 'static,
        on_trouble: impl Fn(bool) + 'static,
        on_open: impl Fn() + 'static,
    ) -> Option<Self> {
        let url = format!("{api_base}/v1/invoices/{invoice_id}/events");
        let on_data = move |data: String| {
            let Some(view) = view_from_json(&data) else {
                return false;
            };
            let done = view.is_final;
            on_view(view);
            done
        };
        Self::open(&url, "invoice", on_data, on_trouble, on_open)
    }

    /// Opens a deposit wallet's stream; as [`Live::invoice`], with the wallet's views.
    pub fn wallet(
        api_base: &str,
        wallet_id: &str,
        on_wallet: impl Fn(Wallet) + 'static,
        on_trouble: impl Fn(bool) + 'static,
        on_open: impl Fn() + 'static,
    ) -> Option<Self> {
        let url = format!("{api_base}/v1/wallets/{wallet_id}/events");
        let on_data = move |data: String| {
            if let Some(wallet) = js_sys::JSON::parse(&data)
                .ok()
                .as_ref()
                .and_then(wallet_from_js)
            {
                on_wallet(wallet);
            }
            false
        };
        Self::open(&url, "wallet", on_data, on_trouble, on_open)
    }

    /// Listens to `event`s at `url`; `on_data` gets each one's data and says whether that was
    /// the last (the stream is then closed before the browser reconnects).
    fn open(
        url: &str,
        event: &str,
        on_data: impl Fn(String) -> bool + 'static,
        on_trouble: impl Fn(bool) + 'static,
        on_open: impl Fn() + 'static,
    ) -> Option<Self> {
        let source = web_sys::EventSource::new(url).ok()?;
        let this = source.clone();
        let on_event = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |message: web_sys::MessageEvent| {
                if let Some(data) = message.data().as_string()
                    && on_data(data)
                {
                    // The server ends the stream now; closing first stops the browser reconnecting.
                    this.close();
                }
            },
        );
        source
            .add_event_listener_with_callback(event, on_event.as_ref().unchecked_ref())
            .ok()?;
        let this = source.clone();
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
            on_trouble(this.ready_state() == web_sys::EventSource::CLOSED);
        });
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| on_open());
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        Some(Self {
            source,
            _on_open: on_open,
            _on_event: on_event,
            _on_error: on_error,
        })
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.source.set_onerror(None);
        self.source.set_onopen(None);
        self.source.close();
    }
}

/// A deposit to a static wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deposit {
    /// The gateway's payment uuid.
    pub id: String,
    /// What was sent.
    pub amount: String,
    /// Final and paid: counted.
    pub credited: bool,
    /// Will not change any more.
    pub is_final: bool,
}

/// A static wallet as `GET /v1/wallets/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wallet {
    /// `wal_…`.
    pub id: String,
    /// The coin.
    pub currency: String,
    /// Its network.
    pub network: String,
    /// Where to send.
    pub address: String,
    /// What a wallet app scans.
    pub payment_uri: String,
    /// Takes no more deposits.
    pub blocked: bool,
    /// The credited total.
    pub credited: String,
    /// Every deposit, oldest first.
    pub deposits: Vec<Deposit>,
}

/// A wallet from the shim's JSON; `None` if it is not one.
pub fn wallet_from_js(value: &JsValue) -> Option<Wallet> {
    let deposits: js_sys::Array = field(value, "deposits").dyn_into().ok()?;
    Some(Wallet {
        id: string(value, "id")?,
        currency: string(value, "currency")?,
        network: string(value, "network")?,
        address: string(value, "address")?,
        payment_uri: string(value, "payment_uri")?,
        blocked: field(value, "blocked").as_bool()?,
        credited: string(value, "credited")?,
        deposits: deposits
            .iter()
            .map(|d| {
                Some(Deposit {
                    id: string(&d, "id")?,
                    amount: string(&d, "amount")?,
                    credited: field(&d, "credited").as_bool()?,
                    is_final: field(&d, "is_final").as_bool().unwrap_or(false),
                })
            })
            .collect::<Option<_>>()?,
    })
}

/// `GET {api_base}/v1/wallets/{id}`.
pub async fn fetch_wallet(api_base: &str, wallet_id: &str) -> Result<Wallet, LoadError> {
    match fetch_json("GET", &format!("{api_base}/v1/wallets/{wallet_id}"), None).await? {
        (200, json) => wallet_from_js(&json).ok_or(LoadError::Malformed),
        (404, _) => Err(LoadError::NotFound),
        (status, _) => Err(LoadError::Server(status)),
    }
}

/// Whether `id` is a wallet id (`wal_` and 24 hex digits): safe in a URL path.
pub fn is_wallet_id(id: &str) -> bool {
    id.strip_prefix("wal_")
        .is_some_and(|hex| hex.len() == 24 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}
