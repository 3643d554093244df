//! Deposit mode: a customer's permanent address for one coin, its QR code, the network warning,
//! and the deposits as they arrive: pushed by the shim (`/v1/wallets/{id}/events`), or, where live
//! push is unavailable or given up, read again every few seconds.

use super::{CopyButton, Theme, qr, use_language};
use crate::api::{self, Wallet};
use crate::format;
use crate::i18n::{Locale, Text, Words as _, fill};
use crate::state::LoadError;
use gloo_timers::callback::Interval;
use std::rc::Rc;
use yew::prelude::*;

/// The stylesheet, minified by `build.rs` from `src/style.css`.
const STYLE: &str = include_str!(concat!(env!("OUT_DIR"), "/style.css"));

/// How often the wallet is read again when live push is unavailable, milliseconds.
const REFRESH_MS: u32 = 5_000;

/// Properties of [`Deposit`].
#[derive(Properties, PartialEq, Clone, Debug)]
pub struct DepositProps {
    /// The shim's URL; empty for this page's origin.
    #[prop_or_default]
    pub api_base: AttrValue,
    /// Where the widget's files are served (see [`super::CheckoutProps::assets`]).
    #[prop_or_default]
    pub assets: AttrValue,
    /// `wal_…`.
    pub wallet_id: AttrValue,
    /// The customer's language.
    #[prop_or(Locale::En)]
    pub locale: Locale,
    /// Light, dark or the system's.
    #[prop_or(Theme::Auto)]
    pub theme: Theme,
}

/// The deposit card.
#[component]
pub fn Deposit(props: &DepositProps) -> Html {
    // `_eq`: a poll that finds nothing new does not re-render.
    let wallet = use_state_eq(|| None::<Rc<Wallet>>);
    let shown = use_language(props.locale, props.assets.clone());
    let error = use_state_eq(|| None::<LoadError>);
    {
        let (wallet, error) = (wallet.clone(), error.clone());
        let (api_base, id) = (props.api_base.to_string(), props.wallet_id.to_string());
        use_effect_with(props.wallet_id.clone(), move |_| {
            let load = {
                let (wallet, error, api_base, id) =
                    (wallet.clone(), error.clone(), api_base.clone(), id.clone());
                move || {
                    let (wallet, error, api_base, id) =
                        (wallet.clone(), error.clone(), api_base.clone(), id.clone());
                    wasm_bindgen_futures::spawn_local(async move {
                        match api::fetch_wallet(&api_base, &id).await {
                            Ok(fresh) => {
                                wallet.set(Some(Rc::new(fresh)));
                                error.set(None);
                            }
                            Err(e) => error.set(Some(e)),
                        }
                    });
                }
            };
            // Reading every few seconds is the fallback, started when push is unavailable or
            // given up.
            let polling: Rc<std::cell::RefCell<Option<Interval>>> = Rc::default();
            let start_polling = {
                let (polling, load) = (polling.clone(), load.clone());
                move || {
                    let mut polling = polling.borrow_mut();
                    if polling.is_none() {
                        load();
                        *polling = Some(Interval::new(REFRESH_MS, load.clone()));
                    }
                }
            };
            let live = {
                let (pushed, open, trouble) = (wallet.clone(), error.clone(), error.clone());
                let fallback = start_polling.clone();
                api::Live::wallet(
                    &api_base,
                    &id,
                    move |fresh| pushed.set(Some(Rc::new(fresh))),
                    move |given_up| {
                        if given_up {
                            fallback();
                        } else {
                            trouble.set(Some(LoadError::Network));
                        }
                    },
                    move || open.set(None),
                )
            };
            if live.is_none() {
                start_polling();
            }
            move || {
                drop(live);
                polling.borrow_mut().take();
            }
        });
    }
    let locale = shown.unwrap_or(props.locale);
    // Keyed on what is shown: the same locale's words change when its file arrives.
    let text: Rc<Text> = use_memo(shown, |shown| shown.unwrap_or(Locale::En).text());
    let banner = match (&*error, &*wallet) {
        (Some(LoadError::NotFound), _) => Some(text.not_found),
        (Some(_), Some(_)) => Some(text.reconnecting),
        (Some(_), None) => Some(text.load_failed),
        (None, _) => None,
    };
    let status = match wallet.as_deref() {
        None => "loading",
        Some(w) if w.blocked => "blocked",
        Some(_) => "open",
    };
    html! {
        <div class="ckw" data-status={status} data-theme={props.theme.as_str()} lang={locale.tag()} dir={if locale.is_rtl() { "rtl" } else { "ltr" }}>
            <style>{ STYLE }</style>
            if shown.is_none() {
                <p class="ckw-loading" role="status" aria-busy="true">{ "…" }</p>
            } else {
                if let Some(message) = banner {
                    <p class="ckw-banner" role="alert">{ message }</p>
                }
                if let Some(wallet) = wallet.as_deref() {
                    { card(wallet, locale, &text) }
                } else if error.is_none() {
                    <p class="ckw-loading" role="status">{ text.loading }</p>
                }
            }
        </div>
    }
}

fn card(wallet: &Wallet, locale: Locale, text: &Rc<Text>) -> Html {
    let coin = &wallet.currency;
    let network = format::network_name(&wallet.network);
    let with_coin = |amount: &str| format!("{} {coin}", locale.number(&format::amount(amount)));
    let body = if wallet.blocked {
        html! { <p class="ckw-network" role="note">{ text.wallet_blocked }</p> }
    } else {
        let open_link = format::wallet_link(&wallet.payment_uri);
        html! {
            <>
                <p class="ckw-detail">{ fill(text.deposit_hint, &[coin, &network]) }</p>
                <p class="ckw-network" role="note">{ fill(text.send_only, &[coin, &network]) }</p>
                { qr(&wallet.payment_uri, fill(text.qr_label, &[coin, &wallet.address]).into()) }
                <div class="ckw-row">
                    <span class="ckw-label">{ text.address }</span>
                    <code class="ckw-address" dir="ltr">{ wallet.address.clone() }</code>
                    <CopyButton value={wallet.address.clone()} label={text.copy_address} text={text.clone()} />
                </div>
                if let Some(link) = open_link {
                    <a class="ckw-wallet" href={link}>{ text.open_wallet }</a>
                }
            </>
        }
    };
    html! {
        <section class="ckw-card" aria-labelledby="ckw-title">
            <h2 id="ckw-title" class="ckw-status">{ text.deposit_title }</h2>
            { body }
            <p class="ckw-credited" role="status" aria-live="polite">
                { fill(text.credited, &[&with_coin(&wallet.credited)]) }
            </p>
            <h3 class="ckw-deposits-title">{ text.deposits }</h3>
            if wallet.deposits.is_empty() {
                <p class="ckw-detail">{ text.no_deposits }</p>
            } else {
                <ul class="ckw-deposits">
                    { for wallet.deposits.iter().rev().map(|d| html! {
                        <li class="ckw-deposit" data-deposit={d.id.clone()} data-credited={d.credited.to_string()}>
                            <bdi>{ with_coin(&d.amount) }</bdi>
                            <span class="ckw-deposit-state">
                                { match (d.credited, d.is_final) {
                                    (true, _) => text.deposit_credited,
                                    (false, false) => text.deposit_confirming,
                                    // Final and not credited (failed, or another coin): the shop says why.
                                    (false, true) => "",
                                } }
                            </span>
                        </li>
                    }) }
                </ul>
            }
        </section>
    }
}
