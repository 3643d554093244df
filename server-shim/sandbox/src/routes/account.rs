//! The balance and the exchange rates.
