//! Deposit wallets and what reached them; payouts, and making one (for shops the operator allows
//! payouts) through a confirmation step that shows the fee and the balance.

use super::{Frame, ShopPage, Signed, SignedForm, page, unavailable, when};
use crate::domain::Shop;
use crate::routes::AppState;
use crate::services::payouts::{NewPayoutRequest, PayoutError, PayoutPreview};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

/// `GET /console/wallets`.
pub(super) async fn wallets(
    State(state): State<AppState>,
    ShopPage(signed, shop): ShopPage,
) -> Response {
    let Ok(wallets) = state.services.wallets.list(&shop.id, None).await else {
        return unavailable();
    };
    let mut views = Vec::with_capacity(wallets.len());
    for wallet in &wallets {
        match state.services.wallets.wallet_view(wallet).await {
            Ok(view) => views.push((wallet, view)),
            Err(_) => return unavailable(),
        }
    }
    let main = html! {
        h1 { "Deposit wallets" }
        p.hint { "Each customer's permanent address for a coin; shops make them with POST /v1/wallets." }
        @if views.is_empty() {
            p { "No deposit wallets yet." }
        }
        @for (wallet, view) in &views {
            article.offer aria-labelledby=(format!("{}-title", wallet.id)) {
                h2 #(format!("{}-title", wallet.id)) { (wallet.customer) " · " (wallet.currency) " on " (wallet.network) }
                dl.facts {
                    dt { "Address" } dd.mono { (view.address) }
                    dt { "State" } dd { (if wallet.blocked { "blocked" } else { "open" }) }
                    dt { "Credited" } dd { (view.credited) " " (wallet.currency) }
                }
                @if view.deposits.is_empty() {
                    p { "No deposits yet." }
                } @else {
                    div.scroll tabindex="0" role="region" aria-label=(format!("Deposits to {}", view.address)) {
                        table {
                            caption.visually-hidden { "Deposits to " (view.address) }
                            thead { tr { th scope="col" { "Received" } th scope="col" { "Amount" } th scope="col" { "Status" } th scope="col" { "Transaction" } } }
                            tbody {
                                @for deposit in &view.deposits {
                                    tr {
                                        td { (when(deposit.received_at)) }
                                        td.num { (deposit.amount) }
                                        td { (deposit.status) @if let Some(reason) = &deposit.review_reason { " (" (reason) ")" } }
                                        td.mono { (deposit.txid.as_deref().unwrap_or("")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let names = signed.shop_names(&state).await;
    let frame = Frame {
        title: "Deposit wallets",
        session: Some(&signed.0),
        shop: Some((&shop, names)),
        current: "wallets",
    };
    page(StatusCode::OK, frame, main)
}

/// The payout form's fields.
#[derive(Debug, Default, Deserialize)]
pub(super) struct PayoutForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    shop: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    order_id: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    network: String,
    #[serde(default)]
    address: String,
    /// `balance`: the balance bears the fee; `recipient`: it comes out of the amount.
    #[serde(default)]
    fee: String,
}

impl PayoutForm {
    fn request(&self) -> NewPayoutRequest {
        NewPayoutRequest {
            order_id: self.order_id.trim().to_owned(),
            amount: self.amount.trim().to_owned(),
            currency: self.currency.trim().to_owned(),
            network: self.network.trim().to_owned(),
            address: self.address.trim().to_owned(),
            is_subtract: self.fee != "recipient",
        }
    }
}

/// `GET /console/payouts`.
pub(super) async fn payouts(
    State(state): State<AppState>,
    ShopPage(signed, shop): ShopPage,
) -> Response {
    let form = PayoutForm {
        order_id: format!("console-{}", crate::services::now()),
        fee: "balance".into(),
        ..PayoutForm::default()
    };
    payouts_page(&state, &signed, &shop, StatusCode::OK, None, &form).await
}

async fn payouts_page(
    state: &AppState,
    signed: &Signed,
    shop: &Shop,
    status: StatusCode,
    notice: Option<&str>,
    form: &PayoutForm,
) -> Response {
    let store = state.services.store();
    let (Ok(payouts), Ok(allowed)) = (
        state.services.payouts.list(&shop.id).await,
        store.payout_permission(&shop.id).await,
    ) else {
        return unavailable();
    };
    let names = signed.shop_names(state).await;
    let shop_field = if names.is_empty() {
        ""
    } else {
        shop.name.as_str()
    };
    let main = html! {
        h1 { "Payouts" }
        @if let Some(text) = notice {
            p.error role="alert" { (text) }
        }
        @if payouts.is_empty() {
            p { "No payouts yet." }
        } @else {
            div.scroll tabindex="0" role="region" aria-label="Payouts" {
                table {
                    caption.visually-hidden { "Payouts, newest first" }
                    thead { tr { th scope="col" { "Made" } th scope="col" { "Order" } th scope="col" { "Amount" } th scope="col" { "To" } th scope="col" { "Status" } } }
                    tbody {
                        @for payout in &payouts {
                            tr {
                                td { (when(payout.created_at)) }
                                td { (payout.order_id) }
                                td.num { (payout.amount.normalize()) " " (payout.currency) " (" (payout.network) ")" }
                                td.mono { (payout.address) }
                                td { (payout.status) @if let Some(error) = &payout.error { ": " (error) } }
                            }
                        }
                    }
                }
            }
        }
        @if allowed.is_none() {
            p.hint { "This shop may not make payouts: the operator allows it with " code { "server-shim shops allow-payouts" } "." }
        } @else if signed.0.user.role.moves_money() {
            (payout_form(&signed.0.csrf, shop_field, form))
        }
    };
    let frame = Frame {
        title: "Payouts",
        session: Some(&signed.0),
        shop: Some((shop, names)),
        current: "payouts",
    };
    page(status, frame, main)
}

fn payout_form(csrf: &str, shop: &str, form: &PayoutForm) -> Markup {
    html! {
        section aria-labelledby="new-payout" {
            h2 #new-payout { "New payout" }
            form.stack method="post" action="/console/payouts" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="shop" value=(shop);
                input type="hidden" name="step" value="review";
                label for="order_id" { "Your reference (a payout is made once per reference)" }
                input #order_id name="order_id" required maxlength="128" value=(form.order_id);
                label for="amount" { "Amount" }
                input #amount name="amount" required inputmode="decimal" value=(form.amount);
                label for="currency" { "Coin" }
                input #currency name="currency" required value=(form.currency) placeholder="USDT";
                label for="network" { "Network" }
                input #network name="network" required value=(form.network) placeholder="tron";
                label for="address" { "Recipient's address" }
                input #address name="address" required autocomplete="off" spellcheck="false" value=(form.address);
                fieldset {
                    legend { "Who bears the gateway's fee" }
                    label { input type="radio" name="fee" value="balance" checked[form.fee != "recipient"]; " The balance: the recipient gets the whole amount" }
                    label { input type="radio" name="fee" value="recipient" checked[form.fee == "recipient"]; " The recipient: the fee comes out of the amount" }
                }
                button type="submit" { "Review the payout" }
            }
        }
    }
}

fn confirm_page(
    signed: &Signed,
    shop: &Shop,
    shop_field: &str,
    form: &PayoutForm,
    preview: &PayoutPreview,
) -> Response {
    let payout = &preview.payout;
    let main = html! {
        h1 { "Pay out " (payout.amount.normalize()) " " (payout.currency) "?" }
        dl.facts {
            dt { "To" } dd.mono { (payout.address) " (" (payout.network) ")" }
            dt { "Fee" } dd {
                @if payout.is_subtract {
                    (payout.fee.normalize()) " " (payout.currency) ", from the balance: the recipient gets " (payout.amount.normalize())
                } @else {
                    "taken from the amount by the gateway: the recipient gets less than " (payout.amount.normalize())
                }
            }
            dt { "Leaves the balance" } dd { strong { (preview.debit.normalize()) " " (payout.currency) } }
            dt { "Balance now" } dd { (preview.balance.normalize()) " " (payout.currency) " (all shops together)" }
        }
        @if preview.debit > preview.balance {
            p.error role="alert" { "The balance does not cover it: the gateway would refuse it." }
            p { a href="/console/payouts" { "Back to payouts" } }
        } @else {
            p { "A payout cannot be undone; a wrong address loses the money." }
            form method="post" action="/console/payouts" {
                @for (name, value) in [("csrf", signed.0.csrf.as_str()), ("shop", shop_field), ("step", "confirm"), ("order_id", form.order_id.as_str()),
                    ("amount", form.amount.as_str()), ("currency", form.currency.as_str()), ("network", form.network.as_str()),
                    ("address", form.address.as_str()), ("fee", form.fee.as_str())] {
                    input type="hidden" name=(name) value=(value);
                }
                div.actions {
                    button.danger type="submit" { "Confirm the payout" }
                    a href="/console/payouts" { "Cancel" }
                }
            }
        }
    };
    let frame = Frame {
        title: "Confirm the payout",
        session: Some(&signed.0),
        shop: Some((shop, Vec::new())),
        current: "payouts",
    };
    page(StatusCode::OK, frame, main)
}

/// `POST /console/payouts`: `step=review` shows the fee and the balance; `step=confirm` pays.
pub(super) async fn create(
    State(state): State<AppState>,
    SignedForm(signed, form): SignedForm<PayoutForm>,
) -> Response {
    if let Err(refused) = signed.check_moves_money() {
        return refused.into_response();
    }
    let shop = match signed.shop(&state, Some(&form.shop)).await {
        Ok(shop) => shop,
        Err(refused) => return refused,
    };
    let outcome = if form.step == "confirm" {
        state
            .services
            .payouts
            .create_payout(&shop, form.request())
            .await
            .map(|_| None)
    } else {
        state
            .services
            .payouts
            .preview(&shop, form.request())
            .await
            .map(Some)
    };
    match outcome {
        Ok(Some(preview)) => {
            let shop_field = if signed.0.user.shop_id.is_none() {
                shop.name.clone()
            } else {
                String::new()
            };
            confirm_page(&signed, &shop, &shop_field, &form, &preview)
        }
        Ok(None) => {
            let to = if signed.0.user.shop_id.is_none() {
                format!("/console/payouts?{}", super::query(&[("shop", &shop.name)]))
            } else {
                "/console/payouts".to_owned()
            };
            Redirect::to(&to).into_response()
        }
        Err(e) => {
            let status = match &e {
                PayoutError::Service(crate::services::ServiceError::Gateway(_)) => {
                    StatusCode::BAD_GATEWAY
                }
                PayoutError::Service(crate::services::ServiceError::Store(_)) => {
                    return unavailable();
                }
                PayoutError::NotAllowed | PayoutError::AddressNotAllowed(_) => {
                    StatusCode::FORBIDDEN
                }
                PayoutError::BalanceShort(_) | PayoutError::Rejected(_) => StatusCode::CONFLICT,
                _ => StatusCode::BAD_REQUEST,
            };
            let text = format!("The payout was not made: {e}");
            payouts_page(&state, &signed, &shop, status, Some(&text), &form).await
        }
    }
}

console_forms!(PayoutForm);
