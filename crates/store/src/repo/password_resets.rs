//! Password resets an operator issues for a user. A reset is pending until it is
//! used, revoked or past its expiry; a user has at most one pending. The caller
//! stores a token's SHA-256, never the token.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use techex_domain::UserId;
use uuid::Uuid;

use crate::connection::DbConnection;
use crate::error::{StoreError, StoreResult};
use crate::rows::parse_id;
use crate::schema::password_resets::dsl as r;
use crate::time::to_db;

const T: &str = "password_resets";

/// A new reset, with the SHA-256 (hex) of the token its holder will present.
pub struct NewPasswordReset<'a> {
    pub id: Uuid,
    pub user: UserId,
    pub token_sha256: &'a str,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Pending resets are those neither used nor revoked nor expired at `now`.
macro_rules! pending_at {
    ($now:expr) => {
        r::used_at
            .is_null()
            .and(r::revoked_at.is_null())
            .and(r::expires_at.gt(to_db($now)))
    };
}

/// Revokes `user`'s pending resets (a newer one replaces them; a password change
/// makes them pointless). Returns how many.
pub fn revoke_for(conn: &mut DbConnection, user: UserId, now: DateTime<Utc>) -> StoreResult<usize> {
    Ok(diesel::update(
        r::password_resets
            .filter(r::user_id.eq(user.to_string()))
            .filter(pending_at!(now)),
    )
    .set(r::revoked_at.eq(to_db(now)))
    .execute(conn)?)
}

/// Stores `new` after revoking the user's pending resets; returns how many it replaced.
pub fn issue_replacing(conn: &mut DbConnection, new: &NewPasswordReset) -> StoreResult<usize> {
    let replaced = revoke_for(conn, new.user, new.created_at)?;
    diesel::insert_into(r::password_resets)
        .values((
            r::id.eq(new.id.to_string()),
            r::user_id.eq(new.user.to_string()),
            r::token_sha256.eq(new.token_sha256),
            r::created_by.eq(new.created_by.to_string()),
            r::created_at.eq(to_db(new.created_at)),
            r::expires_at.eq(to_db(new.expires_at)),
        ))
        .execute(conn)?;
    Ok(replaced)
}

/// The id and user of the reset whose token hashes to `token_sha256`, if it is
/// pending at `now`.
pub fn find_pending_by_token(
    conn: &mut DbConnection,
    token_sha256: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<(Uuid, UserId)>> {
    let row: Option<(String, String)> = r::password_resets
        .filter(r::token_sha256.eq(token_sha256))
        .filter(pending_at!(now))
        .select((r::id, r::user_id))
        .first(conn)
        .optional()?;
    row.map(|(id, user)| Ok((parse_id(T, &id)?, parse_id(T, &user)?)))
        .transpose()
}

/// Marks the reset used if it is still pending at `now`; `NotFound` otherwise, so
/// that of two uses racing one fails.
pub fn use_up(conn: &mut DbConnection, id: Uuid, now: DateTime<Utc>) -> StoreResult<()> {
    let used = diesel::update(
        r::password_resets
            .find(id.to_string())
            .filter(pending_at!(now)),
    )
    .set(r::used_at.eq(to_db(now)))
    .execute(conn)?;
    if used == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
