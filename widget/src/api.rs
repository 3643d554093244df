//! The widget's requests: the invoice view, its live stream, and the coin picker.

use crate::state::LoadError;
use shim_api::{ChooseCoinRequest, CoinOption, ErrorBody, InvoiceView};

/// `GET {api_base}/v1/invoices/{id}`.
pub async fn fetch_invoice(api_base: &str, invoice_id: &str) -> Result<InvoiceView, LoadError> {
    let url = format!("{api_base}/v1/invoices/{invoice_id}");
    let response = gloo_net::http::Request::get(&url)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|_| LoadError::Network)?;
    match response.status() {
        200 => response
            .json::<InvoiceView>()
            .await
            .map_err(|_| LoadError::Malformed),
        404 => Err(LoadError::NotFound),
        status => Err(LoadError::Server(status)),
    }
}

/// `GET {api_base}/v1/invoices/{id}/coins`: the coins the payer may pick.
pub async fn fetch_coins(api_base: &str, invoice_id: &str) -> Result<Vec<CoinOption>, LoadError> {
    let url = format!("{api_base}/v1/invoices/{invoice_id}/coins");
    let response = gloo_net::http::Request::get(&url)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|_| LoadError::Network)?;
    match response.status() {
        200 => response
            .json::<shim_api::CoinList>()
            .await
            .map(|list| list.coins)
            .map_err(|_| LoadError::Malformed),
        404 => Err(LoadError::NotFound),
        status => Err(LoadError::Server(status)),
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
    let url = format!("{api_base}/v1/invoices/{invoice_id}/coin");
    let body = ChooseCoinRequest {
        currency: currency.to_owned(),
        network: network.to_owned(),
    };
    let response = gloo_net::http::Request::post(&url)
        .json(&body)
        .map_err(|_| ChooseError::Network)?
        .send()
        .await
        .map_err(|_| ChooseError::Network)?;
    if response.status() == 200 {
        return response
            .json::<InvoiceView>()
            .await
            .map_err(|_| ChooseError::Network);
    }
    match response.json::<ErrorBody>().await {
        Ok(body) => Err(ChooseError::Refused(body.error.message)),
        Err(_) => Err(ChooseError::Network),
    }
}

/// A live subscription to `GET {api_base}/v1/invoices/{id}/events` (Server-Sent Events). It closes
/// itself after a final status, and when dropped.
#[derive(Debug)]
pub struct LiveInvoice {
    source: web_sys::EventSource,
    _on_invoice: wasm_bindgen::closure::Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: wasm_bindgen::closure::Closure<dyn FnMut(web_sys::Event)>,
    _on_open: wasm_bindgen::closure::Closure<dyn FnMut(web_sys::Event)>,
}

impl LiveInvoice {
    /// Opens the stream. `on_view` gets every view pushed; `on_trouble` is told of each error, with
    /// `true` when the browser gave up on the stream (an error status, or no stream support for
    /// the URL) rather than reconnecting; `on_open` is told when the stream is (re)connected, which
    /// may bring no event when nothing changed meanwhile. `None` where `EventSource` is not
    /// available.
    pub fn open(
        api_base: &str,
        invoice_id: &str,
        on_view: impl Fn(InvoiceView) + 'static,
        on_trouble: impl Fn(bool) + 'static,
        on_open: impl Fn() + 'static,
    ) -> Option<Self> {
        use wasm_bindgen::JsCast as _;
        use wasm_bindgen::closure::Closure;

        let url = format!("{api_base}/v1/invoices/{invoice_id}/events");
        let source = web_sys::EventSource::new(&url).ok()?;
        let this = source.clone();
        let on_invoice = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |event: web_sys::MessageEvent| {
                let Some(data) = event.data().as_string() else {
                    return;
                };
                if let Ok(view) = serde_json::from_str::<InvoiceView>(&data) {
                    let done = view.is_final;
                    on_view(view);
                    if done {
                        // The server ends the stream now; closing first stops the browser reconnecting.
                        this.close();
                    }
                }
            },
        );
        source
            .add_event_listener_with_callback("invoice", on_invoice.as_ref().unchecked_ref())
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
            _on_invoice: on_invoice,
            _on_error: on_error,
        })
    }
}

impl Drop for LiveInvoice {
    fn drop(&mut self) {
        self.source.set_onerror(None);
        self.source.set_onopen(None);
        self.source.close();
    }
}
