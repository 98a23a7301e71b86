//! Signatures: `Techex-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over
//! `"{t}.{body}"` with the endpoint's secret. Receivers recompute it and compare in
//! constant time; the timestamp bounds replays. [`verify`] is the reference check.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

pub const SIGNATURE_HEADER: &str = "Techex-Signature";
pub const EVENT_HEADER: &str = "Techex-Event";
pub const DELIVERY_HEADER: &str = "Techex-Delivery";
/// Prefix of generated secrets.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new endpoint secret: 32 random bytes, hex, after [`SECRET_PREFIX`].
pub fn generate_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{SECRET_PREFIX}{}", hex(&bytes))
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length: this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `Techex-Signature` header value for `body` sent at `timestamp`.
pub fn signature_header(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex(&digest))
}

/// Why a signature was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the signature header is malformed")]
    Malformed,
    #[error("the signature timestamp is outside the tolerance")]
    Stale,
    #[error("no signature matches the body")]
    Mismatch,
}

/// Checks a `Techex-Signature` header against `body`, accepting timestamps within
/// `tolerance` of the current time.
pub fn verify(
    secret: &str,
    header: &str,
    body: &[u8],
    tolerance: Duration,
) -> Result<(), VerifyError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    verify_at(secret, header, body, tolerance, now)
}

/// [`verify`] at a given time (Unix seconds).
pub fn verify_at(
    secret: &str,
    header: &str,
    body: &[u8],
    tolerance: Duration,
    now: i64,
) -> Result<(), VerifyError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => {
                timestamp = Some(value.parse::<i64>().map_err(|_| VerifyError::Malformed)?);
            }
            Some(("v1", value)) => signatures.push(unhex(value).ok_or(VerifyError::Malformed)?),
            // Other schemes may be added later; ignore what we do not know.
            Some(_) => {}
            None => return Err(VerifyError::Malformed),
        }
    }
    let timestamp = timestamp.ok_or(VerifyError::Malformed)?;
    if signatures.is_empty() {
        return Err(VerifyError::Malformed);
    }
    let tolerance = i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX);
    if now.abs_diff(timestamp) > tolerance.unsigned_abs() {
        return Err(VerifyError::Stale);
    }
    let expected = mac(secret, timestamp, body);
    if signatures
        .iter()
        .any(|candidate| expected.clone().verify_slice(candidate).is_ok())
    {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test";
    const BODY: &[u8] = br#"{"event":"listing.approved"}"#;
    const FIVE_MIN: Duration = Duration::from_secs(300);

    #[test]
    fn matches_an_independent_hmac_sha256() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        // Split as "{t}.{body}" with t = "what do ya want for nothing?" is impossible,
        // so check the construction through the header against a direct computation.
        let mut direct = <HmacSha256 as Mac>::new_from_slice(b"Jefe").unwrap();
        direct.update(b"what do ya want for nothing?");
        assert_eq!(
            hex(&direct.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let header = signature_header(SECRET, 1_700_000_000, BODY);
        let mut direct = <HmacSha256 as Mac>::new_from_slice(SECRET.as_bytes()).unwrap();
        direct.update(b"1700000000.");
        direct.update(BODY);
        assert_eq!(
            header,
            format!("t=1700000000,v1={}", hex(&direct.finalize().into_bytes()))
        );
    }

    #[test]
    fn verifies_its_own_signatures_and_refuses_tampering() {
        let t = 1_700_000_000;
        let header = signature_header(SECRET, t, BODY);
        assert_eq!(verify_at(SECRET, &header, BODY, FIVE_MIN, t + 10), Ok(()));
        assert_eq!(
            verify_at(SECRET, &header, b"{}", FIVE_MIN, t),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_at("whsec_other", &header, BODY, FIVE_MIN, t),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_at(SECRET, &header, BODY, FIVE_MIN, t + 301),
            Err(VerifyError::Stale)
        );
        // A timestamp changed to look fresh breaks the signature.
        let moved = header.replace("t=1700000000", "t=1700000400");
        assert_eq!(
            verify_at(SECRET, &moved, BODY, FIVE_MIN, t + 400),
            Err(VerifyError::Mismatch)
        );
        for bad in ["", "t=1", "v1=00", "t=x,v1=00", "t=1,v1=0g", "garbage"] {
            assert_eq!(
                verify_at(SECRET, bad, BODY, FIVE_MIN, 1),
                Err(VerifyError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn secrets_are_random_and_long() {
        let (a, b) = (generate_secret(), generate_secret());
        assert_ne!(a, b);
        assert!(a.starts_with(SECRET_PREFIX));
        assert_eq!(a.len(), SECRET_PREFIX.len() + 64);
    }
}
