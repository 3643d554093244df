//! The widget's components, one per file.

mod checkout;
mod coin_picker;
mod copy_button;
mod deposit;
mod invoice_card;
mod qr;

pub use checkout::{Checkout, CheckoutProps, DEFAULT_REDIRECT_SECONDS, Theme};
pub use coin_picker::{CoinPicker, CoinPickerProps};
pub use copy_button::{CopyButton, CopyButtonProps};
pub use deposit::{Deposit, DepositProps};
pub use invoice_card::{InvoiceCard, InvoiceCardProps};
pub use qr::{Qr, QrProps};
