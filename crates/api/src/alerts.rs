//! Match alerts: when a listing is published (first approval, an approved edit, a
//! renewal), the organisations whose published listings of the other kind match it
//! with at least `notifications.match_alert_min_score` are told — once per pair of
//! listings, with the explanation.
//!
//! The job tails the listing outbox with its own cursor, never ahead of the search
//! index, so every listing a new one could match is already searchable. Replicas
//! sharing a database advance the cursor by compare-and-set in the transaction that
//! writes the alerts: only one of them alerts for a given stretch of events.

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use techex_domain::event::EventKind;
use techex_domain::listing::{Listing, ListingKind};
use techex_domain::{ListingId, OrganisationId};
use techex_matching::IndexedListing;
use techex_matching::score::{ScoredMatch, find_matches};
use techex_store::repo::{listings, notifications};
use techex_store::store::write_transaction;

use crate::events::{self, Event};
use crate::problem::ApiError;
use crate::state::AppState;

/// The job's cursor name in `job_cursors`.
pub const JOB: &str = "match_alerts";
/// Outbox events handled per pass.
const BATCH: i64 = 200;

/// Handles the outbox events the index has applied and the job has not; returns
/// how many alerts were sent.
pub fn run_once(state: &AppState) -> Result<usize, ApiError> {
    let from = state.store.run(|conn| notifications::cursor(conn, JOB))?;
    let indexed = state.index.searchable_seq();
    if indexed <= from {
        return Ok(0);
    }
    let events: Vec<(i64, ListingId)> = state
        .store
        .run(|conn| listings::events_after(conn, from, BATCH))?
        .into_iter()
        .filter(|(seq, _)| *seq <= indexed)
        .collect();
    let Some(&(last, _)) = events.last() else {
        return Ok(0);
    };
    // Each listing's newest change in this pass: events are in sequence order.
    let news: HashMap<ListingId, i64> = events.iter().map(|&(seq, id)| (id, seq)).collect();
    let ids: Vec<ListingId> = news.keys().copied().collect();
    let current = state.store.run(|conn| listings::get_many(conn, &ids))?;
    let today = Utc::now().date_naive();
    let settings = &state.settings.notifications;
    // Matching reads only the index, so it runs before the transaction opens.
    let mut found: Vec<(&Listing, i64, ScoredMatch)> = Vec::new();
    for listing in current.iter().filter(|l| l.is_public(today)) {
        let source = IndexedListing::from(listing);
        let matches = find_matches(
            &state.index,
            &source,
            &state.settings.matching,
            today,
            settings.match_alert_limit,
        )
        .map_err(ApiError::internal)?;
        let seq = news.get(&listing.id).copied().unwrap_or(last);
        found.extend(
            matches
                .into_iter()
                .filter(|m| m.score >= settings.match_alert_min_score)
                .map(|m| (listing, seq, m)),
        );
    }
    // The pair's news is whichever listing changed last: a candidate changed after
    // the source (later in this pass, or after it) is left to its own pass, where
    // the source will be the candidate and its organisation the one told.
    let candidates: Vec<ListingId> = found
        .iter()
        .filter_map(|(_, _, m)| m.listing.id.parse().ok())
        .collect();
    let latest = state
        .store
        .run(|conn| listings::latest_event_seqs(conn, &candidates))?;
    found.retain(|(_, seq, m)| {
        m.listing
            .id
            .parse::<ListingId>()
            .is_ok_and(|id| latest.get(&id).is_none_or(|newest| newest < seq))
    });
    let now = listings::now();
    let mut conn = state.store.conn()?;
    write_transaction(&mut conn, |conn| {
        if !notifications::advance_cursor(conn, JOB, from, last)? {
            // Another replica took these events; nothing was written.
            return Ok(0);
        }
        let mut sent = 0;
        for (listing, _, m) in &found {
            let Some(event) = alert(listing, m) else {
                continue;
            };
            let (offer, need) = match listing.kind {
                ListingKind::Offer => (listing.id.to_string(), m.listing.id.clone()),
                ListingKind::Need => (m.listing.id.clone(), listing.id.to_string()),
            };
            if notifications::claim_notice(conn, &format!("match:{offer}:{need}"), now)? {
                events::publish(conn, event, now)?;
                sent += 1;
            }
        }
        Ok::<_, ApiError>(sent)
    })
}

/// The alert to the organisation owning the matched listing.
fn alert(listing: &Listing, m: &ScoredMatch) -> Option<Event> {
    let organisation: OrganisationId = m.listing.owner.parse().ok()?;
    let noun = match listing.kind {
        ListingKind::Offer => "technology offer",
        ListingKind::Need => "technology need",
    };
    Some(Event {
        kind: EventKind::MatchFound,
        organisation,
        title: format!(
            "A new {noun} matches your listing \"{}\": {}",
            m.listing.title, listing.content.title
        ),
        object_type: "listing",
        object_id: listing.id.to_string(),
        data: json!({
            "listing": {
                "id": listing.id,
                "kind": listing.kind,
                "title": listing.content.title,
                "summary": listing.content.summary,
            },
            "your_listing": {
                "id": m.listing.id,
                "kind": m.listing.kind,
                "title": m.listing.title,
            },
            "score": m.score,
            "explanation": m.explanation,
        }),
    })
}

/// Runs [`run_once`] every `interval` on its own thread for the life of the process.
pub fn spawn(state: actix_web::web::Data<AppState>, interval: Duration) {
    let spawned = std::thread::Builder::new()
        .name("match-alerts".into())
        .spawn(move || {
            loop {
                match run_once(&state) {
                    Ok(0) => {}
                    Ok(count) => tracing::info!(count, "sent match alerts"),
                    Err(error) => tracing::error!(%error, "match alerts failed; retrying"),
                }
                std::thread::sleep(interval);
            }
        });
    if let Err(error) = spawned {
        tracing::error!(%error, "could not start the match alert thread");
    }
}
