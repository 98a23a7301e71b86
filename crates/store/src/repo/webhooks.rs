//! Webhook endpoints and their persistent delivery queue.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use techex_domain::OrganisationId;
use techex_domain::event::EventKind;
use uuid::Uuid;

use crate::connection::DbConnection;
use crate::error::StoreResult;
use crate::schema::{webhook_deliveries::dsl as d, webhooks::dsl as w};
use crate::time::to_db;

/// Queues a delivery of `payload` to every endpoint of `organisation` subscribed
/// to `event`, due at once. Call inside the transaction that makes the change, so
/// a committed change is never without its deliveries.
pub fn enqueue_for(
    conn: &mut DbConnection,
    organisation: OrganisationId,
    event: EventKind,
    payload: &str,
    now: DateTime<Utc>,
) -> StoreResult<usize> {
    let endpoints: Vec<(String, String)> = w::webhooks
        .filter(w::organisation_id.eq(organisation.to_string()))
        .select((w::id, w::events))
        .load(conn)?;
    let mut queued = 0;
    for (webhook, events) in endpoints {
        if !events.split_ascii_whitespace().any(|e| e == event.as_str()) {
            continue;
        }
        diesel::insert_into(d::webhook_deliveries)
            .values((
                d::id.eq(Uuid::now_v7().to_string()),
                d::webhook_id.eq(webhook),
                d::event.eq(event.as_str()),
                d::payload.eq(payload),
                d::state.eq("pending"),
                d::attempts.eq(0),
                d::next_attempt_at.eq(to_db(now)),
                d::created_at.eq(to_db(now)),
            ))
            .execute(conn)?;
        queued += 1;
    }
    Ok(queued)
}
