//! The widget's one request: the invoice view.

use crate::state::LoadError;
use shim_api::InvoiceView;

/// `GET {api_base}/v1/invoices/{id}`.
pub async fn fetch_invoice(api_base: &str, invoice_id: &str) -> Result<InvoiceView, LoadError> {
    let url = format!("{api_base}/v1/invoices/{invoice_id}");
    let response = gloo_net::http::Request::get(&url)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|_| LoadError::Network)?;
    match response.status() {
        200 => response
            .json::<InvoiceView>()
            .await
            .map_err(|_| LoadError::Malformed),
        404 => Err(LoadError::NotFound),
        status => Err(LoadError::Server(status)),
    }
}
