//! Everything about one invoice: what to send, where, the QR code, the countdown and the outcome.

use super::{CopyButton, Qr};
use crate::format;
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
}

/// Whether the payer should (still) send money.
fn accepts_payment(status: InvoiceStatus) -> bool {
    matches!(
        status,
        InvoiceStatus::Pending | InvoiceStatus::PartiallyPaid
    )
}

/// The invoice card.
#[component]
pub fn InvoiceCard(props: &InvoiceCardProps) -> Html {
    let view = &props.view;
    let coin = view.payer_currency.clone().unwrap_or_default();
    let network = view.network.as_deref().map(format::network_name);
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

    let payment = match (accepts_payment(view.status), &due, &view.address) {
        (true, Some(due), Some(address)) => {
            let open_link = view
                .payment_uri
                .as_ref()
                .filter(|uri| uri.contains(':'))
                .cloned();
            let qr_label = format!("QR code: send {due} {coin} to {address}");
            html! {
                <>
                    if view.status == InvoiceStatus::PartiallyPaid {
                        <p class="ckw-partial">
                            { format!("Received {} {coin}. Still due: {due} {coin}.", format::amount(&view.paid_amount)) }
                        </p>
                    }
                    <div class="ckw-row">
                        <span class="ckw-label">{ "Amount" }</span>
                        <strong class="ckw-amount">{ format!("{due} {coin}") }</strong>
                        <CopyButton value={due.clone()} what="amount" />
                    </div>
                    <p class="ckw-price">{ format!("Order total: {} {}", view.amount, view.currency) }</p>
                    if let Some(network) = &network {
                        <p class="ckw-network" role="note">
                            { format!("Send only {coin} on the {network} network. Other coins or networks will be lost.") }
                        </p>
                    }
                    if let Some(uri) = &view.payment_uri {
                        <Qr data={uri.clone()} label={qr_label} />
                    }
                    <div class="ckw-row">
                        <span class="ckw-label">{ "Address" }</span>
                        <code class="ckw-address">{ address.clone() }</code>
                        <CopyButton value={address.clone()} what="address" />
                    </div>
                    if let Some(link) = open_link {
                        <a class="ckw-wallet" href={link}>{ "Open in wallet app" }</a>
                    }
                    <p class="ckw-countdown" data-seconds={props.seconds_left.to_string()}>
                        { format!("Time left: {}", format::countdown(props.seconds_left)) }
                    </p>
                </>
            }
        }
        (true, _, _) => html! {
            <p class="ckw-waiting">{ "The shop has not chosen a coin for this payment yet." }</p>
        },
        (false, _, _) => html! {},
    };

    html! {
        <section class="ckw-card" aria-labelledby="ckw-title">
            <h2 id="ckw-title" class="ckw-status" role="status" aria-live="polite">
                { format::status_title(view.status) }
            </h2>
            if let Some(detail) = format::status_detail(view.status) {
                <p class="ckw-detail">{ detail }</p>
            }
            { payment }
            if let Some(url) = return_url.filter(|_| view.is_final) {
                <a class="ckw-return" href={url}>{ "Return to the shop" }</a>
            }
        </section>
    }
}
