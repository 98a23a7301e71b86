//! Organisations.

use diesel::prelude::*;
use techex_domain::{NewOrganisation, Organisation, OrganisationId, OrganisationKind, UserId};

use crate::connection::DbConnection;
use crate::error::StoreResult;
use crate::paging::{Page, PageRequest};
use crate::rows::{OrganisationRow, convert_all};
use crate::schema::organisations::dsl as o;
use crate::time;

pub fn insert(
    conn: &mut DbConnection,
    new: &NewOrganisation,
    verified: bool,
) -> StoreResult<Organisation> {
    let now = time::now();
    let row = OrganisationRow {
        id: new.id.to_string(),
        name: new.name.clone(),
        kind: new.kind.as_str().to_owned(),
        province: new.province.clone(),
        country: new.country.clone(),
        website: new.website.clone(),
        verified,
        verified_at: verified.then_some(now),
        verified_by: None,
        created_at: now,
    };
    diesel::insert_into(o::organisations)
        .values(&row)
        .execute(conn)?;
    row.try_into()
}

pub fn get(conn: &mut DbConnection, id: OrganisationId) -> StoreResult<Organisation> {
    o::organisations
        .find(id.to_string())
        .select(OrganisationRow::as_select())
        .first(conn)?
        .try_into()
}

/// The first *verified* organisation with exactly this name (of this kind, if
/// given), if any: unverified ones were registered by anybody and must not be
/// joined, or block a registration, by name.
pub fn find_by_name(
    conn: &mut DbConnection,
    name: &str,
    kind: Option<OrganisationKind>,
) -> StoreResult<Option<Organisation>> {
    let mut query = o::organisations
        .filter(o::name.eq(name))
        .filter(o::verified.eq(true))
        .into_boxed();
    if let Some(kind) = kind {
        query = query.filter(o::kind.eq(kind.as_str()));
    }
    query
        .order(o::created_at.asc())
        .select(OrganisationRow::as_select())
        .first(conn)
        .optional()?
        .map(Organisation::try_from)
        .transpose()
}

#[derive(Clone, Debug, Default)]
pub struct OrganisationFilter {
    pub verified: Option<bool>,
    pub kind: Option<OrganisationKind>,
}

/// Newest first.
pub fn list(
    conn: &mut DbConnection,
    filter: &OrganisationFilter,
    page: PageRequest,
) -> StoreResult<Page<Organisation>> {
    let query = || {
        let mut query = o::organisations.into_boxed();
        if let Some(verified) = filter.verified {
            query = query.filter(o::verified.eq(verified));
        }
        if let Some(kind) = filter.kind {
            query = query.filter(o::kind.eq(kind.as_str()));
        }
        query
    };
    let total: i64 = query().count().get_result(conn)?;
    let rows = query()
        .order((o::created_at.desc(), o::id.desc()))
        .limit(page.limit())
        .offset(page.offset())
        .select(OrganisationRow::as_select())
        .load(conn)?;
    Ok(Page::new(convert_all(rows)?, page, total))
}

/// Marks the organisation verified by `operator`; `true` when this call verified it.
/// Verifying twice keeps the first verification's time and operator.
pub fn verify(
    conn: &mut DbConnection,
    id: OrganisationId,
    operator: UserId,
) -> StoreResult<(Organisation, bool)> {
    let changed = diesel::update(
        o::organisations
            .find(id.to_string())
            .filter(o::verified.eq(false)),
    )
    .set((
        o::verified.eq(true),
        o::verified_at.eq(Some(time::now())),
        o::verified_by.eq(Some(operator.to_string())),
    ))
    .execute(conn)?;
    Ok((get(conn, id)?, changed > 0))
}

/// The fields of an organisation's profile that change after it registered (its
/// kind does not).
pub struct Profile<'a> {
    pub name: &'a str,
    pub province: Option<&'a str>,
    pub country: &'a str,
    pub website: Option<&'a str>,
}

/// Replaces an organisation's [`Profile`].
pub fn update_profile(
    conn: &mut DbConnection,
    id: OrganisationId,
    profile: Profile<'_>,
) -> StoreResult<Organisation> {
    let changed = diesel::update(o::organisations.find(id.to_string()))
        .set((
            o::name.eq(profile.name),
            o::province.eq(profile.province),
            o::country.eq(profile.country),
            o::website.eq(profile.website),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Err(crate::StoreError::NotFound);
    }
    get(conn, id)
}

/// The organisations with these ids (unknown ids are left out).
pub fn get_many(
    conn: &mut DbConnection,
    ids: &[OrganisationId],
) -> StoreResult<std::collections::HashMap<OrganisationId, Organisation>> {
    // Callers pass one id per listing or interest: many repeat an organisation.
    let keys: std::collections::BTreeSet<String> = ids.iter().map(ToString::to_string).collect();
    let rows = o::organisations
        .filter(o::id.eq_any(keys))
        .select(OrganisationRow::as_select())
        .load(conn)?;
    convert_all::<_, Organisation>(rows)
        .map(|orgs| orgs.into_iter().map(|org| (org.id, org)).collect())
}
