//! What every handler shares: the store, the auth services, metrics and settings.

use actix_web::{HttpRequest, web};
use techex_domain::NewAuditEntry;
use techex_store::repo::audit;
use techex_store::{DbConnection, Store};

use crate::auth::passwords::Passwords;
use crate::auth::throttle::LoginThrottle;
use crate::auth::tokens::TokenService;
use crate::metrics::Metrics;
use crate::problem::ApiError;
use crate::settings::Settings;

pub struct AppState {
    pub store: Store,
    /// The search index, derived from the store by [`crate::indexer`].
    pub index: std::sync::Arc<techex_matching::ListingIndex>,
    /// Set by the indexer once it has applied every change found at start: until
    /// then the index may lack listings, and the process is not ready.
    pub index_caught_up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    pub tokens: TokenService,
    pub passwords: Passwords,
    pub throttle: LoginThrottle,
    pub metrics: Metrics,
    pub settings: Settings,
}

impl AppState {
    /// Runs a unit of database work on a blocking thread with a pooled connection,
    /// never on the actix worker.
    pub async fn db<T, E, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        let store = self.store.clone();
        web::block(move || match store.conn() {
            Ok(mut conn) => work(&mut conn).map_err(Into::into),
            Err(error) => Err(ApiError::from(error)),
        })
        .await?
    }

    /// Appends to the audit log. A failure to audit is logged, not returned: it must
    /// not turn a refused request into a 500 or a completed one into an error.
    pub async fn audit(&self, entry: NewAuditEntry) {
        let action = entry.action;
        if let Err(error) = self.db(move |conn| audit::append(conn, &entry)).await {
            tracing::error!(%action, %error, "could not write the audit log");
        }
    }

    /// The client's address: the peer, or — behind a trusted proxy — the last
    /// `X-Forwarded-For` hop, the one that proxy appended (earlier hops are
    /// whatever the client chose to send).
    pub fn client_ip(&self, req: &HttpRequest) -> Option<String> {
        if self.settings.server.trust_proxy_headers
            && let Some(last) = req
                .headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .map(str::trim)
                .filter(|hop| !hop.is_empty())
        {
            return Some(strip_port(last).to_owned());
        }
        req.peer_addr().map(|addr| addr.ip().to_string())
    }
}

fn strip_port(address: &str) -> &str {
    match address.parse::<std::net::SocketAddr>() {
        Ok(_) => address
            .rsplit_once(':')
            .map_or(address, |(host, _)| host.trim_matches(['[', ']'])),
        Err(_) => address,
    }
}
