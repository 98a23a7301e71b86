//! Short-lived HS256 access tokens. The algorithm is pinned (a token claiming `none`
//! or RS256 is refused), and issuer, audience, expiry and issue time are checked.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use techex_domain::User;
use uuid::Uuid;

use crate::settings::AuthSettings;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub iat: u64,
    pub exp: u64,
    /// Unique per token, for log correlation.
    pub jti: String,
    /// The issue time in milliseconds, to tell a token from a revocation made in
    /// the same second (0 in tokens of earlier releases).
    #[serde(default)]
    pub iat_ms: u64,
}

impl Claims {
    /// When the token was issued, in milliseconds since the epoch.
    pub fn issued_at_ms(&self) -> u64 {
        if self.iat_ms > 0 {
            self.iat_ms
        } else {
            self.iat.saturating_mul(1000)
        }
    }
}

pub struct IssuedToken {
    pub token: String,
    pub expires_in: u64,
}

pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl_secs: u64,
    leeway_secs: u64,
}

impl TokenService {
    pub fn new(secret: &[u8], settings: &AuthSettings) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = settings.leeway_secs;
        validation.validate_exp = true;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            ttl_secs: settings.access_token_ttl_secs,
            leeway_secs: settings.leeway_secs,
        }
    }

    pub fn issue(&self, user: &User) -> anyhow::Result<IssuedToken> {
        let now_ms = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0);
        let now = now_ms / 1000;
        let claims = Claims {
            sub: user.id.to_string(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            exp: now + self.ttl_secs,
            jti: Uuid::new_v4().simple().to_string(),
            iat_ms: now_ms,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok(IssuedToken {
            token,
            expires_in: self.ttl_secs,
        })
    }

    /// The token's claims, or why it is refused (for the log, not the client).
    pub fn verify(&self, token: &str) -> Result<Claims, String> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| e.to_string())?;
        if data.claims.iat > now_secs() + self.leeway_secs {
            return Err("issued in the future".into());
        }
        Ok(data.claims)
    }
}

fn now_secs() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use techex_domain::{Email, OrganisationId, Role, UserId};

    use super::*;
    use crate::settings::{CliOverrides, Settings};

    fn service(secret: &[u8]) -> TokenService {
        let settings = Settings::load_from(&CliOverrides::default(), |_| None).unwrap();
        TokenService::new(secret, &settings.auth)
    }

    fn user() -> User {
        User {
            id: UserId::new(),
            email: Email::parse("a@b.vn").unwrap(),
            full_name: "A".into(),
            role: Role::Member,
            organisation_id: OrganisationId::new(),
            disabled: false,
            tokens_revoked_at: None,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn issued_tokens_verify_and_name_the_user() {
        let tokens = service(&[7; 32]);
        let user = user();
        let issued = tokens.issue(&user).unwrap();
        assert_eq!(issued.expires_in, 900);
        assert_eq!(
            tokens.verify(&issued.token).unwrap().sub,
            user.id.to_string()
        );
    }

    #[test]
    fn other_secrets_and_tampering_are_refused() {
        let issued = service(&[7; 32]).issue(&user()).unwrap();
        assert!(service(&[8; 32]).verify(&issued.token).is_err());
        // Change one character in the middle of the signature (the last one may carry
        // only padding bits, which a decoder can ignore).
        let mut bytes = issued.token.clone().into_bytes();
        let index = bytes.len() - 10;
        bytes[index] = if bytes[index] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(service(&[7; 32]).verify(&tampered).is_err());
    }
}
