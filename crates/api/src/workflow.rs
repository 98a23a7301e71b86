//! Carrying out a listing action: one unit of database work that re-reads the
//! listing, lets the domain apply the action, saves it, and records the step in the
//! listing's history and the audit log — all in one transaction.

use chrono::{DateTime, Utc};
use techex_domain::event::EventKind;
use techex_domain::listing::quality::{self, Warning};
use techex_domain::listing::{
    Action, Command, HistoryEntry, Listing, ListingStatus, RejectReason, RevisionStatus, Step,
};
use techex_domain::{ListingId, NewAuditEntry, UserId};
use techex_store::DbConnection;
use techex_store::repo::{audit, listings};
use techex_store::store::write_transaction;

use crate::events::{self, Event};
use crate::problem::ApiError;

/// An action on a listing by `actor` (`None`: the system, e.g. expiry).
pub struct Transition {
    pub listing: ListingId,
    pub actor: Option<UserId>,
    pub command: Command,
    /// When set, the action applies only to this version (optimistic concurrency).
    pub expected_version: Option<i64>,
    /// A note kept in the history (approval note, archive reason …).
    pub note: Option<String>,
    pub client_ip: Option<String>,
}

/// Applies `transition`; returns the listing as saved, or `None` when it was deleted.
pub fn perform(
    conn: &mut DbConnection,
    transition: Transition,
    now: DateTime<Utc>,
) -> Result<Option<Listing>, ApiError> {
    write_transaction(conn, |conn| {
        let mut listing = listings::get(conn, transition.listing)?;
        if let Some(expected) = transition.expected_version
            && expected != listing.version
        {
            return Err(stale(listing.version));
        }
        if let Command::Edit(content) = &transition.command
            && let Some(reference) = &content.external_ref
            && reference.as_str() != listing.content.external_ref.as_deref().unwrap_or_default()
            && listings::find_by_external_ref(conn, listing.owner, reference)?
                .is_some_and(|other| other.id != listing.id)
        {
            return Err(ApiError::Conflict(
                "your organisation already has a listing with this external_ref".into(),
            ));
        }
        let from = listing.status;
        let read_version = listing.version;
        let action = transition.command.action();
        let (reason_code, message) = match &transition.command {
            Command::Reject(rejection) => {
                (Some(rejection.reason_code), Some(rejection.message.clone()))
            }
            _ => (None, transition.note.clone()),
        };
        let step = listing
            .perform(transition.command, now)
            .map_err(|illegal| ApiError::Conflict(illegal.to_string()))?;
        if step == Step::Unchanged {
            return Ok(Some(listing));
        }

        let mut entry = NewAuditEntry::new(action.into())
            .object("listing", listing.id)
            .client_ip(transition.client_ip.clone());
        entry.actor = transition.actor;
        entry.detail = Some(describe(
            step,
            from,
            listing.status,
            reason_code.map(|r| r.as_str()),
            message.as_deref(),
        ));
        if step == Step::Delete {
            // Review decisions are the exchange's record (and its statistics); a
            // draft that had one is kept, private to its owner.
            if listings::history(conn, listing.id)?
                .iter()
                .any(|h| matches!(h.action, Action::Approve | Action::Reject))
            {
                return Err(ApiError::Conflict(
                    "an operator has decided on this listing, and review decisions are kept \
                     for the exchange's record: it stays a draft that only your organisation sees"
                        .into(),
                ));
            }
            listings::delete(conn, listing.id)?;
            audit::append(conn, &entry)?;
            return Ok(None);
        }
        listings::save(conn, &listing, read_version)?;
        if let Some(event) = owner_event(&listing, action, step, reason_code, message.as_deref()) {
            events::publish(conn, event, now)?;
        }
        listings::append_history(
            conn,
            listing.id,
            &HistoryEntry {
                occurred_at: now,
                actor: transition.actor,
                action,
                from,
                to: listing.status,
                reason_code,
                message,
            },
        )?;
        audit::append(conn, &entry)?;
        Ok(Some(listing))
    })
}

/// Stores a new draft with its first history entry and audit record.
pub fn create(
    conn: &mut DbConnection,
    listing: &Listing,
    client_ip: Option<String>,
) -> Result<(), ApiError> {
    write_transaction(conn, |conn| {
        listings::insert(conn, listing)?;
        listings::append_history(
            conn,
            listing.id,
            &HistoryEntry {
                occurred_at: listing.created_at,
                actor: Some(listing.created_by),
                action: Action::Create,
                from: ListingStatus::Draft,
                to: listing.status,
                reason_code: None,
                message: None,
            },
        )?;
        audit::append(
            conn,
            &NewAuditEntry::new(Action::Create.into())
                .actor(listing.created_by)
                .object("listing", listing.id)
                .detail(format!("{} \"{}\"", listing.kind, listing.content.title))
                .client_ip(client_ip),
        )?;
        Ok(())
    })
}

/// The quality warnings for what is (or will be) under review: a pending edit's
/// content, else the listing's own.
pub fn warnings(conn: &mut DbConnection, listing: &Listing) -> Result<Vec<Warning>, ApiError> {
    let content = match &listing.revision {
        Some(revision) if revision.status == RevisionStatus::PendingReview => &revision.content,
        _ => &listing.content,
    };
    let siblings = listings::sibling_titles(conn, listing.owner, listing.id)?;
    Ok(quality::warnings(listing.kind, content, &siblings))
}

/// What the owner's members are told about a reviewer's decision or an expiry.
fn owner_event(
    listing: &Listing,
    action: Action,
    step: Step,
    reason: Option<RejectReason>,
    message: Option<&str>,
) -> Option<Event> {
    let edit = matches!(step, Step::ApplyRevision | Step::RejectRevision);
    let (kind, title) = match action {
        Action::Approve if edit => (EventKind::ListingApproved, "Your edit was approved"),
        Action::Approve => (
            EventKind::ListingApproved,
            "Your listing was approved and published",
        ),
        Action::Reject if edit => (EventKind::ListingRejected, "Your edit was rejected"),
        Action::Reject => (EventKind::ListingRejected, "Your listing was rejected"),
        Action::Expire => (EventKind::ListingExpired, "Your listing expired"),
        _ => return None,
    };
    Some(Event {
        kind,
        organisation: listing.owner,
        title: format!("{title}: {}", listing.content.title),
        object_type: "listing",
        object_id: listing.id.to_string(),
        data: serde_json::json!({
            "listing_id": listing.id,
            "kind": listing.kind,
            "title": listing.content.title,
            "status": listing.status,
            "edit": edit,
            "reason_code": reason,
            "message": message,
        }),
    })
}

pub fn stale(current: i64) -> ApiError {
    ApiError::Conflict(format!(
        "the listing was changed meanwhile and is now at version {current}: reload it and apply your change again"
    ))
}

fn describe(
    step: Step,
    from: ListingStatus,
    to: ListingStatus,
    reason: Option<&str>,
    message: Option<&str>,
) -> String {
    let mut text = match step {
        Step::ProposeRevision => "edit sent to review".to_owned(),
        Step::ApplyRevision => "edit approved".to_owned(),
        Step::RejectRevision => "edit rejected".to_owned(),
        Step::DiscardRevision => "edit withdrawn".to_owned(),
        _ => format!("{from} -> {to}"),
    };
    if let Some(reason) = reason {
        text.push_str(&format!(" ({reason})"));
    }
    if let Some(message) = message {
        text.push_str(": ");
        text.push_str(message);
    }
    text
}
