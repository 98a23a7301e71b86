//! Listings, their sector index and their history.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use techex_domain::listing::{
    Action, HistoryEntry, Listing, ListingContent, ListingKind, ListingStatus, RejectReason,
    Rejection, Revision, RevisionStatus,
};
use techex_domain::{ListingId, OrganisationId, UserId};
use uuid::Uuid;

use crate::connection::DbConnection;
use crate::error::{StoreError, StoreResult};
use crate::paging::{Page, PageRequest};
use crate::rows::parse_id;
use crate::schema::{
    listing_events::dsl as ev, listing_history::dsl as h, listing_sectors::dsl as ls,
    listings::dsl as l,
};
use crate::time::{self, from_db, to_db};

const T: &str = "listings";

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = crate::schema::listings, treat_none_as_null = true)]
struct ListingRow {
    id: String,
    kind: String,
    status: String,
    owner_organisation_id: String,
    created_by: String,
    content: String,
    title: String,
    language: String,
    province: Option<String>,
    trl: Option<i32>,
    valid_until: NaiveDate,
    external_ref: Option<String>,
    revision_content: Option<String>,
    revision_status: Option<String>,
    revision_submitted_at: Option<NaiveDateTime>,
    rejection_code: Option<String>,
    rejection_message: Option<String>,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    submitted_at: Option<NaiveDateTime>,
    published_at: Option<NaiveDateTime>,
    queued_at: Option<NaiveDateTime>,
}

fn corrupt(detail: impl ToString) -> StoreError {
    StoreError::Corrupt {
        table: T,
        detail: detail.to_string(),
    }
}

fn to_json(content: &ListingContent) -> StoreResult<String> {
    serde_json::to_string(content).map_err(corrupt)
}

fn from_json(json: &str) -> StoreResult<ListingContent> {
    serde_json::from_str(json).map_err(corrupt)
}

impl ListingRow {
    fn from_listing(listing: &Listing) -> StoreResult<Self> {
        let content = &listing.content;
        let revision = listing.revision.as_ref();
        Ok(Self {
            id: listing.id.to_string(),
            kind: listing.kind.as_str().to_owned(),
            status: listing.status.as_str().to_owned(),
            owner_organisation_id: listing.owner.to_string(),
            created_by: listing.created_by.to_string(),
            content: to_json(content)?,
            title: content.title.clone(),
            language: content.language.clone(),
            province: content.province.clone(),
            trl: content.trl.map(i32::from),
            valid_until: content.valid_until,
            external_ref: content.external_ref.clone(),
            revision_content: revision.map(|r| to_json(&r.content)).transpose()?,
            revision_status: revision.map(|r| r.status.as_str().to_owned()),
            revision_submitted_at: revision.map(|r| to_db(r.submitted_at)),
            rejection_code: listing
                .rejection
                .as_ref()
                .map(|r| r.reason_code.as_str().to_owned()),
            rejection_message: listing.rejection.as_ref().map(|r| r.message.clone()),
            version: listing.version,
            created_at: to_db(listing.created_at),
            updated_at: to_db(listing.updated_at),
            submitted_at: listing.submitted_at.map(to_db),
            published_at: listing.published_at.map(to_db),
            queued_at: queued_at(listing),
        })
    }

    fn into_listing(self) -> StoreResult<Listing> {
        let revision = match (
            self.revision_content,
            self.revision_status,
            self.revision_submitted_at,
        ) {
            (Some(content), Some(status), Some(submitted_at)) => Some(Revision {
                content: from_json(&content)?,
                status: status.parse::<RevisionStatus>().map_err(corrupt)?,
                submitted_at: from_db(submitted_at),
            }),
            _ => None,
        };
        let rejection = match (self.rejection_code, self.rejection_message) {
            (Some(code), Some(message)) => Some(Rejection {
                reason_code: code.parse::<RejectReason>().map_err(corrupt)?,
                message,
            }),
            _ => None,
        };
        Ok(Listing {
            id: parse_id(T, &self.id)?,
            kind: self.kind.parse::<ListingKind>().map_err(corrupt)?,
            status: self.status.parse::<ListingStatus>().map_err(corrupt)?,
            owner: parse_id(T, &self.owner_organisation_id)?,
            created_by: parse_id(T, &self.created_by)?,
            content: from_json(&self.content)?,
            revision,
            rejection,
            version: self.version,
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
            submitted_at: self.submitted_at.map(from_db),
            published_at: self.published_at.map(from_db),
        })
    }
}

/// When the listing entered the review queue, if it waits there.
fn queued_at(listing: &Listing) -> Option<NaiveDateTime> {
    match &listing.revision {
        Some(revision) if revision.status == RevisionStatus::PendingReview => {
            Some(to_db(revision.submitted_at))
        }
        _ if listing.status == ListingStatus::PendingReview => listing.submitted_at.map(to_db),
        _ => None,
    }
}

fn convert(rows: Vec<ListingRow>) -> StoreResult<Vec<Listing>> {
    rows.into_iter().map(ListingRow::into_listing).collect()
}

/// Replaces the sector index with the approved content's sectors.
fn index_sectors(conn: &mut DbConnection, listing: &Listing) -> StoreResult<()> {
    let id = listing.id.to_string();
    diesel::delete(ls::listing_sectors.filter(ls::listing_id.eq(&id))).execute(conn)?;
    // One statement per row: batch inserts do not compile through MultiConnection.
    for code in &listing.content.sectors {
        diesel::insert_into(ls::listing_sectors)
            .values((ls::listing_id.eq(&id), ls::code.eq(code)))
            .execute(conn)?;
    }
    Ok(())
}

pub fn insert(conn: &mut DbConnection, listing: &Listing) -> StoreResult<()> {
    diesel::insert_into(l::listings)
        .values(ListingRow::from_listing(listing)?)
        .execute(conn)?;
    index_sectors(conn, listing)?;
    announce(conn, listing.id)
}

/// Appends the change to the outbox. Every write of a listing calls this in its
/// own transaction, so the outbox never misses a committed change.
fn announce(conn: &mut DbConnection, id: ListingId) -> StoreResult<()> {
    if let DbConnection::Postgresql(_) = conn {
        // Held until commit: appends are serialised, so sequence order is commit
        // order (SQLite serialises all writers anyway).
        diesel::sql_query("SELECT pg_advisory_xact_lock(7243001)").execute(conn)?;
    }
    diesel::insert_into(ev::listing_events)
        .values((
            ev::listing_id.eq(id.to_string()),
            ev::occurred_at.eq(time::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Outbox entries after `seq`, oldest first: (sequence, listing).
pub fn events_after(
    conn: &mut DbConnection,
    seq: i64,
    limit: i64,
) -> StoreResult<Vec<(i64, ListingId)>> {
    let rows: Vec<(i64, String)> = ev::listing_events
        .filter(ev::seq.gt(seq))
        .order(ev::seq.asc())
        .limit(limit)
        .select((ev::seq, ev::listing_id))
        .load(conn)?;
    rows.into_iter()
        .map(|(seq, id)| Ok((seq, parse_id(T, &id)?)))
        .collect()
}

/// Each listing's newest outbox sequence (listings without events are left out).
pub fn latest_event_seqs(
    conn: &mut DbConnection,
    ids: &[ListingId],
) -> StoreResult<std::collections::HashMap<ListingId, i64>> {
    let keys: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let rows: Vec<(String, Option<i64>)> = ev::listing_events
        .filter(ev::listing_id.eq_any(keys))
        .group_by(ev::listing_id)
        .select((ev::listing_id, diesel::dsl::max(ev::seq)))
        .load(conn)?;
    rows.into_iter()
        .filter_map(|(id, seq)| seq.map(|seq| (id, seq)))
        .map(|(id, seq)| Ok((parse_id(T, &id)?, seq)))
        .collect()
}

/// The newest outbox sequence (0 when empty).
pub fn last_event_seq(conn: &mut DbConnection) -> StoreResult<i64> {
    let max: Option<i64> = ev::listing_events
        .select(diesel::dsl::max(ev::seq))
        .first(conn)?;
    Ok(max.unwrap_or(0))
}

/// The listings with these ids (unknown ids are left out).
pub fn get_many(conn: &mut DbConnection, ids: &[ListingId]) -> StoreResult<Vec<Listing>> {
    let keys: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let rows = l::listings
        .filter(l::id.eq_any(keys))
        .select(ListingRow::as_select())
        .load(conn)?;
    convert(rows)
}

pub fn get(conn: &mut DbConnection, id: ListingId) -> StoreResult<Listing> {
    l::listings
        .find(id.to_string())
        .select(ListingRow::as_select())
        .first(conn)?
        .into_listing()
}

/// Writes `listing` if the stored row is still at `expected_version`.
pub fn save(conn: &mut DbConnection, listing: &Listing, expected_version: i64) -> StoreResult<()> {
    let id = listing.id.to_string();
    let changed = diesel::update(
        l::listings
            .find(&id)
            .filter(l::version.eq(expected_version)),
    )
    .set(ListingRow::from_listing(listing)?)
    .execute(conn)?;
    if changed == 0 {
        let current: i64 = l::listings.find(&id).select(l::version).first(conn)?;
        return Err(StoreError::Stale { current });
    }
    index_sectors(conn, listing)?;
    announce(conn, listing.id)
}

pub fn delete(conn: &mut DbConnection, id: ListingId) -> StoreResult<()> {
    let id = id.to_string();
    diesel::delete(ls::listing_sectors.filter(ls::listing_id.eq(&id))).execute(conn)?;
    diesel::delete(h::listing_history.filter(h::listing_id.eq(&id))).execute(conn)?;
    let deleted = diesel::delete(l::listings.find(&id)).execute(conn)?;
    if deleted == 0 {
        return Err(StoreError::NotFound);
    }
    announce(conn, parse_id(T, &id)?)
}

pub fn find_by_external_ref(
    conn: &mut DbConnection,
    owner: OrganisationId,
    external_ref: &str,
) -> StoreResult<Option<Listing>> {
    l::listings
        .filter(l::owner_organisation_id.eq(owner.to_string()))
        .filter(l::external_ref.eq(external_ref))
        .select(ListingRow::as_select())
        .first(conn)
        .optional()?
        .map(ListingRow::into_listing)
        .transpose()
}

/// Filters of the public catalogue.
#[derive(Clone, Debug, Default)]
pub struct PublicFilter {
    pub kind: Option<ListingKind>,
    /// A sector code; listings in it or in any sector below it match.
    pub sector: Option<String>,
    pub province: Option<String>,
    pub trl_min: Option<u8>,
    pub trl_max: Option<u8>,
    pub owner: Option<OrganisationId>,
}

/// [`Listing::is_public`] as a filter: published and still valid on `today` (the
/// expiry sweep may not have run yet). The catalogue and the public statistics
/// share it.
pub(crate) fn publicly_visible(
    today: NaiveDate,
) -> diesel::dsl::And<
    diesel::dsl::Eq<l::status, &'static str>,
    diesel::dsl::GtEq<l::valid_until, NaiveDate>,
> {
    l::status
        .eq(ListingStatus::Published.as_str())
        .and(l::valid_until.ge(today))
}

/// Published listings still valid on `today`, newest first.
pub fn list_public(
    conn: &mut DbConnection,
    filter: &PublicFilter,
    today: NaiveDate,
    page: PageRequest,
) -> StoreResult<Page<Listing>> {
    let query = || {
        let mut query = l::listings.filter(publicly_visible(today)).into_boxed();
        if let Some(kind) = filter.kind {
            query = query.filter(l::kind.eq(kind.as_str()));
        }
        if let Some(sector) = &filter.sector {
            let in_sector = ls::listing_sectors
                .filter(
                    ls::code
                        .eq(sector.clone())
                        .or(ls::code.like(format!("{sector}.%"))),
                )
                .select(ls::listing_id);
            query = query.filter(l::id.eq_any(in_sector));
        }
        if let Some(province) = &filter.province {
            query = query.filter(l::province.eq(province.clone()));
        }
        if let Some(min) = filter.trl_min {
            query = query.filter(l::trl.ge(i32::from(min)));
        }
        if let Some(max) = filter.trl_max {
            query = query.filter(l::trl.le(i32::from(max)));
        }
        if let Some(owner) = filter.owner {
            query = query.filter(l::owner_organisation_id.eq(owner.to_string()));
        }
        query
    };
    let total: i64 = query().count().get_result(conn)?;
    let rows = query()
        .order((l::published_at.desc(), l::id.desc()))
        .limit(page.limit())
        .offset(page.offset())
        .select(ListingRow::as_select())
        .load(conn)?;
    Ok(Page::new(convert(rows)?, page, total))
}

/// An organisation's listings in every state (or one), newest first.
pub fn list_by_owner(
    conn: &mut DbConnection,
    owner: OrganisationId,
    status: Option<ListingStatus>,
    page: PageRequest,
) -> StoreResult<Page<Listing>> {
    let query = || {
        let mut query = l::listings
            .filter(l::owner_organisation_id.eq(owner.to_string()))
            .into_boxed();
        if let Some(status) = status {
            query = query.filter(l::status.eq(status.as_str()));
        }
        query
    };
    let total: i64 = query().count().get_result(conn)?;
    let rows = query()
        .order((l::created_at.desc(), l::id.desc()))
        .limit(page.limit())
        .offset(page.offset())
        .select(ListingRow::as_select())
        .load(conn)?;
    Ok(Page::new(convert(rows)?, page, total))
}

/// Listings and edits waiting for an operator, oldest first.
pub fn review_queue(conn: &mut DbConnection, page: PageRequest) -> StoreResult<Page<Listing>> {
    let total: i64 = l::listings
        .filter(l::queued_at.is_not_null())
        .count()
        .get_result(conn)?;
    let rows = l::listings
        .filter(l::queued_at.is_not_null())
        .order((l::queued_at.asc(), l::id.asc()))
        .limit(page.limit())
        .offset(page.offset())
        .select(ListingRow::as_select())
        .load(conn)?;
    Ok(Page::new(convert(rows)?, page, total))
}

/// The organisation's other live listings with their titles (duplicate check).
pub fn sibling_titles(
    conn: &mut DbConnection,
    owner: OrganisationId,
    except: ListingId,
) -> StoreResult<Vec<(ListingId, String)>> {
    let rows: Vec<(String, String)> = l::listings
        .filter(l::owner_organisation_id.eq(owner.to_string()))
        .filter(l::id.ne(except.to_string()))
        .filter(l::status.ne(ListingStatus::Archived.as_str()))
        .order(l::created_at.desc())
        .limit(500)
        .select((l::id, l::title))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, title)| Ok((parse_id(T, &id)?, title)))
        .collect()
}

/// Published listings whose valid-until date falls from `from` to `to` (inclusive),
/// soonest first, after the (valid-until, id) position `after`: those whose owners
/// are warned of expiry, a page at a time.
pub fn expiring_between(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    after: Option<(NaiveDate, ListingId)>,
    limit: i64,
) -> StoreResult<Vec<Listing>> {
    let mut query = l::listings
        .filter(l::status.eq(ListingStatus::Published.as_str()))
        .filter(l::valid_until.ge(from))
        .filter(l::valid_until.le(to))
        .into_boxed();
    if let Some((date, id)) = after {
        query = query.filter(
            l::valid_until
                .gt(date)
                .or(l::valid_until.eq(date).and(l::id.gt(id.to_string()))),
        );
    }
    let rows = query
        .order((l::valid_until.asc(), l::id.asc()))
        .limit(limit)
        .select(ListingRow::as_select())
        .load(conn)?;
    convert(rows)
}

/// Published listings whose valid-until date is before `today`.
pub fn due_for_expiry(
    conn: &mut DbConnection,
    today: NaiveDate,
    limit: i64,
) -> StoreResult<Vec<ListingId>> {
    let ids: Vec<String> = l::listings
        .filter(l::status.eq(ListingStatus::Published.as_str()))
        .filter(l::valid_until.lt(today))
        .order(l::valid_until.asc())
        .limit(limit)
        .select(l::id)
        .load(conn)?;
    ids.iter().map(|id| parse_id(T, id)).collect()
}

pub fn append_history(
    conn: &mut DbConnection,
    listing: ListingId,
    entry: &HistoryEntry,
) -> StoreResult<()> {
    diesel::insert_into(h::listing_history)
        .values((
            h::id.eq(Uuid::now_v7().to_string()),
            h::listing_id.eq(listing.to_string()),
            h::occurred_at.eq(to_db(entry.occurred_at)),
            h::actor_user_id.eq(entry.actor.map(|a| a.to_string())),
            h::action.eq(entry.action.as_str()),
            h::from_status.eq(entry.from.as_str()),
            h::to_status.eq(entry.to.as_str()),
            h::reason_code.eq(entry.reason_code.map(|r| r.as_str().to_owned())),
            h::message.eq(entry.message.clone()),
        ))
        .execute(conn)?;
    Ok(())
}

type HistoryRow = (
    NaiveDateTime,
    Option<String>,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

/// Oldest first.
pub fn history(conn: &mut DbConnection, listing: ListingId) -> StoreResult<Vec<HistoryEntry>> {
    let rows: Vec<HistoryRow> = h::listing_history
        .filter(h::listing_id.eq(listing.to_string()))
        .order((h::occurred_at.asc(), h::id.asc()))
        .select((
            h::occurred_at,
            h::actor_user_id,
            h::action,
            h::from_status,
            h::to_status,
            h::reason_code,
            h::message,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(at, actor, action, from, to, reason, message)| {
            Ok(HistoryEntry {
                occurred_at: from_db(at),
                actor: actor
                    .as_deref()
                    .map(|a| parse_id::<UserId>("listing_history", a))
                    .transpose()?,
                action: action.parse::<Action>().map_err(corrupt)?,
                from: from.parse::<ListingStatus>().map_err(corrupt)?,
                to: to.parse::<ListingStatus>().map_err(corrupt)?,
                reason_code: reason
                    .as_deref()
                    .map(str::parse::<RejectReason>)
                    .transpose()
                    .map_err(corrupt)?,
                message,
            })
        })
        .collect()
}

/// The time stored listings use for "now".
pub fn now() -> chrono::DateTime<chrono::Utc> {
    from_db(time::now())
}

/// Published listings valid on `today` with ids after `after`, in id order (ids are
/// time-ordered): a keyset page for exports that never skips or repeats a row.
pub fn published_after(
    conn: &mut DbConnection,
    after: Option<ListingId>,
    today: NaiveDate,
    limit: i64,
) -> StoreResult<Vec<Listing>> {
    let mut query = l::listings
        .filter(l::status.eq(ListingStatus::Published.as_str()))
        .filter(l::valid_until.ge(today))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(l::id.gt(after.to_string()));
    }
    let rows = query
        .order(l::id.asc())
        .limit(limit)
        .select(ListingRow::as_select())
        .load(conn)?;
    convert(rows)
}
