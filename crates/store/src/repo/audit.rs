//! The append-only audit log. There is deliberately no update or delete here, and
//! database triggers refuse them too.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use techex_domain::{AuditAction, AuditEntry, NewAuditEntry, UserId};
use uuid::Uuid;

use crate::connection::DbConnection;
use crate::error::StoreResult;
use crate::paging::{Page, PageRequest};
use crate::rows::{AuditRow, convert_all};
use crate::schema::audit_log::dsl as a;
use crate::time;

pub fn append(conn: &mut DbConnection, entry: &NewAuditEntry) -> StoreResult<()> {
    let row = AuditRow {
        id: Uuid::now_v7().to_string(),
        occurred_at: time::now(),
        actor_user_id: entry.actor.map(|id| id.to_string()),
        action: entry.action.as_str().to_owned(),
        object_type: entry.object_type.clone(),
        object_id: entry.object_id.clone(),
        detail: entry.detail.clone(),
        client_ip: entry.client_ip.clone(),
    };
    diesel::insert_into(a::audit_log)
        .values(&row)
        .execute(conn)?;
    Ok(())
}

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub actor: Option<UserId>,
    pub action: Option<AuditAction>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Newest first.
pub fn list(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    page: PageRequest,
) -> StoreResult<Page<AuditEntry>> {
    let query = || {
        let mut query = a::audit_log.into_boxed();
        if let Some(actor) = filter.actor {
            query = query.filter(a::actor_user_id.eq(actor.to_string()));
        }
        if let Some(action) = filter.action {
            query = query.filter(a::action.eq(action.as_str()));
        }
        if let Some(object_type) = &filter.object_type {
            query = query.filter(a::object_type.eq(object_type.clone()));
        }
        if let Some(object_id) = &filter.object_id {
            query = query.filter(a::object_id.eq(object_id.clone()));
        }
        if let Some(from) = filter.from {
            query = query.filter(a::occurred_at.ge(time::to_db(from)));
        }
        if let Some(to) = filter.to {
            query = query.filter(a::occurred_at.lt(time::to_db(to)));
        }
        query
    };
    let total: i64 = query().count().get_result(conn)?;
    let rows = query()
        .order((a::occurred_at.desc(), a::id.desc()))
        .limit(page.limit())
        .offset(page.offset())
        .select(AuditRow::as_select())
        .load(conn)?;
    Ok(Page::new(convert_all(rows)?, page, total))
}
