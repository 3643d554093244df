//! Formatting for people: amounts without noise, countdowns, network names, wallet links and
//! addresses (shared with the shim's own pages through `shim_api`). Words are in [`crate::i18n`].

pub use shim_api::locale::{amount, countdown};
pub use shim_api::network::{address_edges, network_name, wallet_link};
