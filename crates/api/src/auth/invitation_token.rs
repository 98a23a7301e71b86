//! Invitation tokens: 32 random bytes, shown once to the inviter; the database
//! keeps only their SHA-256, so reading it gives no way to join an organisation.

use sha2::{Digest, Sha256};

use crate::webhooks::signing::hex;

/// Prefix of generated tokens, so one pasted in the wrong place is recognisable.
pub const PREFIX: &str = "inv_";

/// A new token and its hash.
pub fn generate() -> (String, String) {
    let bytes: [u8; 32] = rand::random();
    let token = format!("{PREFIX}{}", hex(&bytes));
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
        let (first, first_hash) = generate();
        let (second, _) = generate();
        assert_ne!(first, second);
        assert!(first.starts_with(PREFIX) && first.len() == PREFIX.len() + 64);
        assert_eq!(sha256(&first), first_hash);
        assert_ne!(sha256(&second), first_hash);
        // The well-known digest of "abc".
        assert_eq!(
            sha256("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
