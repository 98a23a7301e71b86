//! Organisations: operators list and verify them; members see their own.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use techex_domain::{
    AccessDenied, AuditAction, NewAuditEntry, NewOrganisation, OrganisationId, OrganisationInput,
    OrganisationKind, ValidationErrors,
};
use techex_store::repo::audit;
use techex_store::repo::organisations::{self, OrganisationFilter};
use techex_store::repo::users::{self, UserFilter};
use techex_store::store::write_transaction;
use utoipa::{IntoParams, ToSchema};

use crate::auth::extract::{deny, not_found};
use crate::auth::{AuthUser, OperatorUser};
use crate::extract::{JsonBody, OptionalJsonBody, Query, path_id};
use crate::problem::ApiError;
use crate::routes::{Paging, Unchangeable, refuse_unchangeable};
use crate::state::AppState;
use crate::views::{OrganisationView, PageView, UserView};
use crate::vocabularies;

#[derive(Debug, Deserialize, IntoParams)]
pub struct OrganisationQuery {
    /// Only verified (`true`) or unverified (`false`) organisations.
    pub verified: Option<bool>,
    /// research_institute, university, enterprise, startup or exchange.
    #[param(value_type = Option<vocabularies::OrganisationKind>)]
    pub kind: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// Lists organisations, newest first (operators).
#[utoipa::path(get, path = "/api/v1/organisations", tag = "organisations", security(("bearer" = [])),
    params(OrganisationQuery),
    responses(
        (status = 200, body = PageView<OrganisationView>),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    state: web::Data<AppState>,
    _operator: OperatorUser,
    Query(query): Query<OrganisationQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .request()?;
    let kind = super::choice::<OrganisationKind>("kind", query.kind.as_deref())?;
    let filter = OrganisationFilter {
        verified: query.verified,
        kind,
    };
    let page = state
        .db(move |conn| organisations::list(conn, &filter, page))
        .await?;
    Ok(HttpResponse::Ok().json(PageView::<OrganisationView>::from_page(page)))
}

/// One organisation: to operators and to the organisation's own members; 404 to
/// anyone else, so ids cannot be probed.
#[utoipa::path(get, path = "/api/v1/organisations/{id}", tag = "organisations", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "organisation id")),
    responses(
        (status = 200, body = OrganisationView),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = visible_organisation(&req, &auth, &id).await?;
    let organisation = state
        .db(move |conn| organisations::get(conn, id))
        .await
        .map_err(not_found("organisation"))?;
    Ok(HttpResponse::Ok().json(OrganisationView::from(organisation)))
}

/// The organisation `raw_id` names if the caller may see it: operators see every
/// one, members their own; to anyone else it does not exist (the refusal is audited).
async fn visible_organisation(
    req: &HttpRequest,
    auth: &AuthUser,
    raw_id: &str,
) -> Result<OrganisationId, ApiError> {
    let id: OrganisationId = path_id(raw_id, "id")?;
    let actor = auth.actor();
    if !actor.role.is_operator() && actor.organisation_id != id {
        deny(
            req,
            actor.user_id,
            AccessDenied("not a member of this organisation".into()),
        )
        .await;
        return Err(ApiError::NotFound("no such organisation".into()));
    }
    Ok(id)
}

/// An organisation's accounts, newest first: to operators and to its own members,
/// who see who else acts for it (and whom they invited).
#[utoipa::path(get, path = "/api/v1/organisations/{id}/members", tag = "organisations", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "organisation id"), Paging),
    responses(
        (status = 200, body = PageView<UserView>),
        (status = 400, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn members(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    id: web::Path<String>,
    Query(paging): Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    let id = visible_organisation(&req, &auth, &id).await?;
    let page = paging.request()?;
    let filter = UserFilter {
        organisation_id: Some(id),
        ..UserFilter::default()
    };
    let members = state
        .db(move |conn| {
            organisations::get(conn, id)?;
            users::list(conn, &filter, page)
        })
        .await
        .map_err(not_found("organisation"))?;
    Ok(HttpResponse::Ok().json(PageView::<UserView>::from_page(members)))
}

/// The profile fields an organisation may correct; an absent field is kept, an
/// empty string clears the province or the website.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationPatch {
    /// In Vietnam, a province code or name from GET /api/v1/taxonomy/provinces.
    pub province: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// http:// or https:// address.
    pub website: Option<String>,
    /// Operators only (a renamed university, a misspelt registration): the name is
    /// what operators verified, so members are refused with a reason. Checked as at
    /// registration; another verified organisation's name is a 409.
    pub name: Option<String>,
    /// Not changeable: what the organisation is, which operators verified. Refused
    /// with a reason.
    #[schema(value_type = Option<String>)]
    pub kind: Unchangeable,
}

/// Corrects an organisation's province, country or website: by its members and by
/// operators. Operators may also rename it; its kind is not changed.
#[utoipa::path(patch, path = "/api/v1/organisations/{id}", tag = "organisations", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "organisation id")),
    request_body = OrganisationPatch,
    responses(
        (status = 200, body = OrganisationView),
        (status = 400, body = crate::problem::Problem, content_type = "application/problem+json", description = "invalid fields, each named"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::problem::Problem, content_type = "application/problem+json", description = "another verified organisation has that name"),
    ))]
pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    id: web::Path<String>,
    JsonBody(patch): JsonBody<OrganisationPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = visible_organisation(&req, &auth, &id).await?;
    let mut errors = ValidationErrors::new();
    let verified = "cannot be changed: an operator verified it; ask the exchange";
    if patch.name.is_some() && !auth.actor().role.is_operator() {
        errors.add("name", verified);
    }
    refuse_unchangeable(&mut errors, &[("kind", &patch.kind, verified)]);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let current = state
        .db(move |conn| organisations::get(conn, id))
        .await
        .map_err(not_found("organisation"))?;
    // The whole profile is checked again, as at registration: a province is valid
    // only with its country.
    let kind = current.kind.as_str();
    let checked = NewOrganisation::parse(OrganisationInput {
        name: Some(patch.name.as_deref().unwrap_or(&current.name)),
        kind: Some(kind),
        province: patch.province.as_deref().or(current.province.as_deref()),
        country: patch.country.as_deref().or(Some(&current.country)),
        website: patch.website.as_deref().or(current.website.as_deref()),
    })
    .map_err(ApiError::Validation)?;
    let renamed = (checked.name != current.name).then(|| current.name.clone());
    if renamed.is_some() {
        // As at registration: two verified organisations of one name could not be
        // told apart by the members who join them or the enterprises that read it.
        let name = checked.name.clone();
        let taken = state
            .db(move |conn| organisations::find_by_name(conn, &name, None))
            .await?
            .is_some_and(|other| other.id != id);
        if taken {
            return Err(ApiError::Conflict(format!(
                "name: another verified organisation is named '{}'",
                checked.name
            )));
        }
    }
    let actor = auth.user.id;
    let client_ip = state.client_ip(&req);
    let updated = state
        .db(move |conn| {
            write_transaction(conn, |conn| {
                let updated = organisations::update_profile(
                    conn,
                    id,
                    organisations::Profile {
                        name: &checked.name,
                        province: checked.province.as_deref(),
                        country: &checked.country,
                        website: checked.website.as_deref(),
                    },
                )?;
                let renamed = renamed
                    .map(|old| format!("renamed from {old:?} to {:?}; ", updated.name))
                    .unwrap_or_default();
                audit::append(
                    conn,
                    &NewAuditEntry::new(AuditAction::OrganisationUpdated)
                        .actor(actor)
                        .object("organisation", id)
                        .detail(format!(
                            "{renamed}province {:?}, country {}, website {:?}",
                            updated.province, updated.country, updated.website
                        ))
                        .client_ip(client_ip),
                )?;
                Ok::<_, ApiError>(updated)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(OrganisationView::from(updated)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// What was checked (business registration, a call to the institute …); kept in
    /// the audit log.
    pub note: Option<String>,
}

/// Marks an organisation verified (operators). Verifying again changes nothing.
#[utoipa::path(post, path = "/api/v1/organisations/{id}/verify", tag = "organisations", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "organisation id")),
    request_body(content = Option<VerifyRequest>, description = "optional"),
    responses(
        (status = 200, body = OrganisationView),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn verify(
    state: web::Data<AppState>,
    req: HttpRequest,
    OperatorUser(operator): OperatorUser,
    id: web::Path<String>,
    OptionalJsonBody(body): OptionalJsonBody<VerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    let id: OrganisationId = path_id(&id, "id")?;
    let note = body
        .and_then(|b| b.note)
        .map(|n| techex_domain::validation::bounded_text(&n, 1, 1000))
        .transpose()
        .map_err(|e| ApiError::validation("note", e))?;
    let operator_id = operator.user.id;
    let client_ip = state.client_ip(&req);
    let organisation = state
        .db(move |conn| {
            write_transaction(conn, |conn| {
                let (organisation, changed) = organisations::verify(conn, id, operator_id)?;
                if changed {
                    let mut entry = NewAuditEntry::new(AuditAction::OrganisationVerified)
                        .actor(operator_id)
                        .object("organisation", id)
                        .client_ip(client_ip);
                    entry.detail = note;
                    audit::append(conn, &entry)?;
                }
                Ok::<_, ApiError>(organisation)
            })
        })
        .await
        .map_err(not_found("organisation"))?;
    Ok(HttpResponse::Ok().json(OrganisationView::from(organisation)))
}
