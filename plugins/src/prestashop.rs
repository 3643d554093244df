//! PrestaShop (1.7, 8) through its Webservice, for shops connected before the module had its own
//! route (new shops go through [`crate::plugin_route`]): read the order's `current_state`, total
//! and currency as JSON; move it by posting an `order_history` in XML, only when the state differs
//! (each post adds a row and may mail the customer); private order messages, which land in the
//! legacy `message` table that PrestaShop 8's order page does not show (one more reason to connect
//! through the module). The Webservice key goes as the HTTP Basic user name, with an empty
//! password.

pub mod transformers;

use crate::OrderAction;
use crate::egress::{Egress, ShopSite};
use crate::platform::{
    AdapterError, EXPIRED_NOTE, FAILED_NOTE, PaymentFacts, Platform, REFUNDED_NOTE, ShopOrder,
    order_number,
};
use secrecy::{ExposeSecret as _, SecretString};
use transformers::{CurrencyEnvelope, OrderEnvelope, StateMap};

/// A PrestaShop shop.
#[derive(Debug, Clone)]
pub struct PrestaShop {
    site: ShopSite,
    key: SecretString,
    states: StateMap,
}

impl PrestaShop {
    /// The shop at `site` (`https://shop.example`), with a Webservice key allowed to read orders
    /// and currencies and to add order histories and messages.
    pub fn new(
        site: &str,
        key: SecretString,
        states: StateMap,
        egress: &Egress,
    ) -> Result<Self, AdapterError> {
        Ok(Self {
            site: ShopSite::new(site, egress)?,
            key,
            states,
        })
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        xml: Option<String>,
    ) -> Result<reqwest::Response, AdapterError> {
        let url = self.site.url(&format!("api/{path}"));
        let mut request = self
            .site
            .request(method, &url)
            .await?
            .basic_auth(self.key.expose_secret(), Some(""));
        if let Some(xml) = xml {
            request = request.header("content-type", "text/xml").body(xml);
        }
        let response = request
            .send()
            .await
            .map_err(|e| AdapterError::transport(&e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response.text().await.unwrap_or_default();
        let message = between(&body, "<message>", "</message>")
            .map(|m| {
                m.trim_start_matches("<![CDATA[")
                    .trim_end_matches("]]>")
                    .to_owned()
            })
            .unwrap_or_default();
        let error = format!("HTTP {} {message}", status.as_u16());
        Err(AdapterError::answered(status, error))
    }

    async fn move_to(&self, order: &ShopOrder, state: u32, mail: bool) -> Result<(), AdapterError> {
        if order.status == state.to_string() {
            return Ok(());
        }
        let id = order_number("PrestaShop", &order.reference)?;
        let path = if mail {
            "order_histories?sendemail=1"
        } else {
            "order_histories"
        };
        self.send(
            reqwest::Method::POST,
            path,
            Some(transformers::order_history_xml(id, state)),
        )
        .await
        .map(drop)
    }

    async fn note(&self, order: &ShopOrder, text: &str) -> Result<(), AdapterError> {
        let id = order_number("PrestaShop", &order.reference)?;
        self.send(
            reqwest::Method::POST,
            "messages",
            Some(transformers::private_message_xml(id, text)),
        )
        .await
        .map(drop)
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(&text[from..to])
}

impl Platform for PrestaShop {
    async fn order(&self, reference: &str) -> Result<ShopOrder, AdapterError> {
        let id = order_number("PrestaShop", reference)?;
        let order = self
            .send(
                reqwest::Method::GET,
                &format!("orders/{id}?output_format=JSON"),
                None,
            )
            .await?
            .json::<OrderEnvelope>()
            .await
            .map_err(|e| AdapterError::Unreadable(e.to_string()))?
            .order;
        let currency = self
            .send(
                reqwest::Method::GET,
                &format!("currencies/{}?output_format=JSON", order.id_currency),
                None,
            )
            .await?
            .json::<CurrencyEnvelope>()
            .await
            .map_err(|e| AdapterError::Unreadable(e.to_string()))?
            .currency;
        let state: u32 = order
            .current_state
            .parse()
            .map_err(|_| AdapterError::Unreadable(format!("state {:?}", order.current_state)))?;
        Ok(ShopOrder {
            reference: order.id,
            status: order.current_state,
            state: self.states.state(state),
            total: order.total_paid_tax_incl,
            currency: currency.iso_code,
        })
    }

    async fn apply(
        &self,
        order: &ShopOrder,
        action: &OrderAction,
        facts: &PaymentFacts,
    ) -> Result<(), AdapterError> {
        // The notes go first: a state change whose mail fails answers 500 with the state saved,
        // and the retry then finds the order in line and writes nothing more.
        let (notes, state, mail) = match action {
            OrderAction::Nothing => return Ok(()),
            OrderAction::MarkPaid { note } => {
                let paid = facts.paid_sentence();
                let mut notes = vec![facts.note(&paid)];
                notes.extend(note.as_deref().map(|note| facts.note(note)));
                // "Payment accepted" records the payment and mails the customer.
                (notes, Some(self.states.paid), true)
            }
            OrderAction::Hold { note } => (
                vec![facts.note(note)],
                (self.states.confirming != 0).then_some(self.states.confirming),
                false,
            ),
            OrderAction::Cancel => (
                vec![facts.note(EXPIRED_NOTE)],
                Some(self.states.canceled),
                true,
            ),
            OrderAction::Fail => (
                vec![facts.note(FAILED_NOTE)],
                Some(self.states.error),
                false,
            ),
            OrderAction::Refund => (
                vec![facts.note(REFUNDED_NOTE)],
                Some(self.states.refunded),
                true,
            ),
            OrderAction::NoteOnly { note } => (vec![facts.note(note)], None, false),
        };
        for note in &notes {
            self.note(order, note).await?;
        }
        match state {
            Some(state) => self.move_to(order, state, mail).await,
            None => Ok(()),
        }
    }
}
