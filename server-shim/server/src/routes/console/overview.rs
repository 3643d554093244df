//! `GET /console`: what the shop took today and in the last 30 days, paid invoices per day, and
//! what needs the merchant.

use super::{Frame, ShopPage, page, unavailable, when};
use crate::domain::Shop;
use crate::routes::AppState;
use crate::services::now;
use crate::store::InvoiceFilter;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use rust_decimal::Decimal;
use shim_api::{InvoiceStatus, InvoiceSummary};
use std::collections::BTreeMap;

const DAY: i64 = 86_400;

/// `GET /console`.
pub(super) async fn overview(
    State(state): State<AppState>,
    ShopPage(signed, shop): ShopPage,
) -> Response {
    let now = now();
    let today = now - now.rem_euclid(DAY);
    let since = today - 29 * DAY;
    let Ok(takings) = state.services.store().takings(&shop.id, since).await else {
        return unavailable();
    };
    let mut attention = Vec::new();
    for status in [
        InvoiceStatus::Review,
        InvoiceStatus::Underpaid,
        InvoiceStatus::RefundFailed,
    ] {
        let filter = InvoiceFilter {
            status: Some(status),
            ..InvoiceFilter::default()
        };
        match state
            .services
            .invoices
            .list(&shop.id, &filter, None, 10)
            .await
        {
            Ok(found) => attention.extend(found.invoices),
            Err(_) => return unavailable(),
        }
    }
    let Ok(jobs) = state.services.store().jobs(Some("failed"), 200).await else {
        return unavailable();
    };
    let failed_callbacks = jobs.iter().filter(|job| job.shop_id == shop.id).count();
    let names = signed.shop_names(&state).await;
    let main = html! {
        h1 { "Overview" }
        (takings_section(&takings, today))
        (chart(&takings, today))
        (attention_section(&shop, &attention, failed_callbacks))
    };
    let frame = Frame {
        title: "Overview",
        session: Some(&signed.0),
        shop: Some((&shop, names)),
        current: "overview",
    };
    page(StatusCode::OK, frame, main)
}

/// Sums per currency of the takings made since `since`.
fn sums(takings: &[(String, Decimal, i64)], since: i64) -> BTreeMap<&str, (Decimal, usize)> {
    let mut sums: BTreeMap<&str, (Decimal, usize)> = BTreeMap::new();
    for (currency, amount, _) in takings.iter().filter(|(_, _, at)| *at >= since) {
        let entry = sums.entry(currency.as_str()).or_default();
        entry.0 += amount;
        entry.1 += 1;
    }
    sums
}

fn takings_section(takings: &[(String, Decimal, i64)], today: i64) -> Markup {
    let periods = [
        ("Today", sums(takings, today)),
        ("Last 30 days", sums(takings, today - 29 * DAY)),
    ];
    html! {
        section aria-labelledby="takings" {
            h2 #takings { "Takings" }
            div.cards {
                @for (label, sums) in &periods {
                    div.card {
                        h3 { (label) }
                        @if sums.is_empty() {
                            p { "Nothing paid yet." }
                        } @else {
                            ul.plain {
                                @for (currency, (amount, count)) in sums {
                                    li { strong { (amount.normalize()) " " (currency) } " from " (count) " invoice" @if *count != 1 { "s" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Paid invoices per day over the last 30 days, as a bar chart drawn on the server (SVG), with
/// the figures in a table for screen readers and for reading exact numbers.
fn chart(takings: &[(String, Decimal, i64)], today: i64) -> Markup {
    let mut per_day = [0usize; 30];
    for (_, _, at) in takings {
        let back = (today - (*at - at.rem_euclid(DAY))) / DAY;
        if let Some(slot) = usize::try_from(29 - back)
            .ok()
            .and_then(|i| per_day.get_mut(i))
        {
            *slot += 1;
        }
    }
    let most = per_day.iter().copied().max().unwrap_or(0).max(1);
    let (width, height, bar) = (600.0_f64, 160.0_f64, 20.0_f64);
    html! {
        section aria-labelledby="per-day" {
            h2 #per-day { "Paid invoices per day" }
            svg.chart viewBox=(format!("0 0 {width} {}", height + 20.0)) role="img" aria-labelledby="chart-title" {
                title #chart-title { "Paid invoices per day, the last 30 days; the busiest day had " (most) }
                @for (n, count) in per_day.iter().enumerate() {
                    @let h = (*count as f64 / most as f64) * height;
                    rect x=(format!("{:.1}", n as f64 * bar)) y=(format!("{:.1}", height - h))
                        width=(format!("{:.1}", bar - 4.0)) height=(format!("{h:.1}")) {}
                }
                line x1="0" y1=(height) x2=(width) y2=(height) {}
                text x="0" y=(height + 16.0) { (when(today - 29 * DAY).get(..10).unwrap_or("")) }
                text x=(width) y=(height + 16.0) text-anchor="end" { "today" }
            }
            details {
                summary { "The figures" }
                table {
                    thead { tr { th scope="col" { "Day" } th scope="col" { "Paid invoices" } } }
                    tbody {
                        @for (n, count) in per_day.iter().enumerate().filter(|(_, c)| **c > 0) {
                            tr { td { (when(today - (29 - n as i64) * DAY).get(..10).unwrap_or("")) } td { (count) } }
                        }
                    }
                }
            }
        }
    }
}

fn attention_section(shop: &Shop, attention: &[InvoiceSummary], failed_callbacks: usize) -> Markup {
    html! {
        section aria-labelledby="attention" {
            h2 #attention { "Needs you" }
            @if attention.is_empty() && failed_callbacks == 0 {
                p { "Nothing needs you now." }
            } @else {
                ul.plain {
                    @for summary in attention {
                        li {
                            a href=(format!("/console/invoices/{}", summary.invoice.id)) { (summary.order_id) }
                            " — " (summary.invoice.status.as_str().replace('_', " "))
                            ", " (summary.invoice.amount) " " (summary.invoice.currency)
                        }
                    }
                    @if failed_callbacks > 0 {
                        li { (failed_callbacks) " callback" @if failed_callbacks != 1 { "s" } " to " (shop.name) " failed for good: the invoice pages say which; the operator can replay them." }
                    }
                }
            }
        }
    }
}
