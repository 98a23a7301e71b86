//! One-time tokens (invitations, password resets): 32 random bytes, shown once to
//! whoever issued them; the database keeps only their SHA-256, so reading it gives
//! no way into an account or an organisation.

use sha2::{Digest, Sha256};

use crate::webhooks::signing::hex;

/// Prefixes of generated tokens, so one pasted in the wrong place is recognisable.
pub const INVITATION_PREFIX: &str = "inv_";
pub const RESET_PREFIX: &str = "pwr_";

/// A new token after `prefix`, and its hash.
pub fn generate(prefix: &str) -> (String, String) {
    let bytes: [u8; 32] = rand::random();
    let token = format!("{prefix}{}", hex(&bytes));
    let hash = sha256(&token);
    (token, hash)
}

/// The SHA-256 (hex) under which a token is stored.
pub fn sha256(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_differ_and_hash_to_what_is_stored() {
        let (first, first_hash) = generate(INVITATION_PREFIX);
        let (second, _) = generate(INVITATION_PREFIX);
        assert_ne!(first, second);
        assert!(first.starts_with("inv_") && first.len() == 4 + 64);
        assert_eq!(sha256(&first), first_hash);
        assert_ne!(sha256(&second), first_hash);
        // The well-known digest of "abc".
        assert_eq!(
            sha256("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
