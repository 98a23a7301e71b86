//! Expiry: published listings past their valid-until date become `expired`. Reads
//! already hide them from the public the day after; this sweep records the
//! transition (history, audit) so owners and statistics see it.

use std::time::Duration;

use chrono::Utc;
use techex_domain::listing::Command;
use techex_store::repo::listings;

use crate::problem::ApiError;
use crate::state::AppState;
use crate::workflow::{self, Transition};

/// Listings expired per sweep at most; the next sweep takes the rest.
const BATCH: i64 = 500;

/// Expires every due listing; returns how many were expired.
pub fn sweep(state: &AppState) -> Result<usize, ApiError> {
    let today = Utc::now().date_naive();
    let due = state
        .store
        .run(|conn| listings::due_for_expiry(conn, today, BATCH))?;
    let mut expired = 0;
    for id in due {
        let transition = Transition {
            listing: id,
            actor: None,
            command: Command::Expire(today),
            expected_version: None,
            note: Some("valid-until date passed".into()),
            client_ip: None,
        };
        let mut conn = state.store.conn()?;
        match workflow::perform(&mut conn, transition, listings::now()) {
            Ok(_) => expired += 1,
            // Changed meanwhile (archived, renewed): nothing to expire.
            Err(ApiError::Conflict(_)) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(expired)
}

/// Runs [`sweep`] every `interval` on a blocking thread, for as long as the server runs.
pub fn spawn(state: actix_web::web::Data<AppState>, interval: Duration) {
    actix_web::rt::spawn(async move {
        let mut ticker = actix_web::rt::time::interval(interval);
        loop {
            ticker.tick().await;
            let state = state.clone();
            match actix_web::web::block(move || sweep(&state)).await {
                Ok(Ok(0)) => {}
                Ok(Ok(count)) => tracing::info!(count, "expired listings"),
                Ok(Err(error)) => tracing::error!(%error, "expiry sweep failed"),
                Err(error) => tracing::error!(%error, "expiry sweep did not run"),
            }
        }
    });
}
