//! Telling an organisation what happened: one call puts the event in its members'
//! inboxes and queues it for its webhooks, inside the caller's transaction, so a
//! committed change is never without its notice (and a rolled-back one never has one).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use techex_domain::event::EventKind;
use techex_domain::{OrganisationId, UserId};
use techex_store::DbConnection;
use techex_store::StoreError;
use techex_store::repo::notifications::{self, NewNotification};
use techex_store::repo::webhooks;
use uuid::Uuid;

/// An event for one organisation.
pub struct Event {
    pub kind: EventKind,
    /// Who is told.
    pub organisation: OrganisationId,
    /// The member who caused it, who needs no notice of their own act.
    pub except: Option<UserId>,
    /// One line for the inbox.
    pub title: String,
    pub object_type: &'static str,
    pub object_id: String,
    /// The details (ids, reasons, the match explanation …).
    pub data: Value,
}

pub fn publish(conn: &mut DbConnection, event: Event, now: DateTime<Utc>) -> Result<(), StoreError> {
    notifications::notify_organisation(
        conn,
        event.organisation,
        event.except,
        &NewNotification {
            event: event.kind,
            title: &event.title,
            detail: &event.data,
            object_type: event.object_type,
            object_id: &event.object_id,
        },
        now,
    )?;
    let payload = json!({
        "id": Uuid::now_v7(),
        "event": event.kind.as_str(),
        "created_at": now,
        "organisation_id": event.organisation,
        "title": event.title,
        "object": {"type": event.object_type, "id": event.object_id},
        "data": event.data,
    });
    webhooks::enqueue_for(conn, event.organisation, event.kind, &payload.to_string(), now)?;
    Ok(())
}
