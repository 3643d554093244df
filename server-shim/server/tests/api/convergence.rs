//! Convergence, as a property: whatever the gateway's history (a walk on its real status graph:
//! top-ups, holds, refunds after a payment), however its webhooks are duplicated, reordered and
//! raced by several appliers whose snapshots of the gateway go stale, an invoice applied through
//! the store's versioned update path ends where the gateway ended, with nothing applied again at
//! the end. On the way, the paid amount never drops and a final status is left only for a refund.

use proptest::prelude::*;
use rust_decimal::Decimal;
use server_shim::domain::{NewInvoice, Shop, ShopId};
use server_shim::services::decide;
use server_shim::store::{GatewayDetails, Store, WithChange};
use shim_api::{InvoiceId, InvoiceStatus};
use shim_gateway::{GatewayInvoice, PaymentStatus};

/// One state of the gateway's payment: its status and what was paid so far (USDT).
type State = (&'static str, i64);

/// A walk on the gateway's status graph from `check`, steered by `choices`, ended in a final
/// status the way the gateway ends it when the choices run out.
fn history(choices: &[u8]) -> Vec<State> {
    let mut walk = vec![("check", 0)];
    let mut next = choices.iter().copied();
    loop {
        let (status, paid) = *walk.last().unwrap_or(&("check", 0));
        let pick = next.next();
        let step = match (status, pick) {
            ("check", Some(c)) => match c % 5 {
                0 => ("cancel", 0),
                1 => ("fail", 0),
                2 => ("confirm_check", 5),
                3 => ("confirm_check", 16),
                _ => ("confirm_check", 15),
            },
            ("check", None) => ("cancel", 0),
            ("confirm_check" | "locked", c) => {
                let held = status == "confirm_check" && c.is_some_and(|c| c % 4 == 0);
                match paid {
                    _ if held => ("locked", paid),
                    p if p < 15 => ("wrong_amount_waiting", p),
                    15 => ("paid", 15),
                    p => ("paid_over", p),
                }
            }
            ("wrong_amount_waiting", Some(c)) => match c % 3 {
                0 => ("wrong_amount", paid),
                1 => ("confirm_check", 15),
                _ => ("confirm_check", 17),
            },
            ("wrong_amount_waiting", None) => ("wrong_amount", paid),
            ("paid" | "paid_over" | "wrong_amount", Some(c)) if c % 3 == 0 => {
                ("refund_process", paid)
            }
            ("refund_process", c) => {
                if c.is_some_and(|c| c % 2 == 0) {
                    ("refund_fail", paid)
                } else {
                    ("refund_paid", paid)
                }
            }
            _ => break,
        };
        walk.push(step);
        if walk.len() > 12 {
            break;
        }
    }
    walk
}

/// The gateway's payment in `state`, as `/v1/payment/info` would return it.
fn fetched((status, paid): State) -> GatewayInvoice {
    let status = PaymentStatus::parse(status);
    GatewayInvoice {
        uuid: "u-1".into(),
        order_id: "inv_1".into(),
        amount: Decimal::new(1500, 2),
        currency: "USD".into(),
        payer_amount: Some(Decimal::from(15)),
        payer_currency: Some("USDT".into()),
        payment_amount: (paid > 0).then(|| Decimal::from(paid)),
        merchant_amount: None,
        network: Some("tron".into()),
        address: Some("TAddr".into()),
        txid: None,
        is_final: matches!(
            status,
            PaymentStatus::Paid
                | PaymentStatus::PaidOver
                | PaymentStatus::WrongAmount
                | PaymentStatus::Cancel
                | PaymentStatus::Fail
                | PaymentStatus::RefundFail
                | PaymentStatus::RefundPaid
        ),
        status,
        url: String::new(),
        expires_at: 4_000_000_000,
        created_at: None,
        updated_at: None,
    }
}

/// What happens, in some order: the gateway moves on; an applier fetches the gateway's state
/// for a delivered webhook, reads the invoice and decides, then writes (on a version conflict it
/// reads again and decides again with the same, possibly stale, snapshot).
#[derive(Debug, Clone, Copy)]
enum Event {
    Advance,
    Fetch(usize),
    Read(usize),
    Write(usize),
}

/// A random order of the events of `deliveries` (the webhook index each delivers) and of the
/// gateway's `steps`, respecting cause and effect: a webhook is delivered once the gateway is in
/// its state; fetch before read before write.
fn schedule(steps: usize, deliveries: &[usize], dice: &[u32]) -> Vec<Event> {
    let mut gateway = 0;
    let mut progress = vec![0u8; deliveries.len()];
    let mut order = Vec::new();
    let mut roll = dice.iter().cycle();
    loop {
        let mut ready = Vec::new();
        if gateway < steps {
            ready.push(Event::Advance);
        }
        for (d, &at) in deliveries.iter().enumerate() {
            match progress[d] {
                0 if at <= gateway => ready.push(Event::Fetch(d)),
                1 => ready.push(Event::Read(d)),
                2 => ready.push(Event::Write(d)),
                _ => {}
            }
        }
        if ready.is_empty() {
            return order;
        }
        let pick = ready[*roll.next().unwrap_or(&0) as usize % ready.len()];
        match pick {
            Event::Advance => gateway += 1,
            Event::Fetch(d) | Event::Read(d) | Event::Write(d) => progress[d] += 1,
        }
        order.push(pick);
    }
}

async fn run(walk: &[State], deliveries: &[usize], order: &[Event]) -> Result<(), String> {
    let store = Store::connect("sqlite::memory:").await.unwrap();
    store.migrate().await.unwrap();
    let shop = Shop {
        id: ShopId("shop_p".into()),
        name: "p".into(),
    };
    store.create_shop(&shop, "hash-p", 0).await.unwrap();
    let id = InvoiceId::parse("inv_1").unwrap();
    let new = NewInvoice {
        id: id.clone(),
        shop_id: shop.id.clone(),
        order_id: "o-1".into(),
        amount: Decimal::new(1500, 2),
        currency: "USD".into(),
        network: Some("tron".into()),
        to_currency: Some("USDT".into()),
        lifetime: None,
        url_return: None,
        url_success: None,
        platform_order_ref: None,
        shop_order: true,
    };
    store.insert_invoice(&new, 1).await.unwrap();
    let details = GatewayDetails {
        uuid: "u-1".into(),
        status: "check".into(),
        payer_amount: Some(Decimal::from(15)),
        payer_currency: Some("USDT".into()),
        network: Some("tron".into()),
        address: Some("TAddr".into()),
        expires_at: 4_000_000_000,
    };
    store.attach_gateway(&id, &details, 1).await.unwrap();

    let mut gateway = 0;
    let mut snapshots = vec![None; deliveries.len()];
    let mut decided = vec![None; deliveries.len()];
    let mut paid_before = Decimal::ZERO;
    let mut final_status: Option<InvoiceStatus> = None;
    for (at, event) in order.iter().enumerate() {
        match *event {
            Event::Advance => gateway += 1,
            Event::Fetch(d) => snapshots[d] = Some(fetched(walk[gateway])),
            Event::Read(d) => {
                let current = store.invoice(&id).await.unwrap().unwrap();
                let snapshot = snapshots[d].as_ref().unwrap();
                decided[d] = Some((current.version, decide(&current, snapshot).1));
            }
            Event::Write(d) => {
                let snapshot = snapshots[d].as_ref().unwrap();
                let (mut version, mut update) = decided[d].take().unwrap();
                // As the shim does: a lost version race is decided again on a fresh read.
                while let Some(change) = &update {
                    let with = WithChange {
                        notify_shop: false,
                        ..Default::default()
                    };
                    if store
                        .apply_update(&id, version, change, 2, with)
                        .await
                        .unwrap()
                    {
                        break;
                    }
                    let current = store.invoice(&id).await.unwrap().unwrap();
                    version = current.version;
                    update = decide(&current, snapshot).1;
                }
                let now = store.invoice(&id).await.unwrap().unwrap();
                if now.paid_amount < paid_before {
                    return Err(format!("event {at}: the paid amount dropped"));
                }
                paid_before = now.paid_amount;
                // A final status is left only for a refund.
                let refund = matches!(
                    now.status,
                    InvoiceStatus::Refunding
                        | InvoiceStatus::Refunded
                        | InvoiceStatus::RefundFailed
                );
                if let Some(was) = final_status
                    && now.status != was
                    && !refund
                {
                    return Err(format!("event {at}: final {was} moved to {}", now.status));
                }
                if now.status.is_final() {
                    final_status = Some(now.status);
                }
            }
        }
    }
    let end = store.invoice(&id).await.unwrap().unwrap();
    let (last_status, last_paid) = walk[walk.len() - 1];
    let expected = InvoiceStatus::from(&PaymentStatus::parse(last_status));
    if end.status != expected {
        return Err(format!("ended {}, the gateway {last_status}", end.status));
    }
    if last_paid > 0 && end.paid_amount != Decimal::from(last_paid) {
        return Err(format!("paid {}, the gateway {last_paid}", end.paid_amount));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn any_history_and_any_delivery_converge_on_the_gateways_word(
        walk in proptest::collection::vec(any::<u8>(), 0..8),
        duplicates in proptest::collection::vec(0usize..3, 13),
        dice in proptest::collection::vec(any::<u32>(), 1..64),
    ) {
        let walk = history(&walk);
        // Each state's webhook, once or more.
        let deliveries: Vec<usize> = (0..walk.len())
            .flat_map(|i| std::iter::repeat_n(i, 1 + duplicates[i % duplicates.len()]))
            .collect();
        let order = schedule(walk.len() - 1, &deliveries, &dice);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let result = runtime.block_on(run(&walk, &deliveries, &order));
        prop_assert!(result.is_ok(), "{:?}\nhistory {walk:?}\norder {order:?}", result);
    }
}
