//! The wire contract shared by the shim, the widget and the shop plugins.
//!
//! # Layout
//! - [`status`]: the domain's [`InvoiceStatus`] and the rules for moving between statuses.
//! - [`invoice`]: [`InvoiceId`], the shop's [`CreateInvoiceRequest`] and the public [`InvoiceView`]
//!   that the widget renders.
//! - [`error`]: the JSON error body every endpoint answers with, and its [`ErrorCode`]s.
//!
//! Serde only, no IO: this crate compiles to `wasm32-unknown-unknown` for the widget. Amounts are
//! decimal strings on the wire; the shim parses them into decimals at its edge.

pub mod error;
pub mod invoice;
pub mod status;

pub use error::{ApiError, ErrorBody, ErrorCode};
pub use invoice::{
    ChooseCoinRequest, CoinList, CoinOption, CreateInvoiceRequest, InvoiceId, InvoiceView,
};
pub use status::InvoiceStatus;
