//! The wire contract shared by the shim, the widget and the shop plugins.
//!
//! # Layout
//! - [`status`]: the domain's [`InvoiceStatus`] and the rules for moving between statuses.
//! - [`invoice`]: [`InvoiceId`], the shop's [`CreateInvoiceRequest`], the public [`InvoiceView`]
//!   that the widget renders, and the shop's list ([`InvoicePage`]) and history of its invoices.
//! - [`wallet`]: static deposit addresses: [`WalletView`] and its [`DepositView`]s.
//! - [`payout`]: [`PayoutView`], a payout from the merchant's balance.
//! - [`callback`]: the bodies of the signed callbacks to shops ([`Callback`]: `invoice.updated`,
//!   `wallet.deposit`, `payout.updated`).
//! - [`network`]: networks as payers meet them: names, fee coins, block explorers.
//! - [`locale`]: the languages payers read ([`Locale`]): tags, direction, digits.
//! - [`error`]: the JSON error body every endpoint answers with, and its [`ErrorCode`]s.
//!
//! Serde only, no IO: this crate compiles to `wasm32-unknown-unknown` for the widget. Amounts are
//! decimal strings on the wire; the shim parses them into decimals at its edge.

pub mod callback;
pub mod error;
pub mod invoice;
pub mod locale;
pub mod network;
pub mod payout;
pub mod refund;
pub mod status;
pub mod wallet;

pub use callback::{Callback, InvoiceUpdated, PayoutUpdated, TestCallback, WalletDeposit};

pub use error::{ApiError, ErrorBody, ErrorCode};
pub use invoice::{
    ChooseCoinRequest, CoinList, CoinOption, CreateInvoiceRequest, HistoryEntry, InvoiceHistory,
    InvoiceId, InvoicePage, InvoiceSummary, InvoiceView, PaymentReport, ReportLine,
};
pub use locale::Locale;
pub use payout::PayoutView;
pub use refund::{RefundAnswer, RefundRequest, RefundView};
pub use status::InvoiceStatus;
pub use wallet::{DepositView, WalletView};
