//! The checkout widget: shows a payer what to send, where, and how it is going.
//!
//! # Layout
//! - [`mount`] and [`WidgetHandle`]: the JavaScript entry points (`checkout.js` after
//!   wasm-bindgen); `js/embed.js` mounts it from a script tag.
//! - [`state`]: the pure reducer (loaded, failed, clock tick).
//! - [`api`]: fetching the invoice view from the shim.
//! - [`format`]: amounts, countdowns, network names.
//! - [`i18n`]: the twelve languages, their words and numbers.
//! - [`components`]: one component per file: the root [`components::Checkout`], the invoice card,
//!   the QR code, the copy button.
//! - `style.css`: the widget's styles, scoped under `.ckw`.

/// TLSF instead of the standard library's dlmalloc: constant-time, and about 3 KB less of the
/// payers' download (measured with `cargo xtask build-widget`).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: rlsf::SmallGlobalTlsf = rlsf::SmallGlobalTlsf::new();

pub mod api;
pub mod components;
pub mod format;
pub mod i18n;
pub mod state;

#[cfg(feature = "invoice")]
use components::{Checkout, CheckoutProps};
use wasm_bindgen::prelude::*;

/// A mounted widget. Call `destroy()` to remove it from the page.
#[wasm_bindgen]
#[derive(Debug)]
pub struct WidgetHandle {
    handle: Option<WidgetRoot>,
    container: web_sys::Element,
}

/// What is mounted: an invoice's checkout, or a wallet's deposit card.
#[derive(Debug)]
enum WidgetRoot {
    #[cfg(feature = "invoice")]
    Checkout(yew::AppHandle<Checkout>),
    #[cfg(feature = "deposit")]
    Deposit(yew::AppHandle<components::Deposit>),
}

#[wasm_bindgen]
impl WidgetHandle {
    /// Unmounts the widget and stops its timers and requests.
    pub fn destroy(&mut self) {
        match self.handle.take() {
            #[cfg(feature = "invoice")]
            Some(WidgetRoot::Checkout(handle)) => handle.destroy(),
            #[cfg(feature = "deposit")]
            Some(WidgetRoot::Deposit(handle)) => handle.destroy(),
            None => {}
        }
        self.container.remove();
    }
}

/// The payer's language: the `locale` option, else the host page's `<html lang>`, else the
/// browser's preferences, else English.
fn pick_locale(option: Option<String>) -> i18n::Locale {
    let window = web_sys::window();
    let page = window
        .as_ref()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|html| html.get_attribute("lang"));
    let browser: Vec<String> = window
        .map(|w| w.navigator().languages())
        .map(|languages| languages.iter().filter_map(|l| l.as_string()).collect())
        .unwrap_or_default();
    i18n::Locale::negotiate(
        option
            .iter()
            .chain(page.iter())
            .chain(browser.iter())
            .map(String::as_str)
            .filter(|tag| !tag.trim().is_empty()),
    )
}

fn option(options: &JsValue, key: &str) -> Option<String> {
    js_sys::Reflect::get(options, &JsValue::from_str(key))
        .ok()
        .and_then(|v| v.as_string())
}

/// Mounts the widget into `element`.
///
/// `options`: `{ invoiceId, apiBase?, assetBase?, locale?, theme?, onStatus?, redirectAfterSeconds? }`.
/// `apiBase` is the shim's URL (default: this page's origin). `assetBase` is where the widget's
/// files are served (default: `{apiBase}/widget`); languages other than English are fetched from
/// there. `locale` is a language tag (`de`, `pt-BR`, `ar`);
/// without it, the page's `<html lang>` or the browser's languages decide, else English. `theme` is
/// `"light"`, `"dark"` or `"auto"` (the default: the payer's system setting). The widget renders
/// in `element`'s shadow root; colours, radius and font follow the CSS custom properties
/// `--ckw-bg`, `--ckw-fg`, `--ckw-muted`, `--ckw-accent`, `--ckw-accent-fg`, `--ckw-radius` and
/// `--ckw-font` set on `element` or above it. `onStatus` is called with `{ invoiceId, status,
/// isFinal, version }` on every status change, which is also dispatched on `element` as a bubbling
/// `checkout:status` event. After a successful payment the payer goes to the invoice's
/// `url_success` after `redirectAfterSeconds` (default 5; 0 stays on the page).
///
/// Deposit mode: `{ walletId, apiBase?, assetBase?, locale?, theme? }` shows a customer's permanent deposit
/// address (`wal_…`, from `POST /v1/wallets`), its QR code and the deposits as they arrive.
///
/// The widget is built twice: `checkout.js` (feature `invoice`) mounts invoices and `deposit.js`
/// (feature `deposit`) the deposit card, so that neither kind of payer downloads the other's
/// code; each refuses the other's options with a message naming the right file.
#[wasm_bindgen]
pub fn mount(element: web_sys::Element, options: JsValue) -> Result<WidgetHandle, JsValue> {
    if let Some(wallet_id) = option(&options, "walletId") {
        return mount_deposit(element, &options, wallet_id);
    }
    match option(&options, "invoiceId") {
        Some(invoice_id) => mount_invoice(element, &options, invoice_id),
        None => Err(JsValue::from_str(
            "mount: options.invoiceId is required (or options.walletId, for deposit mode)",
        )),
    }
}

#[cfg(feature = "deposit")]
fn mount_deposit(
    element: web_sys::Element,
    options: &JsValue,
    wallet_id: String,
) -> Result<WidgetHandle, JsValue> {
    if !api::is_wallet_id(&wallet_id) {
        return Err(JsValue::from_str(
            "mount: options.walletId is not a wallet id (wal_...)",
        ));
    }
    let (container, theme) = prepare(&element, options)?;
    let (api_base, assets) = bases(options);
    let props = components::DepositProps {
        api_base: api_base.into(),
        assets: assets.into(),
        wallet_id: wallet_id.into(),
        locale: pick_locale(option(options, "locale")),
        theme,
    };
    let handle =
        yew::Renderer::<components::Deposit>::with_root_and_props(container.clone(), props)
            .render();
    Ok(WidgetHandle {
        handle: Some(WidgetRoot::Deposit(handle)),
        container,
    })
}

#[cfg(not(feature = "deposit"))]
fn mount_deposit(_: web_sys::Element, _: &JsValue, _: String) -> Result<WidgetHandle, JsValue> {
    Err(JsValue::from_str(
        "mount: this is checkout.js, for invoices; the deposit card (options.walletId) is \
         deposit.js, beside it",
    ))
}

#[cfg(feature = "invoice")]
fn mount_invoice(
    element: web_sys::Element,
    options: &JsValue,
    invoice_id: String,
) -> Result<WidgetHandle, JsValue> {
    use wasm_bindgen::JsCast as _;
    let invoice_id = shim_api::InvoiceId::parse(&invoice_id).ok_or_else(|| {
        JsValue::from_str("mount: options.invoiceId is not an invoice id (inv_...)")
    })?;
    let (api_base, assets) = bases(options);
    let on_status = js_sys::Reflect::get(options, &JsValue::from_str("onStatus"))
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let redirect_after = js_sys::Reflect::get(options, &JsValue::from_str("redirectAfterSeconds"))
        .ok()
        .and_then(|v| v.as_f64())
        .map_or(components::DEFAULT_REDIRECT_SECONDS, |s| {
            s.clamp(0.0, 3600.0) as u32
        });
    let (container, theme) = prepare(&element, options)?;
    let props = CheckoutProps {
        api_base: api_base.into(),
        assets: assets.into(),
        invoice_id: invoice_id.as_str().to_owned().into(),
        host: Some(element.clone()),
        on_status,
        redirect_after,
        locale: pick_locale(option(options, "locale")),
        theme,
    };
    let handle = yew::Renderer::<Checkout>::with_root_and_props(container.clone(), props).render();
    Ok(WidgetHandle {
        handle: Some(WidgetRoot::Checkout(handle)),
        container,
    })
}

#[cfg(not(feature = "invoice"))]
fn mount_invoice(_: web_sys::Element, _: &JsValue, _: String) -> Result<WidgetHandle, JsValue> {
    Err(JsValue::from_str(
        "mount: this is deposit.js, for deposit cards (options.walletId); invoices are \
         checkout.js, beside it",
    ))
}

/// The shim's URL and where the widget's files are, from the options, without trailing slashes.
fn bases(options: &JsValue) -> (String, String) {
    let api_base = option(options, "apiBase")
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_owned();
    let assets = option(options, "assetBase").map_or_else(
        || format!("{api_base}/widget"),
        |assets| assets.trim_end_matches('/').to_owned(),
    );
    (api_base, assets)
}

/// The container the widget renders into, in `element`'s shadow root (the page's styles cannot
/// reach in, the widget's cannot leak out; theming goes through the CSS custom properties that do
/// inherit), and the theme asked for.
fn prepare(
    element: &web_sys::Element,
    options: &JsValue,
) -> Result<(web_sys::Element, components::Theme), JsValue> {
    let theme = match option(options, "theme").as_deref() {
        None | Some("auto") => components::Theme::Auto,
        Some("light") => components::Theme::Light,
        Some("dark") => components::Theme::Dark,
        Some(_) => {
            return Err(JsValue::from_str(
                "mount: options.theme must be \"light\", \"dark\" or \"auto\"",
            ));
        }
    };
    let root = match element.shadow_root() {
        Some(root) => root,
        None => {
            element.attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))?
        }
    };
    root.set_inner_html("");
    let document = element
        .owner_document()
        .ok_or_else(|| JsValue::from_str("mount: the element is not in a document"))?;
    let container = document.create_element("div")?;
    root.append_child(&container)?;
    element.set_attribute("data-checkout-widget", "")?;
    Ok((container, theme))
}
