//! The root component: loads the invoice, keeps it fresh, counts down, and shows what it has.

use super::{InvoiceCard, use_language};
use crate::api::{Live, fetch_invoice};
use crate::i18n::{Locale, Words as _, fill};
use crate::state::{Action, LoadError, State};
use gloo_timers::callback::Interval;
use gloo_timers::future::TimeoutFuture;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::JsCast as _;
use yew::prelude::*;

/// How often an open invoice is refreshed.
const POLL_MS: u32 = 2_000;
/// The longest wait between retries after failures.
const MAX_BACKOFF_MS: u32 = 30_000;

/// The stylesheet, minified by `build.rs` from `src/style.css`.
const STYLE: &str = include_str!(concat!(env!("OUT_DIR"), "/style.css"));

/// Properties of [`Checkout`].
#[derive(Properties, PartialEq, Clone, Debug)]
pub struct CheckoutProps {
    /// The shim's URL, without a trailing slash; empty for this page's origin.
    pub api_base: AttrValue,
    /// Where the widget's files are served, without a trailing slash: languages other than
    /// English are fetched from there.
    #[prop_or_default]
    pub assets: AttrValue,
    /// The invoice to show.
    pub invoice_id: AttrValue,
    /// The element the widget is mounted in: status changes are dispatched on it as
    /// `checkout:status` events.
    #[prop_or_default]
    pub host: Option<web_sys::Element>,
    /// Called with `{ invoiceId, status, isFinal, version }` on every status change.
    #[prop_or_default]
    pub on_status: Option<js_sys::Function>,
    /// Seconds between a successful payment and going to the shop's success page; 0 stays.
    #[prop_or(DEFAULT_REDIRECT_SECONDS)]
    pub redirect_after: u32,
    /// The payer's language.
    #[prop_or(Locale::En)]
    pub locale: Locale,
    /// Light, dark, or as the payer's system says.
    #[prop_or(Theme::Auto)]
    pub theme: Theme,
}

/// The widget's colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    /// Dark when the payer's system prefers it (`prefers-color-scheme`).
    Auto,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

impl Theme {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Theme::Auto => "auto",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

/// How long the success screen shows before the payer is sent back to the shop.
pub const DEFAULT_REDIRECT_SECONDS: u32 = 5;

/// Tells the host page: a `checkout:status` DOM event on the host element (bubbling, so a page can
/// listen on `document`), and the `onStatus` callback.
fn announce(props: &CheckoutProps, view: &shim_api::InvoiceView) {
    let detail = js_sys::Object::new();
    let set = |key: &str, value: wasm_bindgen::JsValue| {
        let _ = js_sys::Reflect::set(&detail, &key.into(), &value);
    };
    set("invoiceId", view.id.as_str().into());
    set("status", view.status.as_str().into());
    set("isFinal", view.is_final.into());
    set("version", (view.version as f64).into());
    if let Some(host) = &props.host {
        let init = web_sys::CustomEventInit::new();
        init.set_bubbles(true);
        init.set_detail(&detail);
        if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict("checkout:status", &init)
        {
            let _ = host.dispatch_event(&event);
        }
    }
    if let Some(callback) = &props.on_status {
        // A throwing callback is the host page's problem, not the widget's.
        let _ = callback.call1(&wasm_bindgen::JsValue::NULL, &detail);
    }
}

fn backoff_ms(failures: u32) -> u32 {
    POLL_MS
        .saturating_mul(1 << failures.min(4))
        .min(MAX_BACKOFF_MS)
}

/// `ms` spread by ±25 %, so that many widgets that lost the shim together do not come back in step.
fn jittered(ms: u32, random: f64) -> u32 {
    (f64::from(ms) * (0.75 + 0.5 * random.clamp(0.0, 1.0))) as u32
}

fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden())
}

/// Resolves when the page is visible: at once, or when the payer comes back to the tab.
async fn until_visible() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if !document.hidden() {
        return;
    }
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let options = web_sys::AddEventListenerOptions::new();
        options.set_once(true);
        let resolve = wasm_bindgen::closure::Closure::once_into_js(move || {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        });
        let _ = document.add_event_listener_with_callback_and_add_event_listener_options(
            "visibilitychange",
            resolve.unchecked_ref(),
            &options,
        );
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Polls the invoice until it is final, the component is gone, or the invoice does not exist,
/// backing off (with jitter) after failures. Nothing is asked while the tab is hidden; the next
/// request goes out as soon as the payer is back.
async fn poll(
    api_base: &str,
    invoice_id: &str,
    running: &Cell<bool>,
    dispatcher: &UseReducerDispatcher<State>,
) {
    let mut failures = 0;
    while running.get() {
        until_visible().await;
        if !running.get() {
            return;
        }
        let delay = match fetch_invoice(api_base, invoice_id).await {
            Ok(view) => {
                let done = view.is_final;
                failures = 0;
                if running.get() {
                    dispatcher.dispatch(Action::Loaded(Rc::new(view)));
                }
                if done {
                    return;
                }
                POLL_MS
            }
            Err(error) => {
                let retry = error.is_retryable();
                if running.get() {
                    dispatcher.dispatch(Action::Failed(error));
                }
                if !retry {
                    return;
                }
                failures += 1;
                backoff_ms(failures)
            }
        };
        TimeoutFuture::new(jittered(delay, js_sys::Math::random())).await;
    }
}

/// Follows invoice `invoice_id` for the widget: live push, polling when push is unavailable or
/// given up, a fresh read when the payer comes back to the tab, and the countdown's tick. Returns
/// what stops it all.
fn follow(
    api_base: &str,
    invoice_id: &str,
    dispatcher: UseReducerDispatcher<State>,
) -> impl FnOnce() + use<> {
    let alive = Rc::new(Cell::new(true));
    let polling = Rc::new(Cell::new(false));
    // Polling is the fallback: it starts when live push is unavailable or given up.
    let start_polling: Rc<dyn Fn()> = {
        let (alive, polling, dispatcher) = (alive.clone(), polling.clone(), dispatcher.clone());
        let (api_base, invoice_id) = (api_base.to_string(), invoice_id.to_string());
        Rc::new(move || {
            if polling.replace(true) {
                return;
            }
            let (running, poller) = (alive.clone(), dispatcher.clone());
            let (api_base, invoice_id) = (api_base.clone(), invoice_id.clone());
            wasm_bindgen_futures::spawn_local(async move {
                poll(&api_base, &invoice_id, &running, &poller).await;
            });
        })
    };
    let live = {
        let (on_view, on_trouble, on_open) =
            (dispatcher.clone(), dispatcher.clone(), dispatcher.clone());
        let fallback = start_polling.clone();
        Live::invoice(
            api_base,
            invoice_id,
            move |view| on_view.dispatch(Action::Loaded(Rc::new(view))),
            move |given_up| {
                if given_up {
                    fallback();
                } else {
                    on_trouble.dispatch(Action::Failed(LoadError::Network));
                }
            },
            move || on_open.dispatch(Action::Connected),
        )
    };
    if live.is_none() {
        start_polling();
    }
    // Back on the tab: ask once at once (a phone may have dropped the stream meanwhile).
    let on_return = {
        let (alive, dispatcher) = (alive.clone(), dispatcher.clone());
        let (api_base, invoice_id) = (api_base.to_string(), invoice_id.to_string());
        wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            if page_hidden() || !alive.get() {
                return;
            }
            let (alive, dispatcher) = (alive.clone(), dispatcher.clone());
            let (api_base, invoice_id) = (api_base.clone(), invoice_id.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(view) = fetch_invoice(&api_base, &invoice_id).await
                    && alive.get()
                {
                    dispatcher.dispatch(Action::Loaded(Rc::new(view)));
                }
            });
        })
    };
    let document = web_sys::window().and_then(|w| w.document());
    if let Some(document) = &document {
        let _ = document.add_event_listener_with_callback(
            "visibilitychange",
            on_return.as_ref().unchecked_ref(),
        );
    }
    let tick = Interval::new(1_000, move || dispatcher.dispatch(Action::Tick));
    move || {
        alive.set(false);
        if let Some(document) = &document {
            let _ = document.remove_event_listener_with_callback(
                "visibilitychange",
                on_return.as_ref().unchecked_ref(),
            );
        }
        drop(on_return);
        drop(live);
        drop(tick);
    }
}

/// The widget.
#[component]
pub fn Checkout(props: &CheckoutProps) -> Html {
    let state = use_reducer(State::default);
    // The words load while the invoice does.
    let shown = use_language(props.locale, props.assets.clone());
    {
        let dispatcher = state.dispatcher();
        use_effect_with(
            (props.api_base.clone(), props.invoice_id.clone()),
            move |(api_base, invoice_id)| follow(api_base, invoice_id, dispatcher),
        );
    }

    // Tell the host page of each new status (not of every refresh).
    {
        let view = state.view.clone();
        let props = props.clone();
        let key = view.as_ref().map(|v| v.status.as_str());
        use_effect_with(key, move |_| {
            if let Some(view) = &view {
                announce(&props, view);
            }
        });
    }
    // After a successful payment, back to the shop's success page after a visible delay.
    let redirect = state
        .view
        .as_ref()
        .filter(|v| v.status.is_settled_paid() && props.redirect_after > 0)
        .and_then(|v| v.url_success.clone());
    // The seconds left before going, counted down on screen.
    let left = use_state_eq(|| props.redirect_after);
    {
        let (target, seconds, left) = (redirect.clone(), props.redirect_after, left.clone());
        use_effect_with(target, move |target| {
            left.set(seconds);
            let timer = target.clone().map(|url| {
                let mut remaining = seconds;
                Interval::new(1_000, move || {
                    if remaining == 0 {
                        return;
                    }
                    remaining -= 1;
                    left.set(remaining);
                    if remaining == 0
                        && let Some(window) = web_sys::window()
                    {
                        let _ = window.location().assign(&url);
                    }
                })
            });
            move || drop(timer)
        });
    }

    let locale = shown.unwrap_or(props.locale);
    let text = locale.text();
    let status = state.view.as_ref().map_or("loading", |v| v.status.as_str());
    let banner = match (&state.error, &state.view) {
        (Some(LoadError::NotFound), _) => Some(text.not_found),
        (Some(_), Some(_)) => Some(text.reconnecting),
        (Some(_), None) => Some(text.load_failed),
        (None, _) => None,
    };
    let on_view = {
        let dispatcher = state.dispatcher();
        Callback::from(move |view| dispatcher.dispatch(Action::Loaded(Rc::new(view))))
    };
    html! {
        <div class="ckw" data-status={status} data-theme={props.theme.as_str()} lang={locale.tag()} dir={if locale.is_rtl() { "rtl" } else { "ltr" }}>
            <style>{ STYLE }</style>
            if shown.is_none() {
                <p class="ckw-loading" role="status" aria-busy="true">{ "…" }</p>
            } else {
                if let Some(text) = banner {
                    <p class="ckw-banner" role="alert">{ text }</p>
                }
                if let Some(view) = &state.view {
                    <InvoiceCard view={view.clone()} seconds_left={state.seconds_left} {locale}
                        api_base={props.api_base.clone()} {on_view} />
                    if redirect.is_some() {
                        // Read out once; the count on screen changes every second.
                        <p class="ckw-redirect">
                            <span aria-hidden="true">{ fill(text.redirecting, &[&locale.number(&left.to_string())]) }</span>
                            <span class="ckw-sr" role="status">{ fill(text.redirecting, &[&locale.number(&props.redirect_after.to_string())]) }</span>
                        </p>
                    }
                } else if state.error.is_none() {
                    <p class="ckw-loading" role="status">{ text.loading }</p>
                }
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn jitter_spreads_by_a_quarter() {
        assert_eq!(super::jittered(4_000, 0.0), 3_000);
        assert_eq!(super::jittered(4_000, 0.5), 4_000);
        assert_eq!(super::jittered(4_000, 1.0), 5_000);
    }

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff_ms(1), 4_000);
        assert_eq!(backoff_ms(3), 16_000);
        assert_eq!(backoff_ms(10), 30_000);
    }
}
