//! Shopify's payments app route: crypto as a payment method of Shopify's own checkout.
//!
//! 1. At services, Shopify posts a payment session to the shim (authenticated by Shopify's client
//!    certificate, see `routes::shopify_tls`). The shim makes an invoice for it, the same one for a
//!    repeated session id, and answers `{"redirect_url"}`: the pay page.
//! 2. The buyer pays in the widget. As the invoice moves, the outbox settles the session through
//!    the Payments Apps API ([`settle`]): confirming on chain is `paymentSessionPending` (Shopify
//!    makes the order and waits), paid is `paymentSessionResolve`, expired or closed short is
//!    `paymentSessionReject`. Each answers where the buyer goes next.
//! 3. When the invoice is paid, the pay page sends the buyer to `/v1/shopify/payments/next/{id}`,
//!    which sends them on to Shopify (the thank-you page, or back to services).
//!
//! Refund sessions are answered and rejected with a word for the merchant: a crypto payment is
//! refunded from the gateway's dashboard, to an address only the buyer can give.

use crate::domain::Shop;
use crate::services::{ServiceError, Services, now, rfc3339};
use crate::store::{PaymentSession, SessionKey};
use shim_api::{CreateInvoiceRequest, InvoiceStatus};
use shop_adapters::platform::AdapterError;
use shop_adapters::shopify::Shopify;
use shop_adapters::shopify::transformers::{PaymentSessionRequest, RefundSessionRequest};

/// How long Shopify waits for a pending (confirming) payment before giving up on it, seconds.
const PENDING_FOR: i64 = 3 * 24 * 3600;

/// Why a session request cannot be taken.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The request is not one the shim can take (the message says why).
    #[error("{0}")]
    Invalid(String),
    /// The same session id came with another amount or currency.
    #[error("{0}")]
    Conflict(String),
    /// Making the invoice failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// Takes Shopify's payment session `request` for `shop`: the URL the buyer goes to (the pay page
/// of its invoice), the same for a repeated request.
pub async fn start(
    services: &Services,
    shop: &Shop,
    request: PaymentSessionRequest,
) -> Result<String, SessionError> {
    let store = services.store();
    let pay_page =
        |session: &PaymentSession| format!("{}/pay/{}", services.public_url(), session.invoice_id);
    if let Some(existing) = store
        .payment_session(SessionKey::Id(&request.id))
        .await
        .map_err(ServiceError::from)?
    {
        if existing.shop_id != shop.id
            || existing.amount != request.amount
            || !existing.currency.eq_ignore_ascii_case(&request.currency)
        {
            return Err(SessionError::Conflict(format!(
                "payment session {} was started for {} {}",
                request.id, existing.amount, existing.currency
            )));
        }
        return Ok(pay_page(&existing));
    }
    if request.test {
        return Err(SessionError::Invalid(
            "a test session would be paid with real crypto: test the payments app against a shim on the sandbox gateway".into(),
        ));
    }
    if request.kind != "sale" {
        return Err(SessionError::Invalid(format!(
            "only sales can be paid in crypto, not {:?} (turn off deferred payments for the payments app)",
            request.kind
        )));
    }
    // The gid is what the Payments Apps API settles: it must be this session's own.
    let valid_id = !request.id.is_empty()
        && request.id.len() <= 112
        && request
            .id
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'/');
    if !valid_id || request.gid != format!("gid://shopify/PaymentSession/{}", request.id) {
        return Err(SessionError::Invalid(
            "id (1 to 112 characters) and its gid, gid://shopify/PaymentSession/<id>, are required"
                .into(),
        ));
    }
    let cancel_url = request.payment_method.data.cancel_url.clone();
    if !cancel_url.starts_with("https://") && !cancel_url.starts_with("http://") {
        return Err(SessionError::Invalid(
            "payment_method.data.cancel_url must be an http(s) URL".into(),
        ));
    }
    let next = format!(
        "{}/v1/shopify/payments/next/{}",
        services.public_url(),
        url_segment(&request.id)
    );
    let (invoice, _) = services
        .invoices
        .create_standalone_invoice(
            shop,
            CreateInvoiceRequest {
                order_id: format!("shopify-session-{}", request.id),
                amount: request.amount.clone(),
                currency: request.currency.clone(),
                network: None,
                to_currency: None,
                lifetime: None,
                url_return: Some(cancel_url.clone()),
                url_success: Some(next),
                platform_order_ref: None,
            },
        )
        .await?;
    let session = PaymentSession {
        id: request.id,
        shop_id: shop.id.clone(),
        gid: request.gid,
        invoice_id: invoice.id,
        amount: request.amount,
        currency: request.currency,
        cancel_url,
        test: request.test,
        state: "open".into(),
        next_url: None,
        created_at: now(),
    };
    // Two requests at once with the same id: one row, and both answer its pay page.
    store
        .insert_payment_session(&session)
        .await
        .map_err(ServiceError::from)?;
    Ok(pay_page(&session))
}

/// What a payment session must be told, given its invoice's status and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// Nothing (yet, or any more).
    Nothing,
    /// The money is on its way (`reason` for Shopify).
    Pending(&'static str),
    /// Paid.
    Resolve,
    /// Not paid; the message tells the merchant why.
    Reject(&'static str),
}

/// The settlement an invoice in `status` calls for, for a session in `state`.
pub fn settlement(status: InvoiceStatus, state: &str) -> Settlement {
    use InvoiceStatus as I;
    let open = state == "open";
    let unsettled = open || state == "pending";
    match status {
        I::Confirming if open => Settlement::Pending("NETWORK_ACTION_REQUIRED"),
        I::Review if open => Settlement::Pending("PARTNER_ACTION_REQUIRED"),
        I::Paid | I::Overpaid if unsettled => Settlement::Resolve,
        I::Expired if unsettled => Settlement::Reject("The crypto invoice expired unpaid."),
        I::Failed if unsettled => Settlement::Reject("The crypto payment failed."),
        I::Underpaid if unsettled => Settlement::Reject(
            "The crypto payment closed short of the total; refund what was sent from the gateway's dashboard.",
        ),
        _ => Settlement::Nothing,
    }
}

/// Tells Shopify where payment session `session` stands now that its invoice is `status`, and
/// records it. Safe to repeat: a session is only moved forward.
pub async fn settle(
    services: &Services,
    shopify: &Shopify,
    session: &PaymentSession,
    status: InvoiceStatus,
) -> Result<(), AdapterError> {
    let store_error = |e: crate::store::StoreError| AdapterError::Unavailable(e.to_string());
    let (state, next) = match settlement(status, &session.state) {
        Settlement::Nothing => {
            if matches!(status, InvoiceStatus::Paid | InvoiceStatus::Overpaid)
                && session.state == "rejected"
            {
                tracing::warn!(session = %session.id, invoice = %session.invoice_id,
                    "crypto arrived after Shopify was told this payment failed: no order takes it; refund it from the gateway's dashboard");
            }
            return Ok(());
        }
        Settlement::Pending(reason) => (
            "pending",
            shopify
                .pend_payment(&session.gid, &rfc3339(now() + PENDING_FOR), reason)
                .await?,
        ),
        Settlement::Resolve => ("resolved", shopify.resolve_payment(&session.gid).await?),
        Settlement::Reject(message) => (
            "rejected",
            shopify
                .reject_payment(&session.gid, "PROCESSING_ERROR", message)
                .await?,
        ),
    };
    // Only forward: another worker may have settled it further meanwhile.
    services
        .store()
        .advance_payment_session(&session.id, state, next.as_deref(), now())
        .await
        .map_err(store_error)?;
    tracing::info!(session = %session.id, invoice = %session.invoice_id, state, "Shopify payment session settled");
    Ok(())
}

/// Takes Shopify's refund session `request`: recorded once, then rejected (in the background,
/// after the answer, as Shopify expects) with a word for the merchant; a repeat of a session not
/// rejected yet tries again. `false` for a repeat.
pub async fn refund(
    services: &Services,
    shop: &Shop,
    shopify: Shopify,
    request: RefundSessionRequest,
) -> Result<bool, SessionError> {
    if !request.gid.starts_with("gid://shopify/RefundSession/") || request.id.is_empty() {
        return Err(SessionError::Invalid(
            "id and gid (gid://shopify/RefundSession/...) are required".into(),
        ));
    }
    let store = services.store().clone();
    let new = store
        .insert_refund_session(
            &request.id,
            &shop.id,
            &request.gid,
            &request.payment_id,
            &request.amount,
            &request.currency,
            now(),
        )
        .await
        .map_err(ServiceError::from)?;
    let settled = !new
        && store
            .refund_session_state(&request.id)
            .await
            .map_err(ServiceError::from)?
            .as_deref()
            == Some("rejected");
    // New, or asked again while our answer to Shopify never got through (the process restarted,
    // or Shopify was down): try again.
    if !settled {
        tokio::spawn(async move {
            let message = "Crypto payments are refunded from the Cryptomus dashboard, to an address the customer gives you; then record the refund in Shopify as a manual refund.";
            for attempt in 0..5u32 {
                if attempt > 0 {
                    tokio::time::sleep(std::time::Duration::from_secs(2u64.pow(attempt))).await;
                }
                match shopify.reject_refund(&request.gid, message).await {
                    Ok(()) => {
                        let _ = store
                            .set_refund_session_state(&request.id, "rejected")
                            .await;
                        return;
                    }
                    Err(e) if e.retry_helps() => {
                        tracing::warn!(refund = %request.id, error = %e, "Shopify refund session: trying again");
                    }
                    Err(e) => {
                        tracing::warn!(refund = %request.id, error = %e, "Shopify refused to close the refund session");
                        return;
                    }
                }
            }
        });
    }
    Ok(new)
}

/// `id` for a URL path: Shopify's ids are URL-safe; anything else is percent-encoded.
fn url_segment(id: &str) -> String {
    id.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use InvoiceStatus as I;

    #[test]
    fn sessions_only_move_forward() {
        assert_eq!(settlement(I::Pending, "open"), Settlement::Nothing);
        assert_eq!(
            settlement(I::Confirming, "open"),
            Settlement::Pending("NETWORK_ACTION_REQUIRED")
        );
        assert_eq!(settlement(I::Confirming, "pending"), Settlement::Nothing);
        assert_eq!(settlement(I::PartiallyPaid, "open"), Settlement::Nothing);
        assert_eq!(settlement(I::Paid, "pending"), Settlement::Resolve);
        assert_eq!(settlement(I::Overpaid, "open"), Settlement::Resolve);
        assert_eq!(settlement(I::Paid, "resolved"), Settlement::Nothing);
        assert!(matches!(
            settlement(I::Expired, "open"),
            Settlement::Reject(_)
        ));
        assert!(matches!(
            settlement(I::Underpaid, "pending"),
            Settlement::Reject(_)
        ));
        assert_eq!(settlement(I::Expired, "resolved"), Settlement::Nothing);
        assert_eq!(settlement(I::Paid, "rejected"), Settlement::Nothing);
    }

    #[test]
    fn session_ids_stay_one_path_segment() {
        assert_eq!(
            url_segment("u0nwmSrNntjIWozmNslK5Tlq"),
            "u0nwmSrNntjIWozmNslK5Tlq"
        );
        assert_eq!(url_segment("a/b?c"), "a%2Fb%3Fc");
    }
}
