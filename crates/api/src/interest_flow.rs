//! Carrying an interest from the first message to a concluded transfer. Each step
//! is one transaction: the change, its audit record, and the notice to the other
//! side (inbox and webhooks) commit together or not at all.

use chrono::{DateTime, Days, Utc};
use techex_domain::event::EventKind;
use techex_domain::interest::{
    Interest, InterestCommand, InterestRefusal, Party, ensure_can_express,
};
use techex_domain::listing::{Listing, ListingKind};
use techex_domain::{Actor, AuditAction, InterestId, ListingId, NewAuditEntry, OrganisationId};
use techex_store::repo::{audit, interests, listings};
use techex_store::store::write_transaction;
use techex_store::{DbConnection, StoreError};

use crate::events::{self, Event};
use crate::problem::ApiError;

/// Who acts, from where.
pub struct Context {
    pub actor: Actor,
    pub client_ip: Option<String>,
    pub now: DateTime<Utc>,
}

impl Context {
    fn audit(&self, action: AuditAction, interest: InterestId, detail: String) -> NewAuditEntry {
        NewAuditEntry::new(action)
            .actor(self.actor.user_id)
            .object("interest", interest)
            .detail(detail)
            .client_ip(self.client_ip.clone())
    }
}

/// A published listing, or 404 as for anything the caller may not see.
fn public_listing(
    conn: &mut DbConnection,
    id: ListingId,
    today: chrono::NaiveDate,
) -> Result<Listing, ApiError> {
    match listings::get(conn, id) {
        Ok(listing) if listing.is_public(today) => Ok(listing),
        Ok(_) | Err(StoreError::NotFound) => Err(ApiError::NotFound("no such listing".into())),
        Err(other) => Err(other.into()),
    }
}

/// A member expresses interest in another organisation's published listing,
/// optionally naming one of its own published listings of the other kind.
pub fn express(
    conn: &mut DbConnection,
    ctx: &Context,
    listing: ListingId,
    own_listing: Option<ListingId>,
    message: String,
    daily_quota: u32,
) -> Result<Interest, ApiError> {
    let today = ctx.now.date_naive();
    write_transaction(conn, |conn| {
        let target = public_listing(conn, listing, today)?;
        ensure_can_express(&ctx.actor, target.owner).map_err(|e| ApiError::Forbidden(e.0))?;
        // Held to the end of the transaction: the open-interest check and the quota
        // count below cannot be overtaken by the organisation's concurrent requests.
        interests::lock_requester(conn, ctx.actor.organisation_id)?;
        if let Some(own) = own_listing {
            let own = invalid_if_missing(
                public_listing(conn, own, today),
                "listing_id",
                "must be one of your organisation's published listings",
            )?;
            if own.owner != ctx.actor.organisation_id || own.kind == target.kind {
                return Err(ApiError::validation(
                    "listing_id",
                    format!(
                        "must be one of your organisation's published {}s",
                        other_kind(target.kind)
                    ),
                ));
            }
        }
        if let Some(open) = interests::find_open(conn, target.id, ctx.actor.organisation_id)? {
            return Err(ApiError::Conflict(format!(
                "your organisation already has an open interest in this listing: /api/v1/interests/{}",
                open.id
            )));
        }
        enforce_quota(conn, ctx.actor.organisation_id, daily_quota, ctx.now)?;
        let interest = Interest::new(
            target.id,
            target.owner,
            ctx.actor.organisation_id,
            own_listing,
            ctx.actor.user_id,
            None,
            message,
            ctx.now,
        );
        interests::insert(conn, &interest)?;
        audit::append(
            conn,
            &ctx.audit(
                AuditAction::InterestExpressed,
                interest.id,
                format!("in listing {} \"{}\"", target.id, target.content.title),
            ),
        )?;
        events::publish(
            conn,
            created_event(&interest, &target, target.owner),
            ctx.now,
        )?;
        Ok(interest)
    })
}

fn other_kind(kind: ListingKind) -> &'static str {
    match kind {
        ListingKind::Offer => "need",
        ListingKind::Need => "offer",
    }
}

/// A listing the request names that is not (or no longer) public is a field error;
/// anything else (the database failing) stays what it is.
fn invalid_if_missing(
    found: Result<Listing, ApiError>,
    field: &str,
    message: &str,
) -> Result<Listing, ApiError> {
    found.map_err(|error| match error {
        ApiError::NotFound(_) => ApiError::validation(field, message),
        other => other,
    })
}

/// At most `quota` interests per organisation per UTC day (brokered ones aside).
/// The caller holds [`interests::lock_requester`].
fn enforce_quota(
    conn: &mut DbConnection,
    organisation: OrganisationId,
    quota: u32,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let day_start = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let used = interests::count_expressed_since(conn, organisation, day_start)?;
    if used >= i64::from(quota) {
        let tomorrow = day_start + Days::new(1);
        let wait = (tomorrow - now).num_seconds().max(1) as u64;
        return Err(ApiError::TooManyRequests {
            detail: format!(
                "your organisation has expressed {used} interests today, the daily limit; \
                 try again after midnight UTC"
            ),
            retry_after_secs: wait,
        });
    }
    Ok(())
}

/// An operator introduces a need's organisation to an offer: an interest in the
/// offer on behalf of the need's organisation, told to both.
pub fn broker(
    conn: &mut DbConnection,
    ctx: &Context,
    offer: ListingId,
    need: ListingId,
    message: String,
) -> Result<Interest, ApiError> {
    let today = ctx.now.date_naive();
    write_transaction(conn, |conn| {
        let offer = invalid_if_missing(
            public_listing(conn, offer, today),
            "offer_id",
            "must be a published offer",
        )?;
        let need = invalid_if_missing(
            public_listing(conn, need, today),
            "need_id",
            "must be a published need",
        )?;
        let mut errors = techex_domain::ValidationErrors::new();
        if offer.kind != ListingKind::Offer {
            errors.add("offer_id", "must be an offer");
        }
        if need.kind != ListingKind::Need {
            errors.add("need_id", "must be a need");
        }
        if offer.owner == need.owner {
            errors.add("need_id", "belongs to the offer's own organisation");
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        interests::lock_requester(conn, need.owner)?;
        if let Some(open) = interests::find_open(conn, offer.id, need.owner)? {
            return Err(ApiError::Conflict(format!(
                "the need's organisation already has an open interest in this offer: /api/v1/interests/{}",
                open.id
            )));
        }
        let interest = Interest::new(
            offer.id,
            offer.owner,
            need.owner,
            Some(need.id),
            ctx.actor.user_id,
            Some(ctx.actor.user_id),
            message,
            ctx.now,
        );
        interests::insert(conn, &interest)?;
        audit::append(
            conn,
            &ctx.audit(
                AuditAction::InterestBrokered,
                interest.id,
                format!("need {} introduced to offer {}", need.id, offer.id),
            ),
        )?;
        events::publish(conn, created_event(&interest, &offer, offer.owner), ctx.now)?;
        events::publish(conn, created_event(&interest, &offer, need.owner), ctx.now)?;
        Ok(interest)
    })
}

fn created_event(interest: &Interest, listing: &Listing, told: OrganisationId) -> Event {
    let title = if interest.brokered_by.is_some() {
        format!(
            "The exchange introduced you about \"{}\"",
            listing.content.title
        )
    } else {
        format!("New interest in your listing \"{}\"", listing.content.title)
    };
    Event {
        kind: EventKind::InterestCreated,
        organisation: told,
        title,
        object_type: "interest",
        object_id: interest.id.to_string(),
        data: serde_json::json!({
            "interest_id": interest.id,
            "listing_id": listing.id,
            "listing_title": listing.content.title,
            "state": interest.state,
            "brokered": interest.brokered_by.is_some(),
        }),
    }
}

/// One side moves the interest on. `expected_version`, when given, must match.
pub fn perform(
    conn: &mut DbConnection,
    ctx: &Context,
    id: InterestId,
    command: InterestCommand,
    expected_version: Option<i64>,
) -> Result<Interest, ApiError> {
    write_transaction(conn, |conn| {
        let mut interest = interests::get(conn, id)?;
        let Some(party) = interest.party(&ctx.actor) else {
            return Err(ApiError::Forbidden(
                "only the two sides move an interest on; operators add notes".into(),
            ));
        };
        if let Some(expected) = expected_version
            && expected != interest.version
        {
            return Err(stale(interest.version));
        }
        let read_version = interest.version;
        let action = command.action();
        let from = interest
            .perform(party, ctx.actor.user_id, command, ctx.now)
            .map_err(refused)?;
        interests::save(conn, &interest, read_version).map_err(|error| match error {
            StoreError::Stale { current } => stale(current),
            other => other.into(),
        })?;
        audit::append(
            conn,
            &ctx.audit(
                action.into(),
                interest.id,
                format!("{from} -> {}", interest.state),
            ),
        )?;
        let other = match party {
            Party::Owner => interest.requester,
            Party::Requester => interest.owner,
        };
        let listing_title = listings::get(conn, interest.listing)?.content.title;
        events::publish(
            conn,
            Event {
                kind: EventKind::InterestChanged,
                organisation: other,
                title: format!("Interest in \"{listing_title}\" is now {}", interest.state),
                object_type: "interest",
                object_id: interest.id.to_string(),
                data: serde_json::json!({
                    "interest_id": interest.id,
                    "listing_id": interest.listing,
                    "from": from,
                    "state": interest.state,
                    "decline_reason": interest.decline_reason,
                    "close_reason": interest.close_reason,
                    "message": interest.closing_message,
                }),
            },
            ctx.now,
        )?;
        Ok(interest)
    })
}

fn stale(current: i64) -> ApiError {
    ApiError::Conflict(format!(
        "the interest was changed meanwhile and is now at version {current}: reload it"
    ))
}

/// A refused step: the other side's move is 403, one the state forbids 409.
pub fn refused(refusal: InterestRefusal) -> ApiError {
    match refusal {
        InterestRefusal::WrongSide(reason) => ApiError::Forbidden(reason),
        InterestRefusal::Illegal { .. } | InterestRefusal::Closed(_) => {
            ApiError::Conflict(refusal.to_string())
        }
    }
}

/// A message on the thread (a side's member, while the interest is open) or a
/// note (an operator, at any time).
pub fn post(
    conn: &mut DbConnection,
    ctx: &Context,
    interest: &Interest,
    body: &str,
    operator_note: bool,
) -> Result<interests::Message, ApiError> {
    write_transaction(conn, |conn| {
        if !operator_note {
            // Re-read in the transaction: it may have closed since the caller looked.
            interests::get(conn, interest.id)?
                .ensure_open()
                .map_err(refused)?;
        }
        let message = interests::add_message(
            conn,
            interest.id,
            ctx.actor.user_id,
            ctx.actor.organisation_id,
            operator_note,
            body,
            ctx.now,
        )?;
        let action = if operator_note {
            AuditAction::InterestNoteAdded
        } else {
            AuditAction::InterestMessagePosted
        };
        audit::append(
            conn,
            &ctx.audit(action, interest.id, format!("message {}", message.id)),
        )?;
        if !operator_note {
            let other = if ctx.actor.organisation_id == interest.owner {
                interest.requester
            } else {
                interest.owner
            };
            events::publish(
                conn,
                Event {
                    kind: EventKind::InterestMessage,
                    organisation: other,
                    title: "New message about an interest".into(),
                    object_type: "interest",
                    object_id: interest.id.to_string(),
                    data: serde_json::json!({
                        "interest_id": interest.id,
                        "message_id": message.id,
                        "excerpt": body.chars().take(200).collect::<String>(),
                    }),
                },
                ctx.now,
            )?;
        }
        Ok(message)
    })
}
