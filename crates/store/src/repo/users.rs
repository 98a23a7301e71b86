//! User accounts.

use diesel::prelude::*;
use techex_domain::{
    Email, NewOrganisation, NewUser, Organisation, OrganisationId, Role, User, UserId,
};

use crate::connection::DbConnection;
use crate::error::StoreResult;
use crate::paging::{Page, PageRequest};
use crate::repo::organisations;
use crate::rows::{UserRow, convert_all};
use crate::schema::users::dsl as u;
use crate::store::write_transaction;
use crate::time;

pub fn insert(conn: &mut DbConnection, new: &NewUser) -> StoreResult<User> {
    let now = time::now();
    let row = UserRow {
        id: new.id.to_string(),
        email: new.email.as_str().to_owned(),
        password_hash: new.password_hash.clone(),
        full_name: new.full_name.as_str().to_owned(),
        role: new.role.as_str().to_owned(),
        organisation_id: new.organisation_id.to_string(),
        disabled: false,
        created_at: now,
        updated_at: now,
        tokens_revoked_at: None,
    };
    diesel::insert_into(u::users).values(&row).execute(conn)?;
    row.try_into()
}

/// Registration: the organisation and its first user, both or neither.
pub fn register(
    conn: &mut DbConnection,
    organisation: &NewOrganisation,
    user: &NewUser,
) -> StoreResult<(Organisation, User)> {
    write_transaction(conn, |conn| {
        let organisation = organisations::insert(conn, organisation, false)?;
        let user = insert(conn, user)?;
        Ok((organisation, user))
    })
}

pub fn get(conn: &mut DbConnection, id: UserId) -> StoreResult<User> {
    u::users
        .find(id.to_string())
        .select(UserRow::as_select())
        .first(conn)?
        .try_into()
}

/// The account and its password hash, for login.
pub fn find_credentials(
    conn: &mut DbConnection,
    email: &Email,
) -> StoreResult<Option<(User, String)>> {
    let row: Option<UserRow> = u::users
        .filter(u::email.eq(email.as_str()))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|row| {
        let hash = row.password_hash.clone();
        User::try_from(row).map(|user| (user, hash))
    })
    .transpose()
}

pub fn exists_with_email(conn: &mut DbConnection, email: &Email) -> StoreResult<bool> {
    let count: i64 = u::users
        .filter(u::email.eq(email.as_str()))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    pub organisation_id: Option<OrganisationId>,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
}

/// Newest first.
pub fn list(
    conn: &mut DbConnection,
    filter: &UserFilter,
    page: PageRequest,
) -> StoreResult<Page<User>> {
    let query = || {
        let mut query = u::users.into_boxed();
        if let Some(organisation) = filter.organisation_id {
            query = query.filter(u::organisation_id.eq(organisation.to_string()));
        }
        if let Some(role) = filter.role {
            query = query.filter(u::role.eq(role.as_str()));
        }
        if let Some(disabled) = filter.disabled {
            query = query.filter(u::disabled.eq(disabled));
        }
        query
    };
    let total: i64 = query().count().get_result(conn)?;
    let rows = query()
        .order((u::created_at.desc(), u::id.desc()))
        .limit(page.limit())
        .offset(page.offset())
        .select(UserRow::as_select())
        .load(conn)?;
    Ok(Page::new(convert_all(rows)?, page, total))
}

/// Replaces the password hash and revokes every access token issued until now:
/// whoever knew the old password and signed in with it is signed out.
pub fn set_password(conn: &mut DbConnection, id: UserId, password_hash: &str) -> StoreResult<()> {
    let now = time::now();
    let changed = diesel::update(u::users.find(id.to_string()))
        .set((
            u::password_hash.eq(password_hash),
            u::updated_at.eq(now),
            u::tokens_revoked_at.eq(Some(now)),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Err(crate::StoreError::NotFound);
    }
    Ok(())
}

/// Disabling also revokes every access token issued until now; enabling leaves
/// that mark, so the account comes back only through a new login.
pub fn set_disabled(conn: &mut DbConnection, id: UserId, disabled: bool) -> StoreResult<User> {
    let now = time::now();
    let target = u::users.find(id.to_string());
    let changed = if disabled {
        diesel::update(target)
            .set((
                u::disabled.eq(true),
                u::updated_at.eq(now),
                u::tokens_revoked_at.eq(Some(now)),
            ))
            .execute(conn)?
    } else {
        diesel::update(target)
            .set((u::disabled.eq(false), u::updated_at.eq(now)))
            .execute(conn)?
    };
    if changed == 0 {
        return Err(crate::StoreError::NotFound);
    }
    get(conn, id)
}

pub fn set_role(conn: &mut DbConnection, id: UserId, role: Role) -> StoreResult<User> {
    let changed = diesel::update(u::users.find(id.to_string()))
        .set((u::role.eq(role.as_str()), u::updated_at.eq(time::now())))
        .execute(conn)?;
    if changed == 0 {
        return Err(crate::StoreError::NotFound);
    }
    get(conn, id)
}

pub fn set_full_name(conn: &mut DbConnection, id: UserId, full_name: &str) -> StoreResult<User> {
    let changed = diesel::update(u::users.find(id.to_string()))
        .set((u::full_name.eq(full_name), u::updated_at.eq(time::now())))
        .execute(conn)?;
    if changed == 0 {
        return Err(crate::StoreError::NotFound);
    }
    get(conn, id)
}

/// The organisation's first (oldest) user, if any.
pub fn first_of_organisation(
    conn: &mut DbConnection,
    organisation: OrganisationId,
) -> StoreResult<Option<User>> {
    u::users
        .filter(u::organisation_id.eq(organisation.to_string()))
        .order((u::created_at.asc(), u::id.asc()))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(User::try_from)
        .transpose()
}

/// The organisation's oldest active member (not an operator), if any: who to
/// contact when no particular person is known.
pub fn first_active_member(
    conn: &mut DbConnection,
    organisation: OrganisationId,
) -> StoreResult<Option<User>> {
    u::users
        .filter(u::organisation_id.eq(organisation.to_string()))
        .filter(u::disabled.eq(false))
        .filter(u::role.eq(Role::Member.as_str()))
        .order((u::created_at.asc(), u::id.asc()))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(User::try_from)
        .transpose()
}

/// Active operators and admins.
pub fn count_operators(conn: &mut DbConnection) -> StoreResult<i64> {
    Ok(u::users
        .filter(u::role.eq_any([Role::Operator.as_str(), Role::Admin.as_str()]))
        .filter(u::disabled.eq(false))
        .count()
        .get_result(conn)?)
}
