//! Invitations to join an organisation. An invitation is pending until it is
//! accepted, revoked or past its expiry; only pending ones can be used. The caller
//! stores a token's SHA-256, never the token.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use techex_domain::{Email, OrganisationId, UserId};
use uuid::Uuid;

use crate::connection::DbConnection;
use crate::error::{StoreError, StoreResult};
use crate::rows::parse_id;
use crate::schema::invitations::dsl as i;
use crate::time::{from_db, to_db};

const T: &str = "invitations";

/// A stored invitation (without its token hash, which only [`find_pending_by_token`]
/// reads).
#[derive(Clone, Debug, PartialEq)]
pub struct Invitation {
    pub id: Uuid,
    pub organisation: OrganisationId,
    pub email: String,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub accepted_user: Option<UserId>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Invitation {
    /// Whether it can still be accepted at `now`.
    pub fn is_pending(&self, now: DateTime<Utc>) -> bool {
        self.accepted_at.is_none() && self.revoked_at.is_none() && self.expires_at > now
    }
}

/// A new invitation, with the SHA-256 (hex) of the token its holder will present.
pub struct NewInvitation<'a> {
    pub id: Uuid,
    pub organisation: OrganisationId,
    pub email: &'a Email,
    pub token_sha256: &'a str,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = crate::schema::invitations)]
struct InvitationRow {
    id: String,
    organisation_id: String,
    email: String,
    created_by: String,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
    accepted_at: Option<NaiveDateTime>,
    accepted_user_id: Option<String>,
    revoked_at: Option<NaiveDateTime>,
}

impl InvitationRow {
    fn into_invitation(self) -> StoreResult<Invitation> {
        Ok(Invitation {
            id: parse_id(T, &self.id)?,
            organisation: parse_id(T, &self.organisation_id)?,
            email: self.email,
            created_by: parse_id(T, &self.created_by)?,
            created_at: from_db(self.created_at),
            expires_at: from_db(self.expires_at),
            accepted_at: self.accepted_at.map(from_db),
            accepted_user: self
                .accepted_user_id
                .as_deref()
                .map(|id| parse_id(T, id))
                .transpose()?,
            revoked_at: self.revoked_at.map(from_db),
        })
    }
}

/// Pending invitations are those neither accepted nor revoked nor expired at `now`.
macro_rules! pending_at {
    ($now:expr) => {
        i::accepted_at
            .is_null()
            .and(i::revoked_at.is_null())
            .and(i::expires_at.gt(to_db($now)))
    };
}

/// Stores `new`, revoking the organisation's pending invitations of the same
/// address first: inviting someone again replaces the earlier token. Returns how
/// many were replaced.
pub fn insert_replacing(conn: &mut DbConnection, new: &NewInvitation) -> StoreResult<usize> {
    let replaced = diesel::update(
        i::invitations
            .filter(i::organisation_id.eq(new.organisation.to_string()))
            .filter(i::email.eq(new.email.as_str()))
            .filter(pending_at!(new.created_at)),
    )
    .set(i::revoked_at.eq(to_db(new.created_at)))
    .execute(conn)?;
    diesel::insert_into(i::invitations)
        .values((
            i::id.eq(new.id.to_string()),
            i::organisation_id.eq(new.organisation.to_string()),
            i::email.eq(new.email.as_str()),
            i::token_sha256.eq(new.token_sha256),
            i::created_by.eq(new.created_by.to_string()),
            i::created_at.eq(to_db(new.created_at)),
            i::expires_at.eq(to_db(new.expires_at)),
        ))
        .execute(conn)?;
    Ok(replaced)
}

/// `organisation`'s pending invitations at `now`, oldest first.
pub fn list_pending(
    conn: &mut DbConnection,
    organisation: OrganisationId,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Invitation>> {
    i::invitations
        .filter(i::organisation_id.eq(organisation.to_string()))
        .filter(pending_at!(now))
        .order((i::created_at.asc(), i::id.asc()))
        .select(InvitationRow::as_select())
        .load(conn)?
        .into_iter()
        .map(InvitationRow::into_invitation)
        .collect()
}

/// How many invitations `organisation` has pending at `now`.
pub fn count_pending(
    conn: &mut DbConnection,
    organisation: OrganisationId,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    Ok(i::invitations
        .filter(i::organisation_id.eq(organisation.to_string()))
        .filter(pending_at!(now))
        .count()
        .get_result(conn)?)
}

pub fn get(conn: &mut DbConnection, id: Uuid) -> StoreResult<Invitation> {
    i::invitations
        .find(id.to_string())
        .select(InvitationRow::as_select())
        .first(conn)?
        .into_invitation()
}

/// The invitation whose token hashes to `token_sha256`, if it is pending at `now`.
pub fn find_pending_by_token(
    conn: &mut DbConnection,
    token_sha256: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<Invitation>> {
    i::invitations
        .filter(i::token_sha256.eq(token_sha256))
        .filter(pending_at!(now))
        .select(InvitationRow::as_select())
        .first(conn)
        .optional()?
        .map(InvitationRow::into_invitation)
        .transpose()
}

/// Revokes the invitation if it is pending at `now`; `NotFound` otherwise.
pub fn revoke(conn: &mut DbConnection, id: Uuid, now: DateTime<Utc>) -> StoreResult<()> {
    let revoked = diesel::update(i::invitations.find(id.to_string()).filter(pending_at!(now)))
        .set(i::revoked_at.eq(to_db(now)))
        .execute(conn)?;
    if revoked == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Marks the invitation accepted by `user` if it is still pending at `now`;
/// `NotFound` otherwise, so that of two acceptances racing one fails.
pub fn accept(
    conn: &mut DbConnection,
    id: Uuid,
    user: UserId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let accepted = diesel::update(i::invitations.find(id.to_string()).filter(pending_at!(now)))
        .set((
            i::accepted_at.eq(to_db(now)),
            i::accepted_user_id.eq(user.to_string()),
        ))
        .execute(conn)?;
    if accepted == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Revokes every invitation `user` made that is pending at `now` (when the account
/// is disabled: a colleague it invited could otherwise still join). Returns how many.
pub fn revoke_made_by(
    conn: &mut DbConnection,
    user: UserId,
    now: DateTime<Utc>,
) -> StoreResult<usize> {
    Ok(diesel::update(
        i::invitations
            .filter(i::created_by.eq(user.to_string()))
            .filter(pending_at!(now)),
    )
    .set(i::revoked_at.eq(to_db(now)))
    .execute(conn)?)
}
