//! Expiry: published listings past their valid-until date become `expired`. Reads
//! already hide them from the public the day after; this sweep records the
//! transition (history, audit) so owners and statistics see it.

use std::time::Duration;

use chrono::Utc;
use techex_domain::event::EventKind;
use techex_domain::listing::Command;
use techex_domain::listing::Listing;
use techex_store::repo::{listings, notifications};
use techex_store::store::write_transaction;

use crate::events::{self, Event};
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

/// Warns the owners of published listings that expire within
/// `notifications.expiry_warning_days`, once per valid-until date (a renewed
/// listing is warned again before its new date); returns how many were warned.
pub fn warn_expiring(state: &AppState) -> Result<usize, ApiError> {
    let today = Utc::now().date_naive();
    let horizon =
        today + chrono::Days::new(u64::from(state.settings.notifications.expiry_warning_days));
    let key = |l: &Listing| format!("expiring:{}:{}", l.id, l.content.valid_until);
    let now = listings::now();
    let mut warned = 0;
    let mut after = None;
    loop {
        let page = state
            .store
            .run(|conn| listings::expiring_between(conn, today, horizon, after, BATCH))?;
        let Some(last) = page.last() else {
            return Ok(warned);
        };
        after = Some((last.content.valid_until, last.id));
        let keys: Vec<String> = page.iter().map(key).collect();
        let sent = state
            .store
            .run(|conn| notifications::sent_among(conn, &keys))?;
        for listing in page.iter().filter(|l| !sent.contains(&key(l))) {
            let event = expiring_event(listing, today);
            let key = key(listing);
            let mut conn = state.store.conn()?;
            let told = write_transaction(&mut conn, |conn| {
                // Claimed in the same transaction: told once even with several replicas.
                if !notifications::claim_notice(conn, &key, now)? {
                    return Ok::<_, ApiError>(false);
                }
                events::publish(conn, event, now)?;
                Ok(true)
            })?;
            warned += usize::from(told);
        }
    }
}

fn expiring_event(listing: &Listing, today: chrono::NaiveDate) -> Event {
    Event {
        kind: EventKind::ListingExpiring,
        organisation: listing.owner,
        title: format!(
            "Your listing expires on {}: {}",
            listing.content.valid_until, listing.content.title
        ),
        object_type: "listing",
        object_id: listing.id.to_string(),
        data: serde_json::json!({
            "listing_id": listing.id,
            "kind": listing.kind,
            "title": listing.content.title,
            "valid_until": listing.content.valid_until,
            "days_left": (listing.content.valid_until - today).num_days(),
        }),
    }
}

/// Runs [`sweep`] and [`warn_expiring`] every `interval` on a blocking thread, for as long as the server runs.
pub fn spawn(state: actix_web::web::Data<AppState>, interval: Duration) {
    actix_web::rt::spawn(async move {
        let mut ticker = actix_web::rt::time::interval(interval);
        loop {
            ticker.tick().await;
            let state = state.clone();
            // Independent: a failing sweep must not stop the warnings, nor the reverse.
            match actix_web::web::block(move || {
                let expired = sweep(&state);
                let warned = warn_expiring(&state);
                Ok::<_, ApiError>(expired? + warned?)
            })
            .await
            {
                Ok(Ok(0)) => {}
                Ok(Ok(count)) => tracing::info!(count, "expired listings and expiry warnings"),
                Ok(Err(error)) => tracing::error!(%error, "expiry sweep failed"),
                Err(error) => tracing::error!(%error, "expiry sweep did not run"),
            }
        }
    });
}
