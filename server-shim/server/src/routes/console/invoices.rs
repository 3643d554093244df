//! The console's invoices: the list (filters, search, CSV export of what it shows) and one
//! invoice with its whole story, and what can be done about it (re-check, refund).

use super::{Frame, Signed, SignedForm, message_page, page, query, unavailable, when};
use crate::domain::{InvoiceRecord, Shop};
use crate::routes::AppState;
use crate::routes::history::csv_download;
use crate::services::ServiceError;
use crate::services::review::Resolution;
use crate::store::{InvoiceFilter, OutboxJob};
use axum::extract::rejection::PathRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use shim_api::{HistoryEntry, InvoiceId, InvoicePage, InvoiceStatus, RefundRequest};

/// Invoices per page of the list.
const PAGE: i64 = 50;

/// The list's query: the filter form's fields, and the page.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ListQuery {
    #[serde(default)]
    shop: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    coin: String,
    /// A day, `2026-12-01` (from its start, UTC).
    #[serde(default)]
    from: String,
    /// A day (to its end, UTC).
    #[serde(default)]
    to: String,
    #[serde(default)]
    cursor: String,
}

/// `2026-12-01` as the unix time of its start (UTC).
fn day(name: &str, text: &str) -> Result<Option<i64>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text.trim(), &format)
        .map(|date| Some(date.midnight().assume_utc().unix_timestamp()))
        .map_err(|_| format!("{name} must be a day like 2026-12-01"))
}

impl ListQuery {
    fn filter(&self) -> Result<InvoiceFilter, String> {
        let status = match self.status.as_str() {
            "" => None,
            given => Some(
                InvoiceStatus::parse(given).ok_or_else(|| format!("unknown status {given:?}"))?,
            ),
        };
        let coin = match self.coin.trim() {
            "" => None,
            coin => Some(crate::domain::currency_code("coin", coin)?),
        };
        let search = match self.q.trim() {
            "" => None,
            q if q.chars().count() <= 200 && !q.chars().any(char::is_control) => Some(q.to_owned()),
            _ => return Err("the search takes 1 to 200 characters".into()),
        };
        Ok(InvoiceFilter {
            status,
            created_from: day("From", &self.from)?,
            created_before: day("To", &self.to)?.map(|start| start + 86_400),
            coin,
            search,
        })
    }

    /// This query's string, with another cursor.
    fn with_cursor(&self, shop: &str, cursor: &str) -> String {
        query(&[
            ("shop", shop),
            ("q", &self.q),
            ("status", &self.status),
            ("coin", &self.coin),
            ("from", &self.from),
            ("to", &self.to),
            ("cursor", cursor),
        ])
    }
}

/// `GET /console/invoices`.
pub(super) async fn list(
    State(state): State<AppState>,
    signed: Signed,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let shop = match signed.shop(&state, Some(&query.shop)).await {
        Ok(shop) => shop,
        Err(refused) => return refused,
    };
    let names = signed.shop_names(&state).await;
    let shop_param = if names.is_empty() {
        ""
    } else {
        shop.name.as_str()
    };
    let (status, found, error) = match query.filter() {
        Err(error) => (StatusCode::BAD_REQUEST, None, Some(error)),
        Ok(filter) => {
            let cursor = Some(query.cursor.as_str()).filter(|c| !c.is_empty());
            match state
                .services
                .invoices
                .list(&shop.id, &filter, cursor, PAGE)
                .await
            {
                Ok(page) => (StatusCode::OK, Some(page), None),
                Err(ServiceError::Invalid(e)) => (StatusCode::BAD_REQUEST, None, Some(e)),
                Err(e) => {
                    tracing::error!(error = %e, "console list failed");
                    return unavailable();
                }
            }
        }
    };
    let main = html! {
        h1 { "Invoices" }
        (filter_form(&query, shop_param))
        @if let Some(error) = &error {
            p.error role="alert" { (error) }
        }
        @if let Some(page) = &found {
            (invoice_table(page))
            p.actions {
                @if let Some(next) = &page.next_cursor {
                    a href=(format!("/console/invoices?{}", query.with_cursor(shop_param, next))) { "Older invoices" }
                }
                a href=(format!("/console/invoices.csv?{}", query.with_cursor(shop_param, ""))) download { "Export these as CSV" }
            }
        }
    };
    let frame = Frame {
        title: "Invoices",
        session: Some(&signed.0),
        shop: Some((&shop, names)),
        current: "invoices",
    };
    page(status, frame, main)
}

fn filter_form(query: &ListQuery, shop: &str) -> Markup {
    html! {
        form.filters method="get" action="/console/invoices" role="search" {
            @if !shop.is_empty() {
                input type="hidden" name="shop" value=(shop);
            }
            div {
                label for="q" { "Search" }
                input #q type="search" name="q" value=(query.q.replace(char::is_control, "")) aria-describedby="q-hint";
                span.hint #q-hint { "Invoice id, order id, payment address, transaction id or exact amount" }
            }
            div {
                label for="status" { "Status" }
                select #status name="status" {
                    option value="" { "Any" }
                    @for status in InvoiceStatus::ALL {
                        option value=(status.as_str()) selected[query.status == status.as_str()] { (status.as_str().replace('_', " ")) }
                    }
                }
            }
            div {
                label for="coin" { "Coin" }
                input #coin name="coin" value=(query.coin.replace(char::is_control, "")) size="8";
            }
            div {
                label for="from" { "From" }
                input #from type="date" name="from" value=(query.from.replace(char::is_control, ""));
            }
            div {
                label for="to" { "To" }
                input #to type="date" name="to" value=(query.to.replace(char::is_control, ""));
            }
            button type="submit" { "Show" }
        }
    }
}

fn invoice_table(page: &InvoicePage) -> Markup {
    html! {
        @if page.invoices.is_empty() {
            p { "No invoice matches." }
        } @else {
            div.scroll tabindex="0" role="region" aria-label="Invoices" {
                table.invoices {
                    caption.visually-hidden { "Invoices, newest first" }
                    thead {
                        tr {
                            th scope="col" { "Created" }
                            th scope="col" { "Order" }
                            th scope="col" { "Amount" }
                            th scope="col" { "Paid" }
                            th scope="col" { "Status" }
                            th scope="col" { "Address" }
                        }
                    }
                    tbody {
                        @for summary in &page.invoices {
                            @let invoice = &summary.invoice;
                            tr {
                                td data-label="Created" { (summary.created_at.replace('T', " ").trim_end_matches('Z')) }
                                td data-label="Order" { a href=(format!("/console/invoices/{}", invoice.id)) { (summary.order_id) } }
                                td.num data-label="Amount" { (invoice.amount) " " (invoice.currency) }
                                td.num data-label="Paid" { (trim_amount(&invoice.paid_amount)) " " (invoice.payer_currency.as_deref().unwrap_or("")) }
                                td data-label="Status" { span class=(format!("status status-{}", invoice.status.as_str())) { (invoice.status.as_str().replace('_', " ")) } }
                                td.mono data-label="Address" { (invoice.address.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /console/invoices.csv`: the invoices the list's filter takes, as the payments report.
pub(super) async fn export(
    State(state): State<AppState>,
    signed: Signed,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let shop = match signed.shop(&state, Some(&query.shop)).await {
        Ok(shop) => shop,
        Err(refused) => return refused,
    };
    let filter = match query.filter() {
        Ok(filter) => filter,
        Err(e) => return message_page(StatusCode::BAD_REQUEST, "Export refused", &e),
    };
    match state.services.invoices.report(&shop.id, &filter).await {
        Ok(report) => csv_download(&report, "invoices.csv"),
        Err(ServiceError::Invalid(e)) => {
            message_page(StatusCode::BAD_REQUEST, "Export refused", &e)
        }
        Err(e) => {
            tracing::error!(error = %e, "console export failed");
            unavailable()
        }
    }
}

/// The invoice a path names, if this user may see it, and its shop.
async fn visible(
    state: &AppState,
    signed: &Signed,
    id: Result<Path<String>, PathRejection>,
) -> Result<(InvoiceRecord, Shop), Response> {
    let not_found = || {
        message_page(
            StatusCode::NOT_FOUND,
            "Invoice not found",
            "There is no such invoice, or this account does not work for its shop.",
        )
    };
    let id = id
        .ok()
        .and_then(|Path(id)| InvoiceId::parse(&id))
        .ok_or_else(not_found)?;
    let record = state
        .services
        .invoices
        .record(&id)
        .await
        .map_err(|_| unavailable())?
        .ok_or_else(not_found)?;
    if signed
        .0
        .user
        .shop_id
        .as_ref()
        .is_some_and(|own| own != &record.shop_id)
    {
        return Err(not_found());
    }
    let shop = state
        .services
        .shops
        .shop(&record.shop_id)
        .await
        .map_err(|_| unavailable())?
        .ok_or_else(not_found)?;
    Ok((record, shop))
}

/// `GET /console/invoices/{id}`.
pub(super) async fn one(
    State(state): State<AppState>,
    signed: Signed,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    match visible(&state, &signed, id).await {
        Ok((record, shop)) => {
            invoice_page(&state, &signed, &record, &shop, StatusCode::OK, None).await
        }
        Err(refused) => refused,
    }
}

/// The invoice's page, with `notice` (an error or what just happened) at its top.
async fn invoice_page(
    state: &AppState,
    signed: &Signed,
    record: &InvoiceRecord,
    shop: &Shop,
    status: StatusCode,
    notice: Option<(&str, bool)>,
) -> Response {
    let store = state.services.store();
    let (Ok(history), Ok(jobs)) = (
        state
            .services
            .invoices
            .history(&record.shop_id, &record.id)
            .await,
        store.invoice_jobs(&record.id).await,
    ) else {
        return unavailable();
    };
    let owner = signed.0.user.role.moves_money();
    let refundable = owner
        && matches!(
            record.status,
            InvoiceStatus::Paid | InvoiceStatus::Overpaid | InvoiceStatus::RefundFailed
        );
    let in_review = owner && record.status == InvoiceStatus::Review;
    let csrf = &signed.0.csrf;
    let title = format!("Invoice {}", record.order_id);
    let main = html! {
        h1 { "Invoice " (record.order_id) }
        @if let Some((text, is_error)) = notice {
            p class=(if is_error { "error" } else { "notice" }) role=(if is_error { "alert" } else { "status" }) { (text) }
        }
        dl.facts {
            dt { "Status" } dd { span class=(format!("status status-{}", record.status.as_str())) { (record.status.as_str().replace('_', " ")) } }
            dt { "Amount" } dd { (record.amount) " " (record.currency) }
            dt { "Paid" } dd { (record.paid_amount.normalize()) " " (record.payer_currency.as_deref().unwrap_or("")) }
            @if let Some(address) = &record.address {
                dt { "Address" } dd.mono { (address) " (" (record.network.as_deref().unwrap_or("")) ")" }
            }
            @if let Some(txid) = &record.txid {
                dt { "Transaction" } dd.mono { (txid) }
            }
            dt { "Invoice id" } dd.mono { (record.id) }
            dt { "Shop" } dd { (shop.name) }
            dt { "Created" } dd { (when(record.created_at)) }
            @if let Some(expires) = record.expires_at {
                dt { "Expires" } dd { (when(expires)) }
            }
        }
        section aria-labelledby="actions" {
            h2 #actions { "Actions" }
            div.actions {
                form method="post" action=(format!("/console/invoices/{}/recheck", record.id)) {
                    input type="hidden" name="csrf" value=(csrf);
                    button type="submit" { "Re-check at the gateway now" }
                }
                @if !jobs.is_empty() {
                    form method="post" action=(format!("/console/invoices/{}/redeliver", record.id)) {
                        input type="hidden" name="csrf" value=(csrf);
                        button type="submit" { "Tell the shop again" }
                    }
                }
            }
            @if in_review {
                form.stack method="post" action=(format!("/console/invoices/{}/resolve", record.id)) {
                    input type="hidden" name="csrf" value=(csrf);
                    p {
                        "In review: "
                        (record.review_reason.as_deref().map_or("see the timeline", review_reason))
                    }
                    fieldset {
                        legend { "Resolve the review" }
                        label { input type="radio" name="resolution" value="paid" required; " Accept the payment: the order ships" }
                        label { input type="radio" name="resolution" value="not_paid"; " Do not accept it: the order is cancelled (refund what arrived at the gateway)" }
                    }
                    label for="review-note" { "Note (kept in the timeline)" }
                    input #review-note name="note" required maxlength="500";
                    button type="submit" { "Resolve" }
                }
            }
            @if refundable {
                form.stack method="post" action=(format!("/console/invoices/{}/refund", record.id)) {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="step" value="review";
                    label for="refund-address" { "Refund to address (" (record.network.as_deref().unwrap_or("")) ")" }
                    input #refund-address name="address" required autocomplete="off" spellcheck="false";
                    button type="submit" { "Review the refund" }
                }
            }
        }
        (timeline(&history.events, &jobs))
    };
    let frame = Frame {
        title: &title,
        session: Some(&signed.0),
        shop: Some((shop, Vec::new())),
        current: "invoices",
    };
    page(status, frame, main)
}

/// Everything that happened to the invoice, in order (its history: the gateway's word, the
/// changes, the refunds, every try at telling the shop), and where each news to the shop stands.
fn timeline(events: &[HistoryEntry], jobs: &[(OutboxJob, i64, Option<i64>)]) -> Markup {
    html! {
        section aria-labelledby="timeline" {
            h2 #timeline { "Timeline" }
            ol.timeline {
                @for event in events {
                    li {
                        time datetime=(event.at) { (event.at.replace('T', " ").trim_end_matches('Z')) }
                        " "
                        strong { (source_label(&event.source)) }
                        @if let Some(status) = &event.gateway_status {
                            " · gateway: " code { (status) }
                        }
                        " · " (event.outcome)
                    }
                }
            }
            h3 { "News to the shop" }
            @if jobs.is_empty() {
                p { "None: the shop has no callback URL or platform, or nothing was sent yet." }
            } @else {
                ul.plain {
                    @for (job, queued, delivered) in jobs {
                        li {
                            (when(*queued)) ": version " (job.version) " — " (job.status)
                            ", " (job.attempts) " attempt" @if job.attempts != 1 { "s" }
                            @if let Some(at) = delivered { ", delivered " (when(*at)) }
                            @if let Some(error) = &job.last_error { ". Last error: " (error) }
                        }
                    }
                }
            }
        }
    }
}

/// A review reason's code, in words.
fn review_reason(code: &str) -> &str {
    match code {
        "gateway_hold" => {
            "the gateway holds the payment, or reports a status the shim does not know"
        }
        "paid_after_expiry" => "money arrived after the invoice expired",
        "amount_mismatch" => "the gateway's payment is not for the amount or coin asked",
        "money_after_final" => {
            "money reached an address the payer used earlier, after the invoice was over"
        }
        other => other,
    }
}

/// A decimal string without trailing zeros (`15.000000` reads `15`).
fn trim_amount(amount: &str) -> String {
    amount
        .parse::<rust_decimal::Decimal>()
        .map_or_else(|_| amount.to_owned(), |d| d.normalize().to_string())
}

fn source_label(source: &str) -> &str {
    match source {
        "create" => "Created",
        "ipn" => "Gateway webhook (signature checked)",
        "reconcile" => "Gateway re-read",
        "refund" => "Refund",
        "console" => "Console",
        "callback" => "Callback",
        "woocommerce" => "WooCommerce",
        "prestashop" => "PrestaShop",
        "opencart" => "OpenCart",
        "shopify" => "Shopify",
        "payer" => "Payer",
        other => other,
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    address: String,
}

/// `POST /console/invoices/{id}/recheck`.
pub(super) async fn recheck(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    SignedForm(signed, _): SignedForm<ActionForm>,
) -> Response {
    let (record, shop) = match visible(&state, &signed, id).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let outcome = state
        .services
        .invoices
        .recheck(&record.shop_id, &record.id, &signed.0.user.email)
        .await;
    match outcome {
        Ok(_) => Redirect::to(&format!("/console/invoices/{}", record.id)).into_response(),
        Err(e) => {
            let text = format!("The gateway could not be asked: {e}");
            invoice_page(
                &state,
                &signed,
                &record,
                &shop,
                StatusCode::BAD_GATEWAY,
                Some((&text, true)),
            )
            .await
        }
    }
}

/// `POST /console/invoices/{id}/refund`: `step=review` shows what will happen and asks to
/// confirm; `step=confirm` asks the gateway.
pub(super) async fn refund(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    SignedForm(signed, form): SignedForm<ActionForm>,
) -> Response {
    if let Err(refused) = signed.check_moves_money() {
        return refused.into_response();
    }
    let (record, shop) = match visible(&state, &signed, id).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let address = form.address.trim();
    if crate::domain::address(address).is_none() {
        let text = "The refund address must be 1 to 128 letters, digits, ':', '_' or '-'.";
        return invoice_page(
            &state,
            &signed,
            &record,
            &shop,
            StatusCode::BAD_REQUEST,
            Some((text, true)),
        )
        .await;
    }
    if form.step != "confirm" {
        return confirm_page(&signed, &record, &shop, address);
    }
    let request = RefundRequest {
        address: address.to_owned(),
        amount: None,
    };
    match state
        .services
        .invoices
        .refund(&record.shop_id, &record.id, &request, &signed.0.user.email)
        .await
    {
        Ok(_) => Redirect::to(&format!("/console/invoices/{}", record.id)).into_response(),
        Err(e) => {
            let status = match &e {
                ServiceError::Invalid(_)
                | ServiceError::Gateway(shim_gateway::GatewayError::Validation(_)) => {
                    StatusCode::BAD_REQUEST
                }
                ServiceError::Conflict(_) => StatusCode::CONFLICT,
                _ => StatusCode::BAD_GATEWAY,
            };
            let text = format!("The refund was not made: {e}");
            let record = state
                .services
                .invoices
                .record(&record.id)
                .await
                .ok()
                .flatten()
                .unwrap_or(record);
            invoice_page(&state, &signed, &record, &shop, status, Some((&text, true))).await
        }
    }
}

/// The refund's confirmation step.
fn confirm_page(signed: &Signed, record: &InvoiceRecord, shop: &Shop, address: &str) -> Response {
    let coin = record.payer_currency.as_deref().unwrap_or("");
    let main = html! {
        h1 { "Refund invoice " (record.order_id) "?" }
        p {
            "The payer gets back " strong { (record.paid_amount.normalize()) " " (coin) } " at "
            span.mono { (address) } " on " (record.network.as_deref().unwrap_or("")) "."
        }
        p { "The gateway's commission comes from your balance. A refund cannot be undone; a wrong address loses the money." }
        form method="post" action=(format!("/console/invoices/{}/refund", record.id)) {
            input type="hidden" name="csrf" value=(signed.0.csrf);
            input type="hidden" name="step" value="confirm";
            input type="hidden" name="address" value=(address);
            div.actions {
                button.danger type="submit" { "Confirm the refund" }
                a href=(format!("/console/invoices/{}", record.id)) { "Cancel" }
            }
        }
    };
    let title = format!("Refund {}", record.order_id);
    let frame = Frame {
        title: &title,
        session: Some(&signed.0),
        shop: Some((shop, Vec::new())),
        current: "invoices",
    };
    page(StatusCode::OK, frame, main)
}

#[derive(Debug, Deserialize)]
pub(super) struct ResolveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    resolution: String,
    #[serde(default)]
    note: String,
}

/// `POST /console/invoices/{id}/resolve`: settles an invoice in review, with a note.
pub(super) async fn resolve(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    SignedForm(signed, form): SignedForm<ResolveForm>,
) -> Response {
    if let Err(refused) = signed.check_moves_money() {
        return refused.into_response();
    }
    let (record, shop) = match visible(&state, &signed, id).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let resolution = match form.resolution.as_str() {
        "paid" => Resolution::Paid,
        "not_paid" => Resolution::NotPaid,
        _ => {
            let text = "Choose whether the payment is accepted.";
            return invoice_page(
                &state,
                &signed,
                &record,
                &shop,
                StatusCode::BAD_REQUEST,
                Some((text, true)),
            )
            .await;
        }
    };
    let done = state
        .services
        .invoices
        .resolve_review(
            &record.shop_id,
            &record.id,
            resolution,
            &form.note,
            &signed.0.user.email,
        )
        .await;
    match done {
        Ok(_) => Redirect::to(&format!("/console/invoices/{}", record.id)).into_response(),
        Err(e) => {
            let status = match &e {
                ServiceError::Invalid(_) => StatusCode::BAD_REQUEST,
                ServiceError::Conflict(_) => StatusCode::CONFLICT,
                _ => StatusCode::SERVICE_UNAVAILABLE,
            };
            let text = format!("The review was not resolved: {e}");
            invoice_page(&state, &signed, &record, &shop, status, Some((&text, true))).await
        }
    }
}

/// `POST /console/invoices/{id}/redeliver`: the shop's latest news of the invoice, sent again.
pub(super) async fn redeliver(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    SignedForm(signed, _): SignedForm<ActionForm>,
) -> Response {
    let (record, shop) = match visible(&state, &signed, id).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    match state
        .services
        .invoices
        .redeliver(&record.shop_id, &record.id)
        .await
    {
        Ok(true) => {
            let text = "Sent again: the timeline shows how it goes.";
            invoice_page(
                &state,
                &signed,
                &record,
                &shop,
                StatusCode::OK,
                Some((text, false)),
            )
            .await
        }
        Ok(false) => {
            let text = "Nothing was ever sent to the shop about this invoice.";
            invoice_page(
                &state,
                &signed,
                &record,
                &shop,
                StatusCode::CONFLICT,
                Some((text, true)),
            )
            .await
        }
        Err(e) => {
            tracing::error!(error = %e, "console redelivery failed");
            unavailable()
        }
    }
}

console_forms!(ActionForm, ResolveForm);
