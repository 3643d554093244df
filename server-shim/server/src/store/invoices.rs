//! Invoices, their payments at the gateway, their changes and their history.

use super::{Store, StoreError, decimal};
use crate::domain::{InvoiceRecord, NewInvoice, ShopId};
use rust_decimal::Decimal;
use shim_api::{InvoiceId, InvoiceStatus};
use sqlx::Row;

/// Turns a row of `invoices` into a record, for either backend.
macro_rules! invoice_row {
    ($row:expr) => {{
        let row = $row;
        InvoiceRecord {
            id: InvoiceId::parse(row.try_get::<&str, _>("id")?)
                .ok_or_else(|| StoreError::Corrupt("invoice id".into()))?,
            shop_id: ShopId(row.try_get("shop_id")?),
            order_id: row.try_get("order_id")?,
            amount: decimal(row.try_get("amount")?)?,
            currency: row.try_get("currency")?,
            network: row.try_get("network")?,
            to_currency: row.try_get("to_currency")?,
            lifetime: row.try_get::<Option<i64>, _>("lifetime")?.map(|l| l as u32),
            url_return: row.try_get("url_return")?,
            url_success: row.try_get("url_success")?,
            platform_order_ref: row.try_get("platform_order_ref")?,
            shop_order: row.try_get::<i32, _>("shop_order")? != 0,
            gateway_uuid: row.try_get("gateway_uuid")?,
            gateway_status: row.try_get("gateway_status")?,
            payer_amount: row
                .try_get::<Option<String>, _>("payer_amount")?
                .map(decimal)
                .transpose()?,
            payer_currency: row.try_get("payer_currency")?,
            address: row.try_get("address")?,
            txid: row.try_get("txid")?,
            paid_amount: decimal(row.try_get("paid_amount")?)?,
            status: InvoiceStatus::parse(row.try_get::<&str, _>("status")?)
                .ok_or_else(|| StoreError::Corrupt("invoice status".into()))?,
            review_reason: row.try_get("review_reason")?,
            checked_at: row.try_get("checked_at")?,
            version: row.try_get("version")?,
            expires_at: row.try_get("expires_at")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        }
    }};
}

/// What the gateway said about an invoice when it was created there.
#[derive(Debug, Clone)]
pub struct GatewayDetails {
    /// The gateway's payment uuid.
    pub uuid: String,
    /// The gateway's status.
    pub status: String,
    /// What the payer must send.
    pub payer_amount: Option<Decimal>,
    /// The payer's coin.
    pub payer_currency: Option<String>,
    /// The network.
    pub network: Option<String>,
    /// The deposit address.
    pub address: Option<String>,
    /// Expiry, unix seconds.
    pub expires_at: i64,
}

/// One of an invoice's payments at the gateway (one per coin the payer picked).
#[derive(Debug, Clone)]
pub struct InvoicePayment {
    /// The order id the gateway knows it by: the invoice id, then `<invoice id>-<n>`.
    pub gateway_order_id: String,
    /// What the gateway said when it was made.
    pub details: GatewayDetails,
}

/// What is written with an invoice change, in the same transaction.
#[derive(Debug, Default)]
pub struct WithChange<'a> {
    /// Queue a callback to the shop (the status changed).
    pub notify_shop: bool,
    /// The change's line in the invoice's history.
    pub event: Option<&'a InvoiceEvent>,
    /// The inbox webhook that brought the change, and what became of it.
    pub webhook: Option<(i64, String)>,
}

/// A change to apply to an invoice, guarded by the version it was computed from.
#[derive(Debug, Clone)]
pub struct InvoiceUpdate {
    /// The new status.
    pub status: InvoiceStatus,
    /// The gateway's status as reported.
    pub gateway_status: String,
    /// Everything received so far.
    pub paid_amount: Decimal,
    /// The payer's amount, if the gateway changed it (a coin was picked).
    pub payer_amount: Option<Decimal>,
    /// The deposit address, if the gateway set it.
    pub address: Option<String>,
    /// Why the invoice needs review, when `status` is `review`.
    pub review_reason: Option<String>,
    /// The payer's transaction id, if the gateway reported one.
    pub txid: Option<String>,
}

/// One line of an invoice's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceEvent {
    /// Where it came from (`ipn`, `create`, ...).
    pub source: String,
    /// The gateway's status at the time.
    pub gateway_status: Option<String>,
    /// What the shim did with it.
    pub outcome: String,
    /// The invoice version after the event.
    pub version: i64,
}

pub(super) const INVOICE_COLUMNS: &str = "id, shop_id, order_id, amount, currency, network, to_currency, lifetime, \
    url_return, url_success, platform_order_ref, shop_order, gateway_uuid, gateway_status, payer_amount, \
    payer_currency, address, txid, paid_amount, status, review_reason, checked_at, version, expires_at, \
    created_at, updated_at";

impl Store {
    /// Inserts a new invoice unless the shop already has one for that order id. Returns the
    /// invoice stored for the order, and whether this call created it.
    pub async fn insert_invoice(
        &self,
        new: &NewInvoice,
        now: i64,
    ) -> Result<(InvoiceRecord, bool), StoreError> {
        let inserted = with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO invoices (id, shop_id, order_id, amount, currency, network, to_currency, \
                 lifetime, url_return, url_success, platform_order_ref, status, version, created_at, updated_at, shop_order) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, $13, $14) \
                 ON CONFLICT (shop_id, order_id) DO NOTHING",
            )
            .bind(new.id.as_str())
            .bind(&new.shop_id.0)
            .bind(&new.order_id)
            .bind(new.amount.to_string())
            .bind(&new.currency)
            .bind(&new.network)
            .bind(&new.to_currency)
            .bind(new.lifetime.map(i64::from))
            .bind(&new.url_return)
            .bind(&new.url_success)
            .bind(&new.platform_order_ref)
            .bind(InvoiceStatus::Pending.as_str())
            .bind(now)
            .bind(i32::from(new.shop_order))
            .execute(pool)
            .await?
            .rows_affected()
                == 1
        });
        let record = self
            .invoice_by_order(&new.shop_id, &new.order_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("invoice vanished after insert".into()))?;
        Ok((record, inserted))
    }

    /// The shop's invoice for `order_id`, if there is one.
    pub async fn invoice_by_order(
        &self,
        shop: &ShopId,
        order_id: &str,
    ) -> Result<Option<InvoiceRecord>, StoreError> {
        with_pool!(self, pool => {
            let sql = format!("SELECT {INVOICE_COLUMNS} FROM invoices WHERE shop_id = $1 AND order_id = $2");
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&shop.0).bind(order_id).fetch_optional(pool).await?;
            row.map(|row| Ok(invoice_row!(&row))).transpose()
        })
    }

    /// The invoice with id `id`.
    pub async fn invoice(&self, id: &InvoiceId) -> Result<Option<InvoiceRecord>, StoreError> {
        with_pool!(self, pool => {
            let sql = format!("SELECT {INVOICE_COLUMNS} FROM invoices WHERE id = $1");
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.as_str()).fetch_optional(pool).await?;
            row.map(|row| Ok(invoice_row!(&row))).transpose()
        })
    }

    /// Records the gateway's invoice on ours; the first change the payer can see (version 1).
    pub async fn attach_gateway(
        &self,
        id: &InvoiceId,
        gw: &GatewayDetails,
        now: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "UPDATE invoices SET gateway_uuid = $2, gateway_status = $3, payer_amount = $4, payer_currency = $5, \
                 network = COALESCE($6, network), address = $7, expires_at = $8, version = version + 1, updated_at = $9 \
                 WHERE id = $1 AND gateway_uuid IS NULL",
            )
            .bind(id.as_str())
            .bind(&gw.uuid)
            .bind(&gw.status)
            .bind(gw.payer_amount.map(|a| a.to_string()))
            .bind(&gw.payer_currency)
            .bind(&gw.network)
            .bind(&gw.address)
            .bind(gw.expires_at)
            .bind(now)
            .execute(pool)
            .await?;
        });
        self.insert_payment(
            id,
            &InvoicePayment {
                gateway_order_id: id.as_str().to_owned(),
                details: gw.clone(),
            },
            now,
        )
        .await
    }

    pub(super) async fn insert_payment(
        &self,
        id: &InvoiceId,
        payment: &InvoicePayment,
        now: i64,
    ) -> Result<(), StoreError> {
        let gw = &payment.details;
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO invoice_payments (gateway_uuid, invoice_id, gateway_order_id, gateway_status, \
                 payer_amount, payer_currency, network, address, expires_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (gateway_uuid) DO NOTHING",
            )
            .bind(&gw.uuid)
            .bind(id.as_str())
            .bind(&payment.gateway_order_id)
            .bind(&gw.status)
            .bind(gw.payer_amount.map(|a| a.to_string()))
            .bind(&gw.payer_currency)
            .bind(&gw.network)
            .bind(&gw.address)
            .bind(gw.expires_at)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The invoice's payments at the gateway, oldest first.
    pub async fn payments(&self, id: &InvoiceId) -> Result<Vec<InvoicePayment>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT gateway_uuid, gateway_order_id, gateway_status, payer_amount, payer_currency, \
                 network, address, expires_at FROM invoice_payments WHERE invoice_id = $1 \
                 ORDER BY created_at, gateway_order_id",
            )
            .bind(id.as_str())
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(InvoicePayment {
                        gateway_order_id: row.try_get("gateway_order_id")?,
                        details: GatewayDetails {
                            uuid: row.try_get("gateway_uuid")?,
                            status: row.try_get("gateway_status")?,
                            payer_amount: row
                                .try_get::<Option<String>, _>("payer_amount")?
                                .map(decimal)
                                .transpose()?,
                            payer_currency: row.try_get("payer_currency")?,
                            network: row.try_get("network")?,
                            address: row.try_get("address")?,
                            expires_at: row.try_get("expires_at")?,
                        },
                    })
                })
                .collect()
        })
    }

    /// Makes `payment` the invoice's current one (recording it first if it is new), if the
    /// invoice is still at `expected_version`; `false` if someone changed it since.
    pub async fn switch_payment(
        &self,
        id: &InvoiceId,
        expected_version: i64,
        payment: &InvoicePayment,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.insert_payment(id, payment, now).await?;
        let gw = &payment.details;
        let affected = with_pool!(self, pool => {
            sqlx::query(
                "UPDATE invoices SET gateway_uuid = $3, gateway_status = $4, payer_amount = $5, \
                 payer_currency = $6, network = $7, address = $8, expires_at = $9, \
                 version = version + 1, updated_at = $10 WHERE id = $1 AND version = $2",
            )
            .bind(id.as_str())
            .bind(expected_version)
            .bind(&gw.uuid)
            .bind(&gw.status)
            .bind(gw.payer_amount.map(|a| a.to_string()))
            .bind(&gw.payer_currency)
            .bind(&gw.network)
            .bind(&gw.address)
            .bind(gw.expires_at)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(affected == 1)
    }

    /// Deletes an invoice the gateway never accepted (no gateway uuid, no history).
    pub async fn delete_unattached(&self, id: &InvoiceId) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("DELETE FROM invoices WHERE id = $1 AND gateway_uuid IS NULL")
                .bind(id.as_str())
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Applies `update` if the invoice is still at `expected_version`; returns whether it was.
    /// With `notify_shop`, the same transaction queues a callback to the shop (when it has a
    /// callback URL), so a change is never applied without its notice.
    pub async fn apply_update(
        &self,
        id: &InvoiceId,
        expected_version: i64,
        update: &InvoiceUpdate,
        now: i64,
        with: WithChange<'_>,
    ) -> Result<bool, StoreError> {
        let WithChange {
            notify_shop,
            event,
            webhook: inbox,
        } = with;
        let affected = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let affected = sqlx::query(
                "UPDATE invoices SET status = $3, gateway_status = $4, paid_amount = $5, \
                 payer_amount = COALESCE($6, payer_amount), address = COALESCE($7, address), \
                 review_reason = $9, txid = COALESCE($10, txid), version = version + 1, updated_at = $8, \
                 paid_at = CASE WHEN $3 IN ('paid', 'overpaid') THEN COALESCE(paid_at, $8) ELSE paid_at END \
                 WHERE id = $1 AND version = $2",
            )
            .bind(id.as_str())
            .bind(expected_version)
            .bind(update.status.as_str())
            .bind(&update.gateway_status)
            .bind(update.paid_amount.to_string())
            .bind(update.payer_amount.map(|a| a.to_string()))
            .bind(&update.address)
            .bind(now)
            .bind(&update.review_reason)
            .bind(&update.txid)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if affected == 1 && notify_shop {
                sqlx::query(
                    "INSERT INTO outbox (shop_id, invoice_id, version, status, next_attempt_at, created_at) \
                     SELECT i.shop_id, i.id, i.version, 'pending', $2, $2 FROM invoices i \
                     JOIN shops s ON s.id = i.shop_id WHERE i.id = $1 \
                     AND (s.callback_url IS NOT NULL OR s.platform_config IS NOT NULL)",
                )
                .bind(id.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            // Every transaction the gateway names is kept for the receipt, not only the last.
            if let Some(txid) = update.txid.as_deref().filter(|t| affected == 1 && !t.is_empty()) {
                sqlx::query(
                    "INSERT INTO invoice_transactions (invoice_id, txid, seen_at) VALUES ($1, $2, $3) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(id.as_str())
                .bind(txid)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            if let Some(event) = event.filter(|_| affected == 1) {
                sqlx::query(
                    "INSERT INTO invoice_events (invoice_id, source, gateway_status, outcome, version, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id.as_str())
                .bind(&event.source)
                .bind(&event.gateway_status)
                .bind(&event.outcome)
                .bind(event.version)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            // The webhook that brought the change is done in the same breath.
            if let Some((webhook, outcome)) = inbox.as_ref().filter(|_| affected == 1) {
                mark_webhook_done!(tx, webhook, outcome, now);
            }
            tx.commit().await?;
            affected
        });
        Ok(affected == 1)
    }

    /// Invoices the gateway may still move, least recently checked first, at most `limit`.
    pub async fn open_invoices(&self, limit: i64) -> Result<Vec<InvoiceRecord>, StoreError> {
        with_pool!(self, pool => {
            let sql = format!(
                "SELECT {INVOICE_COLUMNS} FROM invoices \
                 WHERE status IN ('pending', 'confirming', 'partially_paid', 'review', 'refunding') \
                 AND gateway_uuid IS NOT NULL ORDER BY COALESCE(checked_at, 0), id LIMIT $1"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(pool).await?;
            rows.iter().map(|row| Ok(invoice_row!(row))).collect()
        })
    }

    /// Claims the reconciler's check of an invoice at `now`, if nobody checked it since
    /// `seen_checked_at` (what the claimer read). Several processes may pick the same invoice; only
    /// one wins the claim, so the gateway is asked once.
    pub async fn claim_check(
        &self,
        id: &InvoiceId,
        seen_checked_at: Option<i64>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let affected = with_pool!(self, pool => {
            sqlx::query(
                "UPDATE invoices SET checked_at = $2 WHERE id = $1 AND COALESCE(checked_at, -1) = $3",
            )
            .bind(id.as_str())
            .bind(now)
            .bind(seen_checked_at.unwrap_or(-1))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(affected == 1)
    }

    /// Appends a line to the invoice's history.
    pub async fn record_event(
        &self,
        id: &InvoiceId,
        event: &InvoiceEvent,
        now: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO invoice_events (invoice_id, source, gateway_status, outcome, version, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id.as_str())
            .bind(&event.source)
            .bind(&event.gateway_status)
            .bind(&event.outcome)
            .bind(event.version)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The invoice's history, oldest first.
    pub async fn events(&self, id: &InvoiceId) -> Result<Vec<InvoiceEvent>, StoreError> {
        let history = self.history(id).await?;
        Ok(history.into_iter().map(|(event, _)| event).collect())
    }

    /// A page of shop `shop`'s invoices, newest first: those `filter` lets through, after the
    /// cursor `after` (the last of the previous page), at most `limit`.
    ///
    /// Only the conditions the filter has are in the query, so that each is served by its index:
    /// the list walks `(shop_id, created_at, id)`; a search starts from the invoices the id, the
    /// order id, an address, a transaction id or a payment uuid name (each by its index), and an
    /// amount, which is compared as a number over the shop's invoices (`15` finds `15.00`).
    pub async fn list_invoices(
        &self,
        shop: &ShopId,
        filter: &InvoiceFilter,
        after: Option<(i64, &str)>,
        limit: i64,
    ) -> Result<Vec<InvoiceRecord>, StoreError> {
        let search_amount = filter
            .search
            .as_deref()
            .and_then(|q| Decimal::from_str_exact(q).ok())
            .and_then(|amount| rust_decimal::prelude::ToPrimitive::to_f64(&amount));
        with_pool!(self, pool => {
            let mut query = sqlx::QueryBuilder::new(format!("SELECT {INVOICE_COLUMNS} FROM "));
            if let Some(q) = &filter.search {
                // The invoices the search names, each found by its index, then joined: the list
                // is walked only over those (SQLite keeps the order of a CROSS JOIN).
                query.push("(SELECT id AS hit FROM invoices WHERE id = ").push_bind(q);
                query.push(" UNION SELECT id FROM invoices WHERE shop_id = ").push_bind(&shop.0);
                query.push(" AND order_id = ").push_bind(q);
                query.push(" UNION SELECT id FROM invoices WHERE address = ").push_bind(q);
                query.push(" UNION SELECT id FROM invoices WHERE txid = ").push_bind(q);
                query
                    .push(" UNION SELECT invoice_id FROM invoice_payments WHERE address = ")
                    .push_bind(q);
                query
                    .push(" UNION SELECT invoice_id FROM invoice_payments WHERE gateway_uuid = ")
                    .push_bind(q);
                if let Some(amount) = search_amount {
                    query.push(" UNION SELECT id FROM invoices WHERE shop_id = ").push_bind(&shop.0);
                    query.push(" AND (CAST(amount AS DOUBLE PRECISION) = ").push_bind(amount);
                    query
                        .push(" OR CAST(payer_amount AS DOUBLE PRECISION) = ")
                        .push_bind(amount);
                    query.push(")");
                }
                query.push(") AS hits CROSS JOIN invoices WHERE invoices.id = hits.hit AND ");
            } else {
                query.push("invoices WHERE ");
            }
            query.push("shop_id = ").push_bind(&shop.0);
            if let Some(status) = filter.status {
                query.push(" AND status = ").push_bind(status.as_str());
            }
            if let Some(from) = filter.created_from {
                query.push(" AND created_at >= ").push_bind(from);
            }
            if let Some(before) = filter.created_before {
                query.push(" AND created_at < ").push_bind(before);
            }
            if let Some(coin) = &filter.coin {
                query.push(" AND payer_currency = ").push_bind(coin);
            }
            if let Some((created_at, id)) = after {
                query.push(" AND (created_at < ").push_bind(created_at);
                query.push(" OR (created_at = ").push_bind(created_at);
                query.push(" AND id < ").push_bind(id);
                query.push("))");
            }
            query.push(" ORDER BY created_at DESC, id DESC LIMIT ").push_bind(limit);
            let rows = query.build().fetch_all(pool).await?;
            rows.iter().map(|row| Ok(invoice_row!(row))).collect()
        })
    }

    /// Shop `shop`'s invoices made since `since` (unix seconds) that ended paid or overpaid: each
    /// one's price currency, amount and creation time, for the console's takings.
    pub async fn takings(
        &self,
        shop: &ShopId,
        since: i64,
    ) -> Result<Vec<(String, Decimal, i64)>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT currency, amount, created_at FROM invoices WHERE shop_id = $1 \
                 AND created_at >= $2 AND status IN ('paid', 'overpaid')",
            )
            .bind(&shop.0)
            .bind(since)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok((
                        row.try_get("currency")?,
                        decimal(row.try_get("amount")?)?,
                        row.try_get("created_at")?,
                    ))
                })
                .collect()
        })
    }

    /// The invoice's history, oldest first, each line with its time (unix seconds).
    pub async fn history(&self, id: &InvoiceId) -> Result<Vec<(InvoiceEvent, i64)>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT source, gateway_status, outcome, version, created_at FROM invoice_events \
                 WHERE invoice_id = $1 ORDER BY id",
            )
            .bind(id.as_str())
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    let event = InvoiceEvent {
                        source: row.try_get("source")?,
                        gateway_status: row.try_get("gateway_status")?,
                        outcome: row.try_get("outcome")?,
                        version: row.try_get("version")?,
                    };
                    Ok((event, row.try_get("created_at")?))
                })
                .collect()
        })
    }

    /// What a receipt of invoice `id` shows beside the invoice: when it was paid (first reached
    /// `paid` or `overpaid`), and every transaction the gateway named for it, in the order seen.
    pub async fn receipt_facts(
        &self,
        id: &InvoiceId,
    ) -> Result<(Option<i64>, Vec<String>), StoreError> {
        with_pool!(self, pool => {
            let paid_at: Option<Option<i64>> =
                sqlx::query_scalar("SELECT paid_at FROM invoices WHERE id = $1")
                    .bind(id.as_str())
                    .fetch_optional(pool)
                    .await?;
            let txids: Vec<String> = sqlx::query_scalar(
                "SELECT txid FROM invoice_transactions WHERE invoice_id = $1 ORDER BY seen_at, txid",
            )
            .bind(id.as_str())
            .fetch_all(pool)
            .await?;
            Ok((paid_at.flatten(), txids))
        })
    }

    /// What each of shop `shop`'s invoices made in `[from, before)` brought to the merchant's
    /// balance (the gateway's `merchant_amount` of its final payments), by invoice id and coin.
    pub async fn credits(
        &self,
        shop: &ShopId,
        from: Option<i64>,
        before: Option<i64>,
    ) -> Result<Vec<(String, String, Decimal)>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                // Every payment of an invoice, its first too, is in `invoice_payments`.
                "SELECT i.id AS invoice_id, c.currency, c.amount FROM invoices i \
                 JOIN invoice_payments p ON p.invoice_id = i.id \
                 JOIN shop_credits c ON c.gateway_uuid = p.gateway_uuid \
                 WHERE i.shop_id = $1 AND ($2 IS NULL OR i.created_at >= $2) \
                 AND ($3 IS NULL OR i.created_at < $3)",
            )
            .bind(&shop.0)
            .bind(from)
            .bind(before)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok((
                        row.try_get("invoice_id")?,
                        row.try_get("currency")?,
                        decimal(row.try_get("amount")?)?,
                    ))
                })
                .collect()
        })
    }
}

/// Which of a shop's invoices a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvoiceFilter {
    /// Only those in this status.
    pub status: Option<InvoiceStatus>,
    /// Only those made at or after this time (unix seconds).
    pub created_from: Option<i64>,
    /// Only those made before this time (unix seconds).
    pub created_before: Option<i64>,
    /// Only those paid in this coin (upper case).
    pub coin: Option<String>,
    /// Only those this finds exactly: the invoice id, the shop's order id, a payment address or
    /// the gateway's payment uuid, a transaction id, or an amount (in the price currency or the
    /// coin).
    pub search: Option<String>,
}
