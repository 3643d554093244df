//! The console's users, sessions and wrong passwords.

use super::{Store, StoreError};
use crate::domain::ShopId;
use sqlx::Row;

/// What a console user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleRole {
    /// Every shop, and the operator's pages (shops, the inbox, the outbox).
    Operator,
    /// One shop: everything, refunds and payouts included.
    Owner,
    /// One shop: sees everything, re-checks and redelivers; no refunds or payouts.
    Staff,
}

impl ConsoleRole {
    /// Its name in the store and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::Owner => "owner",
            Self::Staff => "staff",
        }
    }

    /// The role named `text`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "operator" => Some(Self::Operator),
            "owner" => Some(Self::Owner),
            "staff" => Some(Self::Staff),
            _ => None,
        }
    }

    /// Whether the role may move money (refunds, payouts).
    pub fn moves_money(self) -> bool {
        self != Self::Staff
    }
}

/// A console user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleUser {
    /// `usr_` and hex.
    pub id: String,
    /// How they sign in, lower case.
    pub email: String,
    /// Argon2id, as a PHC string.
    pub password_hash: String,
    /// Their shop; `None` for an operator.
    pub shop_id: Option<ShopId>,
    /// What they may do.
    pub role: ConsoleRole,
    /// When the operator made them.
    pub created_at: i64,
}

const USER_COLUMNS: &str = "u.id, u.email, u.password_hash, u.shop_id, u.role, u.created_at";

macro_rules! user_row {
    ($row:expr) => {{
        let row = $row;
        let role: String = row.try_get("role")?;
        Ok::<_, StoreError>(ConsoleUser {
            id: row.try_get("id")?,
            email: row.try_get("email")?,
            password_hash: row.try_get("password_hash")?,
            shop_id: row.try_get::<Option<String>, _>("shop_id")?.map(ShopId),
            role: ConsoleRole::parse(&role)
                .ok_or_else(|| StoreError::Corrupt(format!("console role {role:?}")))?,
            created_at: row.try_get("created_at")?,
        })
    }};
}

impl Store {
    /// Adds a console user; `false` if the email has one already.
    pub async fn add_console_user(&self, user: &ConsoleUser) -> Result<bool, StoreError> {
        let added = with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO console_users (id, email, password_hash, shop_id, role, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (email) DO NOTHING",
            )
            .bind(&user.id)
            .bind(&user.email)
            .bind(&user.password_hash)
            .bind(user.shop_id.as_ref().map(|s| s.0.as_str()))
            .bind(user.role.as_str())
            .bind(user.created_at)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(added == 1)
    }

    /// The user who signs in as `email` (lower case).
    pub async fn console_user(&self, email: &str) -> Result<Option<ConsoleUser>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS} FROM console_users u WHERE u.email = $1"
            )))
            .bind(email)
            .fetch_optional(pool)
            .await?;
            row.map(|row| user_row!(&row)).transpose()
        })
    }

    /// Every console user, by email.
    pub async fn console_users(&self) -> Result<Vec<ConsoleUser>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS} FROM console_users u ORDER BY u.email"
            )))
            .fetch_all(pool)
            .await?;
            rows.iter().map(|row| user_row!(row)).collect()
        })
    }

    /// Removes user `email` and signs them out everywhere; `false` if there is none.
    pub async fn remove_console_user(&self, email: &str) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "DELETE FROM console_sessions WHERE user_id IN \
                 (SELECT id FROM console_users WHERE email = $1)",
            )
            .bind(email)
            .execute(&mut *tx)
            .await?;
            let removed = sqlx::query("DELETE FROM console_users WHERE email = $1")
                .bind(email)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok(removed == 1)
        })
    }

    /// Sets user `email`'s password and signs them out everywhere; `false` if there is none.
    pub async fn set_console_password(&self, email: &str, hash: &str) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query("UPDATE console_users SET password_hash = $2 WHERE email = $1")
                .bind(email)
                .bind(hash)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query(
                "DELETE FROM console_sessions WHERE user_id IN \
                 (SELECT id FROM console_users WHERE email = $1)",
            )
            .bind(email)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(changed == 1)
        })
    }

    /// Starts a session for `user` until `expires_at`.
    pub async fn insert_console_session(
        &self,
        token_hash: &str,
        user: &str,
        csrf: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO console_sessions (token_hash, user_id, csrf, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(token_hash)
            .bind(user)
            .bind(csrf)
            .bind(now)
            .bind(expires_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The user of the session whose token hashes to `token_hash`, and its CSRF token, unless it
    /// expired by `now`.
    pub async fn console_session(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<(ConsoleUser, String)>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS}, s.csrf FROM console_sessions s \
                 JOIN console_users u ON u.id = s.user_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2"
            )))
            .bind(token_hash)
            .bind(now)
            .fetch_optional(pool)
            .await?;
            row.map(|row| Ok((user_row!(&row)?, row.try_get("csrf")?)))
                .transpose()
        })
    }

    /// Ends one session (`Some(token hash)`), or every session of user `user`; also forgets the
    /// sessions that expired by `now`.
    pub async fn end_console_sessions(
        &self,
        token_hash: Option<&str>,
        user: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "DELETE FROM console_sessions WHERE (user_id = $1 AND ($2 IS NULL OR token_hash = $2)) \
                 OR expires_at <= $3",
            )
            .bind(user)
            .bind(token_hash)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Records a wrong password for `email` at `now`, forgets those older than a day, and returns
    /// the times of those since `since`, oldest first.
    pub async fn sign_in_failures(
        &self,
        email: &str,
        record: bool,
        now: i64,
        since: i64,
    ) -> Result<Vec<i64>, StoreError> {
        with_pool!(self, pool => {
            if record {
                let mut tx = pool.begin().await?;
                sqlx::query("INSERT INTO console_sign_in_failures (email, at) VALUES ($1, $2)")
                    .bind(email)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM console_sign_in_failures WHERE at < $1")
                    .bind(now - 86_400)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            let rows = sqlx::query(
                "SELECT at FROM console_sign_in_failures WHERE email = $1 AND at >= $2 ORDER BY at",
            )
            .bind(email)
            .bind(since)
            .fetch_all(pool)
            .await?;
            rows.iter().map(|row| Ok(row.try_get("at")?)).collect()
        })
    }
}
