//! The coin picker: the payer chooses what to pay with, from what the gateway takes.

use crate::api::{ChooseError, choose_coin, fetch_coins};
use crate::format;
use crate::i18n::Text;
use shim_api::{CoinOption, InvoiceView};
use std::rc::Rc;
use yew::prelude::*;

/// Properties of [`CoinPicker`].
#[derive(Properties, PartialEq, Clone, Debug)]
pub struct CoinPickerProps {
    /// The shim's URL, without a trailing slash; empty for this page's origin.
    pub api_base: AttrValue,
    /// The invoice.
    pub invoice_id: AttrValue,
    /// The words, in the payer's language.
    pub text: Rc<Text>,
    /// Called with the invoice once it is in the picked coin.
    pub on_chosen: Callback<InvoiceView>,
    /// Called when the payer keeps the current coin; `None` when there is none yet.
    #[prop_or_default]
    pub on_cancel: Option<Callback<()>>,
}

/// Where the list stands.
#[derive(Debug, Clone, PartialEq)]
enum Coins {
    Loading,
    Failed,
    Loaded(Rc<Vec<CoinOption>>),
}

/// A list of coin and network buttons; a click gives the invoice a payment in that coin.
#[component]
pub fn CoinPicker(props: &CoinPickerProps) -> Html {
    let coins = use_state(|| Coins::Loading);
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);
    let attempt = use_state(|| 0u32);
    {
        let coins = coins.clone();
        let (api_base, invoice_id) = (props.api_base.to_string(), props.invoice_id.to_string());
        use_effect_with(*attempt, move |_| {
            coins.set(Coins::Loading);
            wasm_bindgen_futures::spawn_local(async move {
                coins.set(match fetch_coins(&api_base, &invoice_id).await {
                    Ok(list) => Coins::Loaded(Rc::new(list)),
                    Err(_) => Coins::Failed,
                });
            });
        });
    }
    let text = &props.text;
    let pick = |coin: &CoinOption| {
        let (busy, error, on_chosen) = (busy.clone(), error.clone(), props.on_chosen.clone());
        let (api_base, invoice_id) = (props.api_base.to_string(), props.invoice_id.to_string());
        let (currency, network) = (coin.currency.clone(), coin.network.clone());
        let offline = text.network_error.to_owned();
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            busy.set(true);
            error.set(None);
            let (busy, error, on_chosen) = (busy.clone(), error.clone(), on_chosen.clone());
            let (api_base, invoice_id) = (api_base.clone(), invoice_id.clone());
            let (currency, network, offline) = (currency.clone(), network.clone(), offline.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match choose_coin(&api_base, &invoice_id, &currency, &network).await {
                    Ok(view) => on_chosen.emit(view),
                    Err(ChooseError::Refused(message)) => error.set(Some(message)),
                    Err(ChooseError::Network) => error.set(Some(offline)),
                }
                busy.set(false);
            });
        })
    };
    let body = match &*coins {
        Coins::Loading => html! { <p class="ckw-loading" role="status">{ text.loading_coins }</p> },
        Coins::Failed => {
            let retry = {
                let attempt = attempt.clone();
                Callback::from(move |_: MouseEvent| attempt.set(*attempt + 1))
            };
            html! {
                <p class="ckw-banner" role="alert">
                    { text.coins_failed }{ " " }
                    <button type="button" class="ckw-link" onclick={retry}>{ text.retry }</button>
                </p>
            }
        }
        Coins::Loaded(list) if list.is_empty() => {
            html! { <p class="ckw-banner" role="alert">{ text.no_coins }</p> }
        }
        Coins::Loaded(list) => html! {
            <ul class="ckw-coins">
                { for list.iter().map(|coin| {
                    let network = format::network_name(&coin.network);
                    html! {
                        <li>
                            <button type="button" class="ckw-coin" disabled={*busy}
                                onclick={pick(coin)}
                                aria-label={text.pay_with(&coin.currency, &network)}>
                                <strong>{ coin.currency.clone() }</strong>
                                <span class="ckw-coin-network">{ network.clone() }</span>
                            </button>
                        </li>
                    }
                }) }
            </ul>
        },
    };
    html! {
        <fieldset class="ckw-picker" aria-busy={(*busy).to_string()}>
            <legend class="ckw-picker-title">{ text.choose_coin }</legend>
            if let Some(message) = &*error {
                <p class="ckw-banner" role="alert">{ message.clone() }</p>
            }
            { body }
            if let Some(cancel) = &props.on_cancel {
                <button type="button" class="ckw-link" onclick={cancel.reform(|_| ())}>
                    { text.keep_coin }
                </button>
            }
        </fieldset>
    }
}
