//! argon2id password hashing at OWASP parameters, off the HTTP workers and bounded
//! in concurrency: each hash takes 19 MiB and ~35 ms of a core, so an unbounded burst
//! of logins would exhaust memory and starve every other request.

use std::sync::Arc;

use actix_web::web;
use anyhow::Context;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use argon2::{Algorithm, Argon2, Params, Version};
use techex_domain::Password;
use techex_domain::password::MAX_PASSWORD_CHARS;
use tokio::sync::Semaphore;

use crate::problem::ApiError;

/// OWASP Password Storage Cheat Sheet: argon2id, m=19456 KiB, t=2, p=1.
fn argon2() -> anyhow::Result<Argon2<'static>> {
    let params =
        Params::new(19_456, 2, 1, None).map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes to a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`). Blocking.
pub fn hash_blocking(password: &Password) -> anyhow::Result<String> {
    let hash = argon2()?
        .hash_password(password.expose().as_bytes())
        .map_err(|e| anyhow::anyhow!("argon2 hash: {e}"))?;
    Ok(hash.to_string())
}

/// Whether `candidate` matches the PHC string. Blocking. A malformed stored hash
/// never matches.
pub fn verify_blocking(phc: &str, candidate: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    argon2()
        .map(|argon2| {
            argon2
                .verify_password(candidate.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// Verified against when the e-mail is unknown, so an unknown account costs as
    /// much time as a wrong password and timing does not reveal which it was.
    dummy_hash: Arc<str>,
}

impl Passwords {
    pub fn new(max_concurrent: usize) -> anyhow::Result<Self> {
        let dummy = Password::parse("techex-dummy-password").map_err(anyhow::Error::msg)?;
        let dummy_hash = hash_blocking(&dummy).context("computing the dummy password hash")?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy_hash: dummy_hash.into(),
        })
    }

    pub async fn hash(&self, password: Password) -> Result<String, ApiError> {
        let _permit = self.permits.acquire().await.map_err(ApiError::internal)?;
        web::block(move || hash_blocking(&password))
            .await?
            .map_err(ApiError::Internal)
    }

    /// Verifies a password as typed. One longer than any valid password cannot
    /// match: it is checked against the dummy hash instead, so it costs the same
    /// time and cannot make argon2 work harder.
    pub async fn verify_typed(
        &self,
        stored: Option<String>,
        typed: String,
    ) -> Result<bool, ApiError> {
        if typed.chars().count() > MAX_PASSWORD_CHARS {
            self.verify(None, String::new()).await?;
            return Ok(false);
        }
        self.verify(stored, typed).await
    }

    /// Verifies against `stored`, or against the dummy hash when there is none.
    pub async fn verify(
        &self,
        stored: Option<String>,
        candidate: String,
    ) -> Result<bool, ApiError> {
        let _permit = self.permits.acquire().await.map_err(ApiError::internal)?;
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| self.dummy_hash.to_string());
        let matches = web::block(move || verify_blocking(&phc, &candidate)).await?;
        Ok(known && matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_with_owasp_parameters_and_verifies() {
        let password = Password::parse("correct horse battery").unwrap();
        let phc = hash_blocking(&password).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_blocking(&phc, "correct horse battery"));
        assert!(!verify_blocking(&phc, "correct horse battery!"));
        assert!(!verify_blocking("not a phc string", "anything"));
        let again = hash_blocking(&password).unwrap();
        assert_ne!(phc, again, "each hash has its own salt");
    }
}
