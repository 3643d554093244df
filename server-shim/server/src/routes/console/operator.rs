//! The operator's pages: shops (add one, rotate its token, set its callback URL and send a test
//! callback, see its platform connection) and the queues (the gateway's webhooks as received, the
//! news to shops), with replay. Secrets are shown once, on the page that made them.

use super::{Frame, Refusal, Signed, SignedForm, message_page, page, unavailable, when};
use crate::routes::AppState;
use crate::services::intake::ReplayQueue;
use crate::services::shops::{ShopAdmin, ShopAdminError};
use crate::store::ConsoleRole;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

impl Signed {
    /// Refuses anyone but an operator.
    fn check_operator(&self) -> Result<(), Refusal> {
        if self.0.user.role == ConsoleRole::Operator {
            Ok(())
        } else {
            Err(Refusal {
                status: StatusCode::FORBIDDEN,
                title: "Operators only",
                message: "Only the shim's operators see this page.",
            })
        }
    }
}

/// What a form on these pages sends (each the fields it has).
#[derive(Debug, Default, Deserialize)]
pub(super) struct OperatorForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    queue: String,
}

/// `GET /console/shops`.
pub(super) async fn shops(State(state): State<AppState>, signed: Signed) -> Response {
    if let Err(refused) = signed.check_operator() {
        return refused.into_response();
    }
    shops_page(&state, &signed, StatusCode::OK, None).await
}

/// A notice at the top of a page: its text, whether it is an error, and a secret to show once.
struct Notice {
    text: String,
    error: bool,
    secret: Option<(&'static str, String)>,
}

fn notice_markup(notice: Option<&Notice>) -> Markup {
    html! {
        @if let Some(notice) = notice {
            div role=(if notice.error { "alert" } else { "status" }) {
                p class=(if notice.error { "error" } else { "notice" }) { (notice.text) }
                @if let Some((label, secret)) = &notice.secret {
                    label for="secret" { (label) " (shown once: copy it now)" }
                    input.copy #secret readonly name="secret" value=(secret) data-copy;
                }
            }
        }
    }
}

async fn shops_page(
    state: &AppState,
    signed: &Signed,
    status: StatusCode,
    notice: Option<Notice>,
) -> Response {
    let store = state.services.store();
    let Ok(shops) = store.list_shops().await else {
        return unavailable();
    };
    let csrf = &signed.0.csrf;
    let mut rows = Vec::with_capacity(shops.len());
    for shop in &shops {
        let platform = match store.shop_platform(&shop.id).await {
            Ok(Some(config)) => config.describe(),
            Ok(None) => "none".to_owned(),
            Err(_) => "settings that cannot be read".to_owned(),
        };
        // Only where callbacks go: a URL may carry a key in its path or query.
        let callback = match store.shop_callback(&shop.id).await {
            Ok(found) => found.map(|(url, _)| {
                reqwest::Url::parse(&url)
                    .map_or_else(|_| "set".into(), |u| u.origin().ascii_serialization())
            }),
            Err(_) => return unavailable(),
        };
        rows.push((shop, platform, callback));
    }
    let main = html! {
        h1 { "Shops" }
        (notice_markup(notice.as_ref()))
        @for (shop, platform, callback) in &rows {
            article.offer aria-labelledby=(format!("{}-title", shop.id.0)) {
                h2 #(format!("{}-title", shop.id.0)) { (shop.name) }
                dl.facts {
                    dt { "Id" } dd.mono { (shop.id.0) }
                    dt { "Platform" } dd { (platform) }
                    dt { "Callbacks to" } dd { (callback.as_deref().unwrap_or("none")) }
                }
                div.actions {
                    a href=(format!("/console/invoices?{}", super::query(&[("shop", &shop.name)]))) { "Invoices" }
                }
                form.stack method="post" action="/console/shops" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="name" value=(shop.name);
                    input type="hidden" name="action" value="callback";
                    label for=(format!("{}-url", shop.id.0)) { "Callback URL (a new signing secret is made)" }
                    input #(format!("{}-url", shop.id.0)) name="url" type="url" required placeholder="https://shop.example/checkout/callback";
                    button type="submit" { "Set the callback URL" }
                }
                div.actions {
                    @if callback.is_some() {
                        form method="post" action="/console/shops" {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="name" value=(shop.name);
                            input type="hidden" name="action" value="test";
                            button type="submit" { "Send a test callback" }
                        }
                    }
                    form method="post" action="/console/shops" {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="name" value=(shop.name);
                        input type="hidden" name="action" value="rotate";
                        label.check { input type="checkbox" name="confirm" value="yes" required; " The old token stops working at once" }
                        button.danger type="submit" { "Rotate the token" }
                    }
                }
            }
        }
        section aria-labelledby="new-shop" {
            h2 #new-shop { "Add a shop" }
            form.stack method="post" action="/console/shops" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="action" value="add";
                label for="shop-name" { "Name" }
                input #shop-name name="name" required maxlength="100";
                button type="submit" { "Add the shop" }
            }
        }
    };
    let frame = Frame {
        title: "Shops",
        session: Some(&signed.0),
        shop: None,
        current: "shops",
    };
    page(status, frame, main)
}

/// `POST /console/shops`: add, rotate, callback, test.
pub(super) async fn shops_action(
    State(state): State<AppState>,
    SignedForm(signed, form): SignedForm<OperatorForm>,
) -> Response {
    if let Err(refused) = signed.check_operator() {
        return refused.into_response();
    }
    let admin = ShopAdmin(state.services.store());
    let who = &signed.0.user.email;
    let done: Result<Notice, ShopAdminError> = match form.action.as_str() {
        "add" => admin.add(&form.name).await.map(|(shop, token)| {
            tracing::info!(shop = %shop.name, by = %who, "shop added from the console");
            Notice {
                text: format!("Shop {} added. Put its token in the shop plugin's settings.", shop.name),
                error: false,
                secret: Some(("Shop token", token.reveal().to_owned())),
            }
        }),
        "rotate" if form.confirm != "yes" => Err(ShopAdminError::Invalid(
            "tick the box to say the old token may stop working".into(),
        )),
        "rotate" => admin.rotate_token(&form.name).await.map(|token| {
            tracing::info!(shop = %form.name, by = %who, "shop token rotated from the console");
            Notice {
                text: format!("{} has a new token; the old one no longer works.", form.name),
                error: false,
                secret: Some(("New shop token", token.reveal().to_owned())),
            }
        }),
        "callback" => admin.set_callback(&form.name, &form.url).await.map(|secret| Notice {
            text: format!("{} is told of changes at its new callback URL; it checks X-Checkout-Signature with this secret.", form.name),
            error: false,
            secret: Some(("Callback secret", secret)),
        }),
        "test" => {
            let Ok(shops) = state.services.store().list_shops().await else {
                return unavailable();
            };
            match shops.into_iter().find(|s| s.name == form.name) {
                None => Err(ShopAdminError::NotFound(form.name.clone())),
                Some(shop) => Ok(match crate::outbox::test_callback(&state.services, &shop).await {
                    Ok(said) => Notice { text: format!("Test callback {said}"), error: false, secret: None },
                    Err(said) => Notice { text: format!("Test callback failed: {said}"), error: true, secret: None },
                }),
            }
        }
        _ => Err(ShopAdminError::Invalid("unknown action".into())),
    };
    match done {
        Ok(notice) => {
            let status = if notice.error {
                StatusCode::BAD_GATEWAY
            } else {
                StatusCode::OK
            };
            shops_page(&state, &signed, status, Some(notice)).await
        }
        Err(ShopAdminError::Store(e)) => {
            tracing::error!(error = %e, "console shop action failed");
            unavailable()
        }
        Err(e) => {
            let status = match &e {
                ShopAdminError::NotFound(_) => StatusCode::NOT_FOUND,
                _ => StatusCode::BAD_REQUEST,
            };
            let notice = Notice {
                text: format!("Not done: {e}"),
                error: true,
                secret: None,
            };
            shops_page(&state, &signed, status, Some(notice)).await
        }
    }
}

/// `GET /console/queues`: the webhook inbox and the news to shops, waiting and failed.
pub(super) async fn queues(State(state): State<AppState>, signed: Signed) -> Response {
    if let Err(refused) = signed.check_operator() {
        return refused.into_response();
    }
    queues_page(&state, &signed, StatusCode::OK, None).await
}

async fn queues_page(
    state: &AppState,
    signed: &Signed,
    status: StatusCode,
    notice: Option<Notice>,
) -> Response {
    let store = state.services.store();
    let (Ok(inbox), Ok(failed), Ok(pending), Ok(events)) = (
        store.webhooks(false, 50).await,
        store.jobs(Some("failed"), 50).await,
        store.jobs(Some("pending"), 50).await,
        store.event_callbacks(Some("failed"), 50).await,
    ) else {
        return unavailable();
    };
    let csrf = &signed.0.csrf;
    let replay = |queue: &'static str, id: i64| {
        html! {
            form method="post" action="/console/queues" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="queue" value=(queue);
                input type="hidden" name="id" value=(id);
                button type="submit" aria-label=(format!("Replay {queue} {id}")) { "Replay" }
            }
        }
    };
    let main = html! {
        h1 { "Queues" }
        (notice_markup(notice.as_ref()))
        section aria-labelledby="inbox" {
            h2 #inbox { "The gateway's webhooks, newest first" }
            div.scroll tabindex="0" role="region" aria-label="The gateway's webhooks" { table {
                thead { tr { th scope="col" { "Received" } th scope="col" { "Kind" } th scope="col" { "Order" } th scope="col" { "Status" } th scope="col" { "Attempts" } th scope="col" { "Outcome" } th scope="col" { "Replay" } } }
                tbody {
                    @for hook in &inbox {
                        tr {
                            td { (when(hook.received_at)) }
                            td { (hook.webhook.kind) }
                            td.mono { (hook.webhook.order_id) }
                            td { (hook.webhook.gateway_status) }
                            td.num { (hook.attempts) }
                            td { (hook.outcome.as_deref().unwrap_or("not processed yet")) }
                            td { (replay("webhook", hook.id)) }
                        }
                    }
                }
            } }
        }
        section aria-labelledby="outbox" {
            h2 #outbox { "News to shops: waiting and failed" }
            @if failed.is_empty() && pending.is_empty() && events.is_empty() {
                p { "Nothing waits, nothing failed." }
            } @else {
                div.scroll tabindex="0" role="region" aria-label="News to shops" { table {
                    thead { tr { th scope="col" { "Id" } th scope="col" { "About" } th scope="col" { "Status" } th scope="col" { "Attempts" } th scope="col" { "Last error" } th scope="col" { "Replay" } } }
                    tbody {
                        @for job in failed.iter().chain(&pending) {
                            tr {
                                td.num { (job.id) }
                                td { a href=(format!("/console/invoices/{}", job.invoice_id)) { (job.invoice_id) } " v" (job.version) }
                                td { (job.status) }
                                td.num { (job.attempts) }
                                td { (job.last_error.as_deref().unwrap_or("")) }
                                td { (replay("invoice", job.id)) }
                            }
                        }
                        @for event in &events {
                            tr {
                                td.num { (event.id) }
                                td { (event.kind) " " (event.subject) }
                                td { (event.status) }
                                td.num { (event.attempts) }
                                td { (event.last_error.as_deref().unwrap_or("")) }
                                td { (replay("event", event.id)) }
                            }
                        }
                    }
                } }
            }
        }
    };
    let frame = Frame {
        title: "Queues",
        session: Some(&signed.0),
        shop: None,
        current: "queues",
    };
    page(status, frame, main)
}

/// `POST /console/queues`: replays one entry of a queue.
pub(super) async fn replay(
    State(state): State<AppState>,
    SignedForm(signed, form): SignedForm<OperatorForm>,
) -> Response {
    if let Err(refused) = signed.check_operator() {
        return refused.into_response();
    }
    let Ok(id) = form.id.parse::<i64>() else {
        return message_page(StatusCode::BAD_REQUEST, "Form refused", "No such entry.");
    };
    let queue = match form.queue.as_str() {
        "webhook" => Some(ReplayQueue::Webhook),
        "invoice" => Some(ReplayQueue::Invoice),
        "event" => Some(ReplayQueue::Event),
        _ => None,
    };
    let done = match queue {
        Some(queue) => state.services.intake.replay(queue, id).await,
        None => Ok(false),
    };
    let notice = match done {
        Ok(true) => Notice {
            text: format!("{} {id} queued again.", form.queue),
            error: false,
            secret: None,
        },
        Ok(false) => Notice {
            text: format!("There is no {} {id}.", form.queue),
            error: true,
            secret: None,
        },
        Err(e) => {
            tracing::error!(error = %e, "console replay failed");
            return unavailable();
        }
    };
    let status = if notice.error {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    queues_page(&state, &signed, status, Some(notice)).await
}

console_forms!(OperatorForm);
