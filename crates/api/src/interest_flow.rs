//! Carrying an interest from the first message to a concluded transfer. Each step
//! is one transaction: the change, its audit record, and the notice to the other
//! side (inbox and webhooks) commit together or not at all.

use chrono::{DateTime, Days, Utc};
use techex_domain::event::EventKind;
use techex_domain::interest::{Interest, InterestCommand, InterestRefusal, Party};
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
    if ctx.actor.role.is_operator() {
        return Err(ApiError::Forbidden(
            "operators introduce the two sides instead: POST /api/v1/interests/broker".into(),
        ));
    }
    let today = ctx.now.date_naive();
    write_transaction(conn, |conn| {
        let target = public_listing(conn, listing, today)?;
        if target.owner == ctx.actor.organisation_id {
            return Err(ApiError::Forbidden(
                "your organisation owns this listing: interest comes from other organisations"
                    .into(),
            ));
        }
        if let Some(own) = own_listing {
            let own = public_listing(conn, own, today).map_err(|_| {
                ApiError::validation(
                    "listing_id",
                    "must be one of your organisation's published listings",
                )
            })?;
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

/// At most `quota` interests per organisation per UTC day (brokered ones aside).
fn enforce_quota(
    conn: &mut DbConnection,
    organisation: OrganisationId,
    quota: u32,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    interests::lock_for_quota(conn, organisation)?;
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
        let offer = public_listing(conn, offer, today)
            .map_err(|_| ApiError::validation("offer_id", "must be a published offer"))?;
        let need = public_listing(conn, need, today)
            .map_err(|_| ApiError::validation("need_id", "must be a published need"))?;
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
        except: None,
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
            return Err(ApiError::Conflict(format!(
                "the interest was changed meanwhile and is now at version {}: reload it",
                interest.version
            )));
        }
        let read_version = interest.version;
        let action = command.action();
        let from = interest
            .perform(party, ctx.actor.user_id, command, ctx.now)
            .map_err(|refusal| match refusal {
                InterestRefusal::Illegal { .. } => ApiError::Conflict(refusal.to_string()),
                InterestRefusal::WrongSide(reason) => ApiError::Forbidden(reason),
            })?;
        interests::save(conn, &interest, read_version)?;
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
                except: None,
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

/// A message on the thread (a side's member) or a note (an operator).
pub fn post(
    conn: &mut DbConnection,
    ctx: &Context,
    interest: &Interest,
    body: &str,
    operator_note: bool,
) -> Result<interests::Message, ApiError> {
    write_transaction(conn, |conn| {
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
                    except: None,
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
