//! Keeps the search index in step with the database by tailing the outbox
//! (`listing_events`). The index records the last sequence it applied in its commit
//! payload, so a crash between a database commit and an index commit loses nothing:
//! the next pass starts from that sequence. Applying an event means reading the
//! listing's *current* state, so replaying an event twice is harmless.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use techex_domain::ListingId;
use techex_matching::{IndexedListing, ListingIndex};
use techex_store::Store;
use techex_store::repo::listings;

use crate::problem::ApiError;

/// Events applied per index commit.
const BATCH: i64 = 1000;

/// Applies every outbox event not yet in the index; returns how many were applied.
pub fn catch_up(store: &Store, index: &ListingIndex) -> Result<usize, ApiError> {
    let mut applied = 0;
    loop {
        let after = index.last_seq().map_err(ApiError::internal)?;
        let events = store.run(|conn| listings::events_after(conn, after, BATCH))?;
        let Some(&(last_seq, _)) = events.last() else {
            return Ok(applied);
        };
        let ids: Vec<ListingId> = events
            .iter()
            .map(|(_, id)| *id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let current = store.run(|conn| listings::get_many(conn, &ids))?;
        let today = Utc::now().date_naive();
        for id in &ids {
            match current.iter().find(|l| l.id == *id) {
                Some(listing) if listing.is_public(today) => {
                    index
                        .upsert(&IndexedListing::from(listing))
                        .map_err(ApiError::internal)?;
                }
                _ => index.delete(&id.to_string()),
            }
        }
        index.commit(last_seq).map_err(ApiError::internal)?;
        applied += events.len();
    }
}

/// Runs [`catch_up`] every `interval` on its own thread for the life of the process;
/// sets `caught_up` after the first pass that applies everything.
pub fn spawn(
    store: Store,
    index: Arc<ListingIndex>,
    caught_up: Arc<AtomicBool>,
    interval: Duration,
) {
    let spawned = std::thread::Builder::new()
        .name("indexer".into())
        .spawn(move || {
            loop {
                match catch_up(&store, &index) {
                    Ok(count) => {
                        if count > 0 {
                            tracing::debug!(count, "indexed listing events");
                        }
                        caught_up.store(true, Ordering::Release);
                    }
                    Err(error) => tracing::error!(%error, "indexing failed; retrying"),
                }
                std::thread::sleep(interval);
            }
        });
    if let Err(error) = spawned {
        tracing::error!(%error, "could not start the indexer thread");
    }
}

/// Outbox events not yet applied to the index.
pub fn lag(store: &Store, index: &ListingIndex) -> Result<i64, ApiError> {
    let newest = store.run(listings::last_event_seq)?;
    let applied = index.last_seq().map_err(ApiError::internal)?;
    Ok((newest - applied).max(0))
}

/// Rebuilds the index from the database into a fresh directory beside `dir`, then
/// swaps it in. Events that arrive meanwhile are replayed by the next catch-up (the
/// new index starts from the outbox position read before the scan). Run it while
/// the server is stopped: a running server keeps using the index it opened.
pub fn rebuild(
    store: &Store,
    dir: &std::path::Path,
    mut progress: impl FnMut(usize, usize),
) -> Result<usize, ApiError> {
    let fresh = dir.with_extension("rebuild");
    if fresh.exists() {
        std::fs::remove_dir_all(&fresh).map_err(ApiError::internal)?;
    }
    let index = ListingIndex::open_or_create(&fresh).map_err(ApiError::internal)?;
    let start_seq = store.run(listings::last_event_seq)?;
    let today = Utc::now().date_naive();
    let total = store
        .run(|conn| {
            listings::list_public(
                conn,
                &Default::default(),
                today,
                techex_store::PageRequest::default(),
            )
        })?
        .total
        .max(0) as usize;
    let mut done = 0;
    let mut after = None;
    loop {
        let batch = store.run(|conn| listings::published_after(conn, after, today, BATCH))?;
        let Some(last) = batch.last() else { break };
        after = Some(last.id);
        for listing in &batch {
            index
                .upsert(&IndexedListing::from(listing))
                .map_err(ApiError::internal)?;
            done += 1;
        }
        progress(done, total.max(done));
    }
    index.commit(start_seq).map_err(ApiError::internal)?;
    index.merge_segments().map_err(ApiError::internal)?;
    drop(index);
    let old = dir.with_extension("old");
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(ApiError::internal)?;
    }
    if dir.exists() {
        std::fs::rename(dir, &old).map_err(ApiError::internal)?;
    }
    std::fs::rename(&fresh, dir).map_err(ApiError::internal)?;
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(ApiError::internal)?;
    }
    Ok(done)
}
