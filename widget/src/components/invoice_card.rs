//! Everything about one invoice: what to send, where, the QR code, the countdown and the outcome.

use super::{CoinPicker, CopyButton, qr};
use crate::format;
use crate::i18n::{Locale, Text, Words as _, fill};
use shim_api::{InvoiceStatus, InvoiceView};
use std::rc::Rc;
use yew::prelude::*;

/// Properties of [`InvoiceCard`].
#[derive(Properties, PartialEq, Clone, Debug)]
pub struct InvoiceCardProps {
    /// The invoice.
    pub view: Rc<InvoiceView>,
    /// Seconds until expiry, as counted down by the root.
    pub seconds_left: u64,
    /// The payer's language.
    #[prop_or(Locale::En)]
    pub locale: Locale,
    /// The shim's URL, for the coin picker; empty for this page's origin.
    #[prop_or_default]
    pub api_base: AttrValue,
    /// Called with the invoice after the payer picked a coin.
    #[prop_or_default]
    pub on_view: Callback<InvoiceView>,
}

/// Whether the payer should (still) send money.
fn accepts_payment(status: InvoiceStatus) -> bool {
    matches!(
        status,
        InvoiceStatus::Pending | InvoiceStatus::PartiallyPaid
    )
}

/// The address, its first and last characters set apart (wallets advise comparing them, since a
/// clipboard hijacker swaps a copied address for one of its own).
fn address_with_edges(address: &str) -> Html {
    match format::address_edges(address) {
        Some((start, middle, end)) => html! {
            <code class="ckw-address" dir="ltr">
                <span class="ckw-edge">{ start }</span>{ middle }<span class="ckw-edge">{ end }</span>
            </code>
        },
        None => html! { <code class="ckw-address" dir="ltr">{ address }</code> },
    }
}

/// The invoice card.
#[component]
pub fn InvoiceCard(props: &InvoiceCardProps) -> Html {
    let text: Rc<Text> = use_memo(props.locale, |locale| locale.text());
    let picking = use_state(|| false);
    let view = &props.view;
    let locale = props.locale;
    let coin = view.payer_currency.clone().unwrap_or_default();
    let network = view.network.as_deref().map(format::network_name);
    let fee = view
        .network
        .as_deref()
        .and_then(|network| shim_api::network::fee_coin(network, &coin));
    let due = if view.status == InvoiceStatus::PartiallyPaid {
        &view.remaining_amount
    } else {
        &view.payer_amount
    };
    let due = due.as_deref().map(format::amount);
    let return_url = if view.status.is_settled_paid() {
        view.url_success.clone().or_else(|| view.url_return.clone())
    } else {
        view.url_return.clone()
    };
    let with_coin = |amount: &str| format!("{} {coin}", locale.number(amount));

    let picker = |on_cancel: Option<Callback<()>>| {
        let (picking, on_view) = (picking.clone(), props.on_view.clone());
        html! {
            <CoinPicker api_base={props.api_base.clone()} invoice_id={view.id.as_str().to_owned()}
                text={text.clone()} {on_cancel}
                on_chosen={Callback::from(move |view| { picking.set(false); on_view.emit(view); })} />
        }
    };
    let payment = match (accepts_payment(view.status), &due, &view.address) {
        (true, _, _) if *picking && view.can_change_coin => {
            let picking = picking.clone();
            picker(Some(Callback::from(move |()| picking.set(false))))
        }
        (true, Some(due), Some(address)) => {
            let open_link = view.payment_uri.as_deref().and_then(format::wallet_link);
            let qr_label = fill(text.qr_label, &[&format!("{due} {coin}"), address]);
            let change = {
                let picking = picking.clone();
                Callback::from(move |_: MouseEvent| picking.set(true))
            };
            html! {
                <>
                    if view.status == InvoiceStatus::PartiallyPaid {
                        <p class="ckw-partial">
                            { fill(text.received_due, &[&with_coin(&format::amount(&view.paid_amount)), &with_coin(due)]) }
                        </p>
                    }
                    <div class="ckw-row">
                        <span class="ckw-label">{ text.amount }</span>
                        <strong class="ckw-amount"><bdi>{ with_coin(due) }</bdi></strong>
                        <CopyButton value={due.clone()} label={text.copy_amount} text={text.clone()} />
                    </div>
                    <p class="ckw-price">{ fill(text.order_total, &[&format!("{} {}", locale.number(&view.amount), view.currency)]) }</p>
                    if let Some(network) = &network {
                        <p class="ckw-network" role="note">
                            { fill(text.send_only, &[&coin, network]) }
                            if let Some(fee) = fee {
                                { " " }{ fill(text.network_fee, &[fee]) }
                            }
                        </p>
                    }
                    if let Some(uri) = &view.payment_uri {
                        { qr(uri, qr_label.into()) }
                    }
                    <div class="ckw-row">
                        <span class="ckw-label">{ text.address }</span>
                        { address_with_edges(address) }
                        <CopyButton value={address.clone()} label={text.copy_address} text={text.clone()} hint={text.check_address} />
                    </div>
                    if let Some(link) = open_link {
                        <a class="ckw-wallet" href={link}>{ text.open_wallet }</a>
                    }
                    <p class="ckw-countdown" data-seconds={props.seconds_left.to_string()}>
                        { fill(text.time_left, &[&locale.number(&format::countdown(props.seconds_left))]) }
                    </p>
                    if view.can_change_coin {
                        <button type="button" class="ckw-link ckw-change" onclick={change}>{ text.change_coin }</button>
                    }
                </>
            }
        }
        // No coin yet: the payer picks one.
        (true, _, _) => picker(None),
        (false, _, _) => html! {},
    };

    html! {
        <section class="ckw-card" aria-labelledby="ckw-title">
            <h2 id="ckw-title" class="ckw-status" role="status" aria-live="polite">
                { text.title(view.status) }
            </h2>
            if let Some(detail) = text.detail(view.status) {
                <p class="ckw-detail">{ detail }</p>
            }
            { payment }
            if view.status.is_settled_paid() {
                <a class="ckw-link ckw-receipt" href={format!("{}/pay/{}/receipt?lang={}", props.api_base, view.id, locale.tag())}>{ text.receipt }</a>
            }
            if let Some(url) = return_url.filter(|_| view.is_final) {
                <a class="ckw-return" href={url}>{ text.return_to_shop }</a>
            }
        </section>
    }
}
