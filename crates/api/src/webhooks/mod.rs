//! Webhooks: outbound delivery of an organisation's events to the HTTPS endpoints it
//! registered. [`address`] decides which addresses may be reached, [`signing`] signs
//! each delivery (and shows receivers how to check it), [`worker`] drains the
//! delivery queue kept in the database. docs/webhooks.md describes the contract.

pub mod address;
pub mod signing;
pub mod worker;

/// Most endpoints one organisation may register.
pub const MAX_PER_ORGANISATION: i64 = 10;

/// Installs rustls's `ring` crypto provider for the process (reqwest is built with
/// `rustls-no-provider`, see docs/webhooks.md). Safe to call more than once.
pub fn install_tls_provider() {
    // Err means a provider is already installed: that one serves.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
