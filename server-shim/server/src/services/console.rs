//! The console's accounts: users the operator makes, their passwords (Argon2id), their sessions
//! (a random token in a cookie, only its hash stored) and the slowing down of password guessing.

use super::{Console, ServiceError, now};
use crate::domain::random_bytes;
use crate::store::{ConsoleRole, ConsoleUser, Store, StoreError};
use argon2::{Argon2, PasswordHasher as _, PasswordVerifier as _};
use sha2::Digest as _;

/// How long a session lasts from sign-in.
pub const SESSION_LIFETIME: i64 = 12 * 3600;

/// Wrong passwords for one email within [`GUESS_WINDOW`] before sign-in is refused for a while.
pub const GUESSES: usize = 5;

/// The window, seconds, over which wrong passwords are counted.
pub const GUESS_WINDOW: i64 = 15 * 60;

/// The shortest password the console takes.
pub const MIN_PASSWORD: usize = 12;

/// A signed-in console user.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    /// Who.
    pub user: ConsoleUser,
    /// The token their forms carry.
    pub csrf: String,
    /// The hash of the cookie's token, to end this session.
    token_hash: String,
}

/// How a sign-in ended.
#[derive(Debug)]
pub enum SignIn {
    /// Signed in: the cookie's token (shown to the browser only).
    Welcome(String),
    /// Wrong email or password (the answer does not say which).
    Wrong,
    /// Too many wrong passwords lately: try again after this many seconds.
    SlowDown(i64),
}

/// Why a user could not be added.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// The input is not right; what to fix.
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for UserError {
    fn from(e: StoreError) -> Self {
        UserError::Service(e.into())
    }
}

/// `text` as a console email: trimmed, lower case, one `@` with something on each side.
pub fn email(text: &str) -> Result<String, String> {
    let email = text.trim().to_lowercase();
    let shaped = email.len() <= 254
        && email.split('@').count() == 2
        && email.split('@').all(|part| !part.is_empty())
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if shaped {
        Ok(email)
    } else {
        Err(format!("{:?} is not an email address", text.trim()))
    }
}

/// The Argon2id hash of `password` (default parameters: 19 MiB, two passes), as a PHC string.
fn hash_password(password: &str) -> Result<String, UserError> {
    let salt: [u8; 16] = random_bytes().map_err(ServiceError::from)?;
    Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| UserError::Invalid(format!("the password could not be hashed: {e}")))
}

/// A hash no password matches quickly: what an unknown email is checked against, so that the
/// answer takes as long as for a known one.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password never used").unwrap_or_default())
}

fn token_hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

fn random_token() -> Result<String, ServiceError> {
    Ok(hex::encode(random_bytes::<32>()?))
}

/// The operator's management of console users, over the store alone (the CLI has no gateway).
#[derive(Debug, Clone, Copy)]
pub struct Accounts<'a>(pub &'a Store);

impl Accounts<'_> {
    /// Adds a user who signs in as `email` with `password`: for shop `shop` (by name) as `role`,
    /// or an operator (no shop). Returns the user.
    pub async fn add_user(
        &self,
        email_text: &str,
        password: &str,
        shop: Option<&str>,
        role: ConsoleRole,
    ) -> Result<ConsoleUser, UserError> {
        let email = email(email_text).map_err(UserError::Invalid)?;
        check_password(password)?;
        let shop_id = match (shop, role) {
            (None, ConsoleRole::Operator) => None,
            (Some(name), ConsoleRole::Owner | ConsoleRole::Staff) => Some(
                self.0
                    .list_shops()
                    .await?
                    .into_iter()
                    .find(|shop| shop.name == name)
                    .ok_or_else(|| {
                        UserError::Invalid(format!(
                            "there is no shop {name:?}; `server-shim shops list` shows them"
                        ))
                    })?
                    .id,
            ),
            (Some(_), ConsoleRole::Operator) => {
                return Err(UserError::Invalid(
                    "an operator sees every shop: give --operator without --shop".into(),
                ));
            }
            (None, _) => {
                return Err(UserError::Invalid(
                    "a shop's user needs --shop NAME (or --operator for every shop)".into(),
                ));
            }
        };
        let password = password.to_owned();
        let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| UserError::Invalid(format!("hashing failed: {e}")))??;
        let user = ConsoleUser {
            id: format!(
                "usr_{}",
                hex::encode(random_bytes::<12>().map_err(ServiceError::from)?)
            ),
            email,
            password_hash,
            shop_id,
            role,
            created_at: now(),
        };
        if !self.0.add_console_user(&user).await? {
            return Err(UserError::Invalid(format!(
                "{} has a console account already; `server-shim users password` changes its password",
                user.email
            )));
        }
        Ok(user)
    }

    /// Sets `email`'s password, signing them out everywhere; `false` if there is no such user.
    pub async fn set_password(&self, email_text: &str, password: &str) -> Result<bool, UserError> {
        let email = email(email_text).map_err(UserError::Invalid)?;
        check_password(password)?;
        let password = password.to_owned();
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| UserError::Invalid(format!("hashing failed: {e}")))??;
        Ok(self.0.set_console_password(&email, &hash).await?)
    }

    /// Every console user.
    pub async fn users(&self) -> Result<Vec<ConsoleUser>, StoreError> {
        self.0.console_users().await
    }

    /// Removes user `email`; `false` if there is none.
    pub async fn remove_user(&self, email_text: &str) -> Result<bool, UserError> {
        let email = email(email_text).map_err(UserError::Invalid)?;
        Ok(self.0.remove_console_user(&email).await?)
    }
}

impl Console {
    /// Checks `password` for `email`. After [`GUESSES`] wrong ones within [`GUESS_WINDOW`], the
    /// password is not even checked until the window has moved on.
    pub async fn sign_in(&self, email_text: &str, password: &str) -> Result<SignIn, ServiceError> {
        let Ok(email) = email(email_text) else {
            return Ok(SignIn::Wrong);
        };
        let now = now();
        let recent = self
            .store
            .sign_in_failures(&email, false, now, now - GUESS_WINDOW)
            .await?;
        if recent.len() >= GUESSES {
            let oldest = recent[recent.len() - GUESSES];
            return Ok(SignIn::SlowDown((oldest + GUESS_WINDOW - now).max(1)));
        }
        let user = self.store.console_user(&email).await?;
        let hash = user
            .as_ref()
            .map_or_else(|| decoy_hash().to_owned(), |u| u.password_hash.clone());
        let password = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || {
            Argon2::default()
                .verify_password(password.as_bytes(), hash.as_str())
                .is_ok()
        })
        .await
        .unwrap_or(false);
        let Some(user) = user.filter(|_| matches) else {
            self.store
                .sign_in_failures(&email, true, now, now - GUESS_WINDOW)
                .await?;
            tracing::warn!(email = %email, "console sign-in refused: wrong email or password");
            return Ok(SignIn::Wrong);
        };
        let token = random_token()?;
        let csrf = random_token()?;
        self.store
            .insert_console_session(
                &token_hash(&token),
                &user.id,
                &csrf,
                now,
                now + SESSION_LIFETIME,
            )
            .await?;
        tracing::info!(email = %user.email, "console sign-in");
        Ok(SignIn::Welcome(token))
    }

    /// The session a cookie's token names, unless it ended or expired.
    pub async fn session(&self, token: &str) -> Result<Option<ConsoleSession>, StoreError> {
        let token_hash = token_hash(token);
        Ok(self
            .store
            .console_session(&token_hash, now())
            .await?
            .map(|(user, csrf)| ConsoleSession {
                user,
                csrf,
                token_hash,
            }))
    }

    /// Ends `session`, or (`everywhere`) every session of its user.
    pub async fn sign_out(
        &self,
        session: &ConsoleSession,
        everywhere: bool,
    ) -> Result<(), StoreError> {
        let one = (!everywhere).then_some(session.token_hash.as_str());
        self.store
            .end_console_sessions(one, &session.user.id, now())
            .await
    }
}

fn check_password(password: &str) -> Result<(), UserError> {
    if password.chars().count() < MIN_PASSWORD || password.len() > 1024 {
        return Err(UserError::Invalid(format!(
            "the password must be {MIN_PASSWORD} to 1024 characters long"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lower_case_and_shaped() {
        assert_eq!(email(" Ann@Shop.Example ").unwrap(), "ann@shop.example");
        for bad in ["", "ann", "@shop", "ann@", "a@b@c", "an n@shop"] {
            assert!(email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_password_hash_verifies_only_its_password() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        let argon = Argon2::default();
        assert!(
            argon
                .verify_password(b"correct horse battery", hash.as_str())
                .is_ok()
        );
        assert!(
            argon
                .verify_password(b"correct horse batterY", hash.as_str())
                .is_err()
        );
        assert_ne!(
            hash,
            hash_password("correct horse battery").unwrap(),
            "salted"
        );
    }
}
