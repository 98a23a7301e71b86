//! Database rows and their conversion to domain values. A row that the domain cannot
//! read is reported as [`StoreError::Corrupt`], never silently patched.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use techex_domain::{AuditAction, AuditEntry, Email, Organisation, OrganisationKind, Role, User};

use crate::error::StoreError;
use crate::schema::{audit_log, organisations, users};
use crate::time::from_db;

fn corrupt(table: &'static str, detail: impl ToString) -> StoreError {
    StoreError::Corrupt {
        table,
        detail: detail.to_string(),
    }
}

pub(crate) fn parse_id<T: std::str::FromStr>(
    table: &'static str,
    raw: &str,
) -> Result<T, StoreError> {
    raw.parse()
        .map_err(|_| corrupt(table, format!("bad id '{raw}'")))
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = organisations)]
pub(crate) struct OrganisationRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub province: Option<String>,
    pub country: String,
    pub website: Option<String>,
    pub verified: bool,
    pub verified_at: Option<NaiveDateTime>,
    pub verified_by: Option<String>,
    pub created_at: NaiveDateTime,
}

impl TryFrom<OrganisationRow> for Organisation {
    type Error = StoreError;

    fn try_from(row: OrganisationRow) -> Result<Self, StoreError> {
        const T: &str = "organisations";
        Ok(Organisation {
            id: parse_id(T, &row.id)?,
            kind: row
                .kind
                .parse::<OrganisationKind>()
                .map_err(|e| corrupt(T, e))?,
            name: row.name,
            province: row.province,
            country: row.country,
            website: row.website,
            verified: row.verified,
            verified_at: row.verified_at.map(from_db),
            verified_by: row
                .verified_by
                .as_deref()
                .map(|id| parse_id(T, id))
                .transpose()?,
            created_at: from_db(row.created_at),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub(crate) struct UserRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub full_name: String,
    pub role: String,
    pub organisation_id: String,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub tokens_revoked_at: Option<NaiveDateTime>,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        const T: &str = "users";
        Ok(User {
            id: parse_id(T, &row.id)?,
            email: Email::existing(&row.email).map_err(|e| corrupt(T, e))?,
            full_name: row.full_name,
            role: row.role.parse::<Role>().map_err(|e| corrupt(T, e))?,
            organisation_id: parse_id(T, &row.organisation_id)?,
            disabled: row.disabled,
            created_at: from_db(row.created_at),
            tokens_revoked_at: row.tokens_revoked_at.map(from_db),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log)]
pub(crate) struct AuditRow {
    pub id: String,
    pub occurred_at: NaiveDateTime,
    pub actor_user_id: Option<String>,
    pub action: String,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub detail: Option<String>,
    pub client_ip: Option<String>,
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = StoreError;

    fn try_from(row: AuditRow) -> Result<Self, StoreError> {
        const T: &str = "audit_log";
        Ok(AuditEntry {
            actor: row
                .actor_user_id
                .as_deref()
                .map(|id| parse_id(T, id))
                .transpose()?,
            action: row
                .action
                .parse::<AuditAction>()
                .map_err(|e| corrupt(T, e))?,
            id: row.id,
            occurred_at: from_db(row.occurred_at),
            object_type: row.object_type,
            object_id: row.object_id,
            detail: row.detail,
            client_ip: row.client_ip,
        })
    }
}

/// Converts loaded rows, failing on the first corrupt one.
pub(crate) fn convert_all<R, T>(rows: Vec<R>) -> Result<Vec<T>, StoreError>
where
    T: TryFrom<R, Error = StoreError>,
{
    rows.into_iter().map(T::try_from).collect()
}
