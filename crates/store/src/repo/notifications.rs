//! The notification inbox, once-only notices and background job cursors.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use techex_domain::event::EventKind;
use techex_domain::{OrganisationId, UserId};
use uuid::Uuid;

use crate::connection::DbConnection;
use crate::error::{StoreError, StoreResult};
use crate::paging::{Page, PageRequest};
use crate::rows::parse_id;
use crate::schema::{
    job_cursors::dsl as c, notices_sent::dsl as ns, notifications::dsl as n, users::dsl as u,
};
use crate::time::{from_db, to_db};

const T: &str = "notifications";

/// A stored notification.
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    pub id: String,
    pub user: UserId,
    pub event: EventKind,
    pub title: String,
    /// The event's details as JSON (the same as a webhook's `data`).
    pub detail: serde_json::Value,
    pub object_type: String,
    pub object_id: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::notifications)]
struct NotificationRow {
    id: String,
    user_id: String,
    event: String,
    title: String,
    detail: String,
    object_type: String,
    object_id: String,
    created_at: NaiveDateTime,
    read_at: Option<NaiveDateTime>,
}

impl NotificationRow {
    fn into_notification(self) -> StoreResult<Notification> {
        let corrupt = |detail: String| StoreError::Corrupt { table: T, detail };
        Ok(Notification {
            user: parse_id(T, &self.user_id)?,
            event: self.event.parse::<EventKind>().map_err(corrupt)?,
            detail: serde_json::from_str(&self.detail).map_err(|e| corrupt(e.to_string()))?,
            id: self.id,
            title: self.title,
            object_type: self.object_type,
            object_id: self.object_id,
            created_at: from_db(self.created_at),
            read_at: self.read_at.map(from_db),
        })
    }
}

/// What to tell an organisation's members.
#[derive(Clone, Debug)]
pub struct NewNotification<'a> {
    pub event: EventKind,
    pub title: &'a str,
    pub detail: &'a serde_json::Value,
    pub object_type: &'a str,
    pub object_id: &'a str,
}

/// Puts the notification in the inbox of every active member of `organisation`
/// except `except` (who caused it); returns how many were told.
pub fn notify_organisation(
    conn: &mut DbConnection,
    organisation: OrganisationId,
    except: Option<UserId>,
    notification: &NewNotification<'_>,
    now: DateTime<Utc>,
) -> StoreResult<usize> {
    let members: Vec<String> = u::users
        .filter(u::organisation_id.eq(organisation.to_string()))
        .filter(u::disabled.eq(false))
        .select(u::id)
        .load(conn)?;
    let detail = notification.detail.to_string();
    let mut told = 0;
    for member in members {
        if except.is_some_and(|e| e.to_string() == member) {
            continue;
        }
        diesel::insert_into(n::notifications)
            .values(NotificationRow {
                id: Uuid::now_v7().to_string(),
                user_id: member,
                event: notification.event.as_str().to_owned(),
                title: notification.title.to_owned(),
                detail: detail.clone(),
                object_type: notification.object_type.to_owned(),
                object_id: notification.object_id.to_owned(),
                created_at: to_db(now),
                read_at: None,
            })
            .execute(conn)?;
        told += 1;
    }
    Ok(told)
}

/// The user's inbox, newest first, with the number unread.
pub fn inbox(
    conn: &mut DbConnection,
    user: UserId,
    unread_only: bool,
    page: PageRequest,
) -> StoreResult<(Page<Notification>, i64)> {
    let query = |unread: bool| {
        let mut query = n::notifications
            .filter(n::user_id.eq(user.to_string()))
            .into_boxed();
        if unread {
            query = query.filter(n::read_at.is_null());
        }
        query
    };
    let total: i64 = query(unread_only).count().get_result(conn)?;
    let unread: i64 = query(true).count().get_result(conn)?;
    let rows = query(unread_only)
        .order((n::created_at.desc(), n::id.desc()))
        .limit(page.limit())
        .offset(page.offset())
        .select(NotificationRow::as_select())
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(NotificationRow::into_notification)
        .collect::<StoreResult<_>>()?;
    Ok((Page::new(items, page, total), unread))
}

/// Marks one of the user's notifications read; `NotFound` if it is not theirs.
pub fn mark_read(
    conn: &mut DbConnection,
    user: UserId,
    id: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mine = || {
        n::notifications
            .filter(n::id.eq(id))
            .filter(n::user_id.eq(user.to_string()))
    };
    let exists: i64 = mine().count().get_result(conn)?;
    if exists == 0 {
        return Err(StoreError::NotFound);
    }
    diesel::update(mine().filter(n::read_at.is_null()))
        .set(n::read_at.eq(to_db(now)))
        .execute(conn)?;
    Ok(())
}

/// Marks all the user's notifications read; returns how many changed.
pub fn mark_all_read(conn: &mut DbConnection, user: UserId, now: DateTime<Utc>) -> StoreResult<usize> {
    Ok(diesel::update(
        n::notifications
            .filter(n::user_id.eq(user.to_string()))
            .filter(n::read_at.is_null()),
    )
    .set(n::read_at.eq(to_db(now)))
    .execute(conn)?)
}

/// Records that the notice named `key` was sent; `false` if it already was. Call
/// inside the transaction that sends it, so a notice is sent at most once.
pub fn claim_notice(conn: &mut DbConnection, key: &str, now: DateTime<Utc>) -> StoreResult<bool> {
    let seen: i64 = ns::notices_sent.filter(ns::key.eq(key)).count().get_result(conn)?;
    if seen > 0 {
        return Ok(false);
    }
    diesel::insert_into(ns::notices_sent)
        .values((ns::key.eq(key), ns::created_at.eq(to_db(now))))
        .execute(conn)?;
    Ok(true)
}

/// How far the named job has read the listing outbox (0 if it never ran).
pub fn cursor(conn: &mut DbConnection, name: &str) -> StoreResult<i64> {
    Ok(c::job_cursors
        .find(name)
        .select(c::seq)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// Moves the job's cursor from `from` to `to`; `false` if another process moved it
/// first (that process then owns the events in between).
pub fn advance_cursor(conn: &mut DbConnection, name: &str, from: i64, to: i64) -> StoreResult<bool> {
    let moved = diesel::update(c::job_cursors.find(name).filter(c::seq.eq(from)))
        .set(c::seq.eq(to))
        .execute(conn)?;
    if moved == 1 {
        return Ok(true);
    }
    let exists: i64 = c::job_cursors.find(name).count().get_result(conn)?;
    if exists == 0 && from == 0 {
        diesel::insert_into(c::job_cursors)
            .values((c::name.eq(name), c::seq.eq(to)))
            .execute(conn)?;
        return Ok(true);
    }
    Ok(false)
}
