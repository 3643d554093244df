//! The widget's state and its pure reducer.

use shim_api::InvoiceView;
use std::rc::Rc;
use yew::Reducible;

/// Why the invoice could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// The shim does not know the invoice: stop asking.
    NotFound,
    /// No answer (offline, DNS, CORS, shim down): keep retrying.
    Network,
    /// The shim answered with an error status: keep retrying.
    Server(u16),
    /// The answer was not an invoice.
    Malformed,
}

impl LoadError {
    /// Whether asking again can help.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, LoadError::NotFound)
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A fresh view arrived.
    Loaded(Rc<InvoiceView>),
    /// A request failed.
    Failed(LoadError),
    /// One second passed.
    Tick,
    /// The live connection is (back) up: whatever failed before no longer applies.
    Connected,
}

/// Everything the widget shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct State {
    /// The latest view, if any arrived.
    pub view: Option<Rc<InvoiceView>>,
    /// Seconds until expiry, counted down locally between fetches.
    pub seconds_left: u64,
    /// The last request's failure, cleared by the next success.
    pub error: Option<LoadError>,
}

impl State {
    /// The pure transition.
    pub fn next(&self, action: Action) -> State {
        match action {
            Action::Loaded(view) => {
                // An older version (a slow response overtaken by a newer one) is dropped.
                if let Some(current) = &self.view
                    && view.version < current.version
                {
                    return State {
                        error: None,
                        ..self.clone()
                    };
                }
                State {
                    seconds_left: view.seconds_left,
                    view: Some(view),
                    error: None,
                }
            }
            Action::Failed(error) => State {
                error: Some(error),
                ..self.clone()
            },
            Action::Connected => State {
                error: None,
                ..self.clone()
            },
            Action::Tick => {
                let running = self.view.as_ref().is_some_and(|v| !v.is_final);
                let seconds_left = if running {
                    self.seconds_left.saturating_sub(1)
                } else {
                    self.seconds_left
                };
                State {
                    seconds_left,
                    ..self.clone()
                }
            }
        }
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        Rc::new(self.next(action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shim_api::{InvoiceId, InvoiceStatus};

    fn view(version: u64, status: InvoiceStatus, seconds_left: u64) -> InvoiceView {
        InvoiceView {
            id: InvoiceId::parse("inv_1").unwrap(),
            status,
            is_final: status.is_final(),
            amount: "15.00".into(),
            currency: "USD".into(),
            payer_amount: Some("15.000000".into()),
            payer_currency: Some("USDT".into()),
            network: Some("tron".into()),
            address: Some("TAddr".into()),
            paid_amount: "0".into(),
            remaining_amount: Some("15.000000".into()),
            payment_uri: Some("TAddr".into()),
            expires_at: "2026-01-01T00:00:00Z".into(),
            seconds_left,
            url_return: None,
            url_success: None,
            version,
            can_change_coin: false,
        }
    }

    #[test]
    fn counts_down_until_final() {
        let s = State::default().next(Action::Loaded(Rc::new(view(1, InvoiceStatus::Pending, 2))));
        let s = s.next(Action::Tick).next(Action::Tick).next(Action::Tick);
        assert_eq!(s.seconds_left, 0);
        let paid = s.next(Action::Loaded(Rc::new(view(2, InvoiceStatus::Paid, 0))));
        assert_eq!(paid.next(Action::Tick).seconds_left, 0);
    }

    #[test]
    fn drops_stale_versions() {
        let s = State::default().next(Action::Loaded(Rc::new(view(3, InvoiceStatus::Paid, 0))));
        let s = s.next(Action::Loaded(Rc::new(view(
            2,
            InvoiceStatus::Pending,
            100,
        ))));
        assert_eq!(s.view.unwrap().status, InvoiceStatus::Paid);
    }

    #[test]
    fn failures_keep_the_last_view() {
        let s = State::default().next(Action::Loaded(Rc::new(view(1, InvoiceStatus::Pending, 50))));
        let s = s.next(Action::Failed(LoadError::Network));
        assert_eq!(s.error, Some(LoadError::Network));
        assert!(s.view.is_some());
        let s = s.next(Action::Loaded(Rc::new(view(1, InvoiceStatus::Pending, 49))));
        assert_eq!((s.error.clone(), s.seconds_left), (None, 49));
        assert!(!LoadError::NotFound.is_retryable() && LoadError::Server(503).is_retryable());
        let reconnected = s
            .next(Action::Failed(LoadError::Network))
            .next(Action::Connected);
        assert_eq!(
            reconnected.error, None,
            "a reconnect with nothing new clears the banner"
        );
    }
}
