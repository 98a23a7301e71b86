//! Expressions of interest and their message threads.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use techex_domain::interest::{CloseReason, DeclineReason, Interest, InterestState, Outcome};
use techex_domain::listing::TransferMode;
use techex_domain::{InterestId, OrganisationId, UserId};
use uuid::Uuid;

use crate::connection::DbConnection;
use crate::error::{StoreError, StoreResult};
use crate::paging::{Page, PageRequest};
use crate::rows::parse_id;
use crate::schema::{interest_messages::dsl as m, interests::dsl as i};
use crate::time::{from_db, to_db};

const T: &str = "interests";

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = crate::schema::interests, treat_none_as_null = true)]
struct InterestRow {
    id: String,
    listing_id: String,
    owner_organisation_id: String,
    requester_organisation_id: String,
    requester_listing_id: Option<String>,
    created_by: String,
    brokered_by: Option<String>,
    state: String,
    message: String,
    responded_by: Option<String>,
    responded_at: Option<NaiveDateTime>,
    accepted_at: Option<NaiveDateTime>,
    decline_reason: Option<String>,
    close_reason: Option<String>,
    closing_message: Option<String>,
    transfer_value: Option<i64>,
    transfer_currency: Option<String>,
    contract_date: Option<NaiveDate>,
    transfer_mode: Option<String>,
    concluded_at: Option<NaiveDateTime>,
    closed_at: Option<NaiveDateTime>,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

fn corrupt(detail: impl ToString) -> StoreError {
    StoreError::Corrupt {
        table: T,
        detail: detail.to_string(),
    }
}

fn opt_id<I: std::str::FromStr>(raw: Option<String>) -> StoreResult<Option<I>> {
    raw.as_deref().map(|id| parse_id(T, id)).transpose()
}

fn opt_parse<E: std::str::FromStr<Err = String>>(raw: Option<String>) -> StoreResult<Option<E>> {
    raw.as_deref()
        .map(|v| v.parse::<E>().map_err(corrupt))
        .transpose()
}

impl InterestRow {
    fn from_interest(interest: &Interest) -> Self {
        let outcome = interest.outcome.as_ref();
        Self {
            id: interest.id.to_string(),
            listing_id: interest.listing.to_string(),
            owner_organisation_id: interest.owner.to_string(),
            requester_organisation_id: interest.requester.to_string(),
            requester_listing_id: interest.requester_listing.map(|id| id.to_string()),
            created_by: interest.created_by.to_string(),
            brokered_by: interest.brokered_by.map(|id| id.to_string()),
            state: interest.state.as_str().to_owned(),
            message: interest.message.clone(),
            responded_by: interest.responded_by.map(|id| id.to_string()),
            responded_at: interest.responded_at.map(to_db),
            accepted_at: interest.accepted_at.map(to_db),
            decline_reason: interest.decline_reason.map(|r| r.as_str().to_owned()),
            close_reason: interest.close_reason.map(|r| r.as_str().to_owned()),
            closing_message: interest.closing_message.clone(),
            transfer_value: outcome.and_then(|o| o.value),
            transfer_currency: outcome.and_then(|o| o.currency.clone()),
            contract_date: outcome.and_then(|o| o.contract_date),
            transfer_mode: outcome
                .and_then(|o| o.transfer_mode)
                .map(|m| m.as_str().to_owned()),
            concluded_at: interest.concluded_at.map(to_db),
            closed_at: interest.closed_at.map(to_db),
            version: interest.version,
            created_at: to_db(interest.created_at),
            updated_at: to_db(interest.updated_at),
        }
    }

    fn into_interest(self) -> StoreResult<Interest> {
        let state = self.state.parse::<InterestState>().map_err(corrupt)?;
        let outcome = (state == InterestState::Concluded)
            .then(|| {
                Ok::<_, StoreError>(Outcome {
                    value: self.transfer_value,
                    currency: self.transfer_currency,
                    contract_date: self.contract_date,
                    transfer_mode: opt_parse::<TransferMode>(self.transfer_mode)?,
                })
            })
            .transpose()?;
        Ok(Interest {
            id: parse_id(T, &self.id)?,
            listing: parse_id(T, &self.listing_id)?,
            owner: parse_id(T, &self.owner_organisation_id)?,
            requester: parse_id(T, &self.requester_organisation_id)?,
            requester_listing: opt_id(self.requester_listing_id)?,
            created_by: parse_id(T, &self.created_by)?,
            brokered_by: opt_id(self.brokered_by)?,
            state,
            message: self.message,
            responded_by: opt_id(self.responded_by)?,
            responded_at: self.responded_at.map(from_db),
            accepted_at: self.accepted_at.map(from_db),
            decline_reason: opt_parse::<DeclineReason>(self.decline_reason)?,
            close_reason: opt_parse::<CloseReason>(self.close_reason)?,
            closing_message: self.closing_message,
            outcome,
            concluded_at: self.concluded_at.map(from_db),
            closed_at: self.closed_at.map(from_db),
            version: self.version,
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
        })
    }
}

fn convert(rows: Vec<InterestRow>) -> StoreResult<Vec<Interest>> {
    rows.into_iter().map(InterestRow::into_interest).collect()
}

pub fn insert(conn: &mut DbConnection, interest: &Interest) -> StoreResult<()> {
    diesel::insert_into(i::interests)
        .values(InterestRow::from_interest(interest))
        .execute(conn)?;
    Ok(())
}

/// Writes `interest` if the stored row is still at `expected_version`.
pub fn save(
    conn: &mut DbConnection,
    interest: &Interest,
    expected_version: i64,
) -> StoreResult<()> {
    let id = interest.id.to_string();
    let changed = diesel::update(
        i::interests
            .find(&id)
            .filter(i::version.eq(expected_version)),
    )
    .set(InterestRow::from_interest(interest))
    .execute(conn)?;
    if changed == 0 {
        let current: i64 = i::interests.find(&id).select(i::version).first(conn)?;
        return Err(StoreError::Stale { current });
    }
    Ok(())
}

pub fn get(conn: &mut DbConnection, id: InterestId) -> StoreResult<Interest> {
    i::interests
        .find(id.to_string())
        .select(InterestRow::as_select())
        .first(conn)?
        .into_interest()
}

/// Which interests a list shows.
#[derive(Clone, Copy, Debug)]
pub enum Scope {
    /// Expressed by the organisation.
    Sent(OrganisationId),
    /// In the organisation's listings.
    Received(OrganisationId),
    /// Either.
    Involving(OrganisationId),
    /// Every interest (operators).
    All,
}

/// Newest first.
pub fn list(
    conn: &mut DbConnection,
    scope: Scope,
    state: Option<InterestState>,
    page: PageRequest,
) -> StoreResult<Page<Interest>> {
    let query = || {
        let mut query = i::interests.into_boxed();
        query = match scope {
            Scope::Sent(org) => query.filter(i::requester_organisation_id.eq(org.to_string())),
            Scope::Received(org) => query.filter(i::owner_organisation_id.eq(org.to_string())),
            Scope::Involving(org) => query.filter(
                i::requester_organisation_id
                    .eq(org.to_string())
                    .or(i::owner_organisation_id.eq(org.to_string())),
            ),
            Scope::All => query,
        };
        if let Some(state) = state {
            query = query.filter(i::state.eq(state.as_str()));
        }
        query
    };
    let total: i64 = query().count().get_result(conn)?;
    let rows = query()
        .order((i::created_at.desc(), i::id.desc()))
        .limit(page.limit())
        .offset(page.offset())
        .select(InterestRow::as_select())
        .load(conn)?;
    Ok(Page::new(convert(rows)?, page, total))
}

/// Serialises new interests on behalf of one organisation until the transaction
/// ends, so that its open-interest check and quota count cannot be overtaken by a
/// concurrent request. SQLite serialises all writers anyway; PostgreSQL takes a
/// transaction-scoped advisory lock in techex's own key space (7243).
pub fn lock_requester(conn: &mut DbConnection, organisation: OrganisationId) -> StoreResult<()> {
    if let DbConnection::Postgresql(_) = conn {
        // 32 bits of the id's random part; a collision only serialises two organisations.
        let key = organisation.as_uuid().as_u64_pair().1 as u32 as i32;
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock(7243, {key})")).execute(conn)?;
    }
    Ok(())
}

/// Interests the organisation expressed itself (not brokered ones) since `since`:
/// what the daily quota counts.
pub fn count_expressed_since(
    conn: &mut DbConnection,
    organisation: OrganisationId,
    since: DateTime<Utc>,
) -> StoreResult<i64> {
    Ok(i::interests
        .filter(i::requester_organisation_id.eq(organisation.to_string()))
        .filter(i::brokered_by.is_null())
        .filter(i::created_at.ge(to_db(since)))
        .count()
        .get_result(conn)?)
}

/// An open (not final) interest of `requester` in `listing`, if any: a second one
/// would only duplicate the thread.
pub fn find_open(
    conn: &mut DbConnection,
    listing: techex_domain::ListingId,
    requester: OrganisationId,
) -> StoreResult<Option<Interest>> {
    i::interests
        .filter(i::listing_id.eq(listing.to_string()))
        .filter(i::requester_organisation_id.eq(requester.to_string()))
        .filter(i::state.eq_any(InterestState::OPEN.map(InterestState::as_str)))
        .select(InterestRow::as_select())
        .first(conn)
        .optional()?
        .map(InterestRow::into_interest)
        .transpose()
}

/// A message on an interest's thread, or an operator's note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: String,
    pub interest: InterestId,
    pub author: UserId,
    pub author_organisation: OrganisationId,
    pub operator_note: bool,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::interest_messages)]
struct MessageRow {
    id: String,
    interest_id: String,
    author_user_id: String,
    author_organisation_id: String,
    operator_note: bool,
    body: String,
    created_at: NaiveDateTime,
}

impl MessageRow {
    fn into_message(self) -> StoreResult<Message> {
        const T: &str = "interest_messages";
        Ok(Message {
            id: self.id,
            interest: parse_id(T, &self.interest_id)?,
            author: parse_id(T, &self.author_user_id)?,
            author_organisation: parse_id(T, &self.author_organisation_id)?,
            operator_note: self.operator_note,
            body: self.body,
            created_at: from_db(self.created_at),
        })
    }
}

pub fn add_message(
    conn: &mut DbConnection,
    interest: InterestId,
    author: UserId,
    author_organisation: OrganisationId,
    operator_note: bool,
    body: &str,
    now: DateTime<Utc>,
) -> StoreResult<Message> {
    let row = MessageRow {
        id: Uuid::now_v7().to_string(),
        interest_id: interest.to_string(),
        author_user_id: author.to_string(),
        author_organisation_id: author_organisation.to_string(),
        operator_note,
        body: body.to_owned(),
        created_at: to_db(now),
    };
    diesel::insert_into(m::interest_messages)
        .values(&row)
        .execute(conn)?;
    row.into_message()
}

/// The two sides' messages, or the operators' notes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Thread {
    Messages,
    Notes,
}

/// The thread's first 1,000 messages or notes, oldest first.
pub fn messages(
    conn: &mut DbConnection,
    interest: InterestId,
    thread: Thread,
) -> StoreResult<Vec<Message>> {
    m::interest_messages
        .filter(m::interest_id.eq(interest.to_string()))
        .filter(m::operator_note.eq(thread == Thread::Notes))
        .order((m::created_at.asc(), m::id.asc()))
        .limit(1000)
        .select(MessageRow::as_select())
        .load(conn)?
        .into_iter()
        .map(MessageRow::into_message)
        .collect()
}
