//! The shop's view of its invoices: `GET /v1/invoices` (a list with filters and a search),
//! `GET /v1/invoices/{id}/history` (what happened to one) and `GET /v1/reports/payments` (every
//! invoice of a time range, as JSON or as CSV).

use super::{ApiError, AppState, AuthShop};
use crate::domain::ShopId;
use crate::services::invoices::MAX_PAGE;
use crate::store::InvoiceFilter;
use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shim_api::{InvoiceHistory, InvoicePage, InvoiceStatus, PaymentReport, ReportLine};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Invoices a page holds unless `limit` says otherwise.
const DEFAULT_PAGE: i64 = 50;

/// `GET /v1/invoices`'s query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct ListQuery {
    /// Only invoices in this status (`pending`, `paid`, `partially_paid`, `review`, ...).
    status: Option<String>,
    /// Only those made at or after this time, RFC 3339 (`2026-12-01T00:00:00Z`).
    created_from: Option<String>,
    /// Only those made before this time, RFC 3339.
    created_to: Option<String>,
    /// Only those paid in this coin (`USDT`, `BTC`, ...).
    coin: Option<String>,
    /// Finds invoices by their id, the shop's order id, a payment address, a transaction id, the
    /// gateway's payment uuid or an exact amount (in the price currency or the coin: `15` finds
    /// `15.00`).
    q: Option<String>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
    /// Invoices per page, 1 to 100 (50 if not given).
    limit: Option<i64>,
}

impl ListQuery {
    /// The filter the query asks for; the error names the parameter and what to fix.
    fn filter(&self) -> Result<InvoiceFilter, ApiError> {
        let status = match self.status.as_deref() {
            None => None,
            Some(given) => Some(InvoiceStatus::parse(given).ok_or_else(|| {
                let known: Vec<&str> = InvoiceStatus::ALL.iter().map(|s| s.as_str()).collect();
                ApiError::invalid(format!(
                    "status must be one of {}, got {given:?}",
                    known.join(", ")
                ))
            })?),
        };
        let coin = self
            .coin
            .as_deref()
            .map(|coin| crate::domain::currency_code("coin", coin.trim()))
            .transpose()
            .map_err(ApiError::invalid)?;
        let search = match self.q.as_deref().map(str::trim) {
            None => None,
            Some(q)
                if !q.is_empty()
                    && q.chars().count() <= 200
                    && !q.chars().any(char::is_control) =>
            {
                Some(q.to_owned())
            }
            Some(_) => {
                return Err(ApiError::invalid(
                    "q must be 1 to 200 characters without control characters",
                ));
            }
        };
        Ok(InvoiceFilter {
            status,
            created_from: time_param("created_from", self.created_from.as_deref())?,
            created_before: time_param("created_to", self.created_to.as_deref())?,
            coin,
            search,
        })
    }

    /// The page size asked for.
    fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_PAGE),
            Some(limit) if (1..=MAX_PAGE).contains(&limit) => Ok(limit),
            Some(limit) => Err(ApiError::invalid(format!(
                "limit must be between 1 and {MAX_PAGE}, got {limit}"
            ))),
        }
    }
}

/// An RFC 3339 time parameter, as unix seconds.
fn time_param(name: &str, given: Option<&str>) -> Result<Option<i64>, ApiError> {
    given
        .map(|text| {
            OffsetDateTime::parse(text.trim(), &Rfc3339)
                .map(OffsetDateTime::unix_timestamp)
                .map_err(|_| {
                    ApiError::invalid(format!(
                        "{name} must be a time in RFC 3339, like 2026-12-01T00:00:00Z, got {text:?}"
                    ))
                })
        })
        .transpose()
}

/// The shop's invoices, newest first, a page at a time: filtered by status, time and coin, or
/// found by a search.
#[utoipa::path(
    get, path = "/v1/invoices", tag = "invoices",
    params(ListQuery),
    security(("shop_token" = [])),
    responses(
        (status = 200, description = "A page of the shop's invoices, and the cursor of the next", body = InvoicePage),
        (status = 400, description = "A parameter is invalid; the message names it", body = shim_api::ErrorBody),
        (status = 401, description = "Missing or unknown shop token", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn list(
    State(state): State<AppState>,
    AuthShop(shop): AuthShop,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<InvoicePage>, ApiError> {
    let Query(query) =
        query.map_err(|e| ApiError::invalid(format!("invalid query: {}", e.body_text())))?;
    let filter = query.filter()?;
    let page = state
        .services
        .invoices
        .list(&shop.id, &filter, query.cursor.as_deref(), query.limit()?)
        .await?;
    Ok(Json(page))
}

/// What happened to one of the shop's invoices, oldest first: its creation, the coins picked,
/// every gateway webhook and re-read, every status change, every refund asked for, and every try
/// at telling the shop (its callback: where to, the HTTP status and the start of the answer; its
/// platform: what was asked and what the platform answered).
#[utoipa::path(
    get, path = "/v1/invoices/{id}/history", tag = "invoices",
    params(("id" = String, Path, description = "The invoice id, `inv_…`")),
    security(("shop_token" = [])),
    responses(
        (status = 200, description = "The invoice's history", body = InvoiceHistory),
        (status = 401, description = "Missing or unknown shop token", body = shim_api::ErrorBody),
        (status = 404, description = "The shop has no such invoice", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn history(
    State(state): State<AppState>,
    AuthShop(shop): AuthShop,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<InvoiceHistory>, ApiError> {
    let id = super::invoices::invoice_id(id)?;
    Ok(Json(state.services.invoices.history(&shop.id, &id).await?))
}

/// `GET /v1/reports/payments`'s query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct ReportQuery {
    /// Invoices made at or after this time, RFC 3339 (`2026-12-01T00:00:00Z`); all if not given.
    from: Option<String>,
    /// Invoices made before this time, RFC 3339; up to now if not given.
    to: Option<String>,
}

impl ReportQuery {
    /// The report of the shop's invoices this query asks for.
    async fn report(
        state: &AppState,
        shop: &ShopId,
        query: Result<Query<ReportQuery>, QueryRejection>,
    ) -> Result<PaymentReport, ApiError> {
        let Query(query) =
            query.map_err(|e| ApiError::invalid(format!("invalid query: {}", e.body_text())))?;
        let from = time_param("from", query.from.as_deref())?;
        let to = time_param("to", query.to.as_deref())?;
        let filter = InvoiceFilter {
            created_from: from,
            created_before: to,
            ..InvoiceFilter::default()
        };
        Ok(state.services.invoices.report(shop, &filter).await?)
    }
}

/// The shop's invoices made between `from` and `to`, oldest first, one line each: order id,
/// amounts in the price currency and in the coin, status, transaction id, times.
#[utoipa::path(
    get, path = "/v1/reports/payments", tag = "invoices",
    params(ReportQuery),
    security(("shop_token" = [])),
    responses(
        (status = 200, description = "The report", body = PaymentReport),
        (status = 400, description = "A parameter is invalid, or the range holds too many invoices", body = shim_api::ErrorBody),
        (status = 401, description = "Missing or unknown shop token", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn report(
    State(state): State<AppState>,
    AuthShop(shop): AuthShop,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Json<PaymentReport>, ApiError> {
    Ok(Json(ReportQuery::report(&state, &shop.id, query).await?))
}

/// The same report as CSV (RFC 4180, UTF-8 with a byte order mark so that spreadsheets read
/// non-ASCII text right; a header line, then one line per invoice).
#[utoipa::path(
    get, path = "/v1/reports/payments.csv", tag = "invoices",
    params(ReportQuery),
    security(("shop_token" = [])),
    responses(
        (status = 200, description = "The report as CSV", content_type = "text/csv", body = String),
        (status = 400, description = "A parameter is invalid, or the range holds too many invoices", body = shim_api::ErrorBody),
        (status = 401, description = "Missing or unknown shop token", body = shim_api::ErrorBody),
    )
)]
pub(super) async fn report_csv(
    State(state): State<AppState>,
    AuthShop(shop): AuthShop,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let report = ReportQuery::report(&state, &shop.id, query).await?;
    Ok(csv_download(&report, "payments.csv"))
}

/// `report` as a CSV file to download as `name` (RFC 4180, UTF-8 with a byte order mark so that
/// spreadsheets read non-ASCII text right; a header line, then one line per invoice).
pub(super) fn csv_download(report: &PaymentReport, name: &'static str) -> Response {
    let mut csv = String::from("\u{feff}");
    csv_line(&mut csv, &ReportLine::COLUMNS);
    for line in &report.invoices {
        csv_line(&mut csv, &line.fields());
    }
    let disposition = format!("attachment; filename=\"{name}\"");
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        csv,
    )
        .into_response()
}

/// Appends one CSV line (RFC 4180): fields with a comma, a quote or a line break are quoted, their
/// quotes doubled; lines end with CRLF.
fn csv_line(out: &mut String, fields: &[&str]) {
    for (n, field) in fields.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        if field.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&field.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(field);
        }
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::csv_line;

    #[test]
    fn csv_fields_are_quoted_as_rfc_4180_says() {
        let mut out = String::new();
        csv_line(
            &mut out,
            &["plain", "a,b", "say \"hi\"", "two\nlines", "заказ", ""],
        );
        assert_eq!(
            out,
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",заказ,\r\n"
        );
    }
}
