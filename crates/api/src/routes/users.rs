//! User administration (operators): list, disable, enable, change role.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use techex_domain::validation::bounded_text;
use techex_domain::{AuditAction, NewAuditEntry, OrganisationId, Role, UserId, ValidationErrors};
use techex_store::repo::users::{self, UserFilter};
use techex_store::repo::{audit, invitations, listings};
use techex_store::store::write_transaction;
use utoipa::{IntoParams, ToSchema};

use crate::auth::OperatorUser;
use crate::auth::extract::{deny, not_found};
use crate::extract::{JsonBody, Query, path_id};
use crate::problem::ApiError;
use crate::routes::Paging;
use crate::state::AppState;
use crate::views::{PageView, UserView};

#[derive(Debug, Deserialize, IntoParams)]
pub struct UserQuery {
    pub organisation_id: Option<uuid::Uuid>,
    /// member, operator or admin.
    pub role: Option<String>,
    pub disabled: Option<bool>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// Lists users, newest first (operators).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])), params(UserQuery),
    responses(
        (status = 200, body = PageView<UserView>),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    state: web::Data<AppState>,
    _operator: OperatorUser,
    Query(query): Query<UserQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .request()?;
    let role = query
        .role
        .as_deref()
        .map(str::parse::<Role>)
        .transpose()
        .map_err(|e| ApiError::validation("role", e))?;
    let filter = UserFilter {
        organisation_id: query.organisation_id.map(OrganisationId::from_uuid),
        role,
        disabled: query.disabled,
    };
    let page = state
        .db(move |conn| users::list(conn, &filter, page))
        .await?;
    Ok(HttpResponse::Ok().json(PageView::<UserView>::from_page(page)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    /// Why; kept in the audit log. 1–1000 characters.
    pub reason: String,
}

/// Disables an account: its tokens stop working at once and it cannot log in.
#[utoipa::path(post, path = "/api/v1/users/{id}/disable", tag = "users", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "user id")), request_body = ReasonRequest,
    responses(
        (status = 200, body = UserView),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn disable(
    state: web::Data<AppState>,
    req: HttpRequest,
    operator: OperatorUser,
    id: web::Path<String>,
    JsonBody(body): JsonBody<ReasonRequest>,
) -> Result<HttpResponse, ApiError> {
    change(
        state,
        req,
        operator,
        &id,
        &body.reason,
        Change::Disabled(true),
    )
    .await
}

/// Re-enables a disabled account.
#[utoipa::path(post, path = "/api/v1/users/{id}/enable", tag = "users", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "user id")), request_body = ReasonRequest,
    responses(
        (status = 200, body = UserView),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn enable(
    state: web::Data<AppState>,
    req: HttpRequest,
    operator: OperatorUser,
    id: web::Path<String>,
    JsonBody(body): JsonBody<ReasonRequest>,
) -> Result<HttpResponse, ApiError> {
    change(
        state,
        req,
        operator,
        &id,
        &body.reason,
        Change::Disabled(false),
    )
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    /// member, operator or admin (admin only by an admin).
    pub role: String,
    pub reason: String,
}

/// Grants or withdraws the operator role.
#[utoipa::path(post, path = "/api/v1/users/{id}/role", tag = "users", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "user id")), request_body = RoleRequest,
    responses(
        (status = 200, body = UserView),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_role(
    state: web::Data<AppState>,
    req: HttpRequest,
    operator: OperatorUser,
    id: web::Path<String>,
    JsonBody(body): JsonBody<RoleRequest>,
) -> Result<HttpResponse, ApiError> {
    let role = body
        .role
        .parse::<Role>()
        .map_err(|e| ApiError::validation("role", e))?;
    change(state, req, operator, &id, &body.reason, Change::Role(role)).await
}

#[derive(Clone, Copy)]
enum Change {
    Disabled(bool),
    Role(Role),
}

/// The shared path of every account change: validate, check the rule in the
/// domain, apply and audit in one transaction.
async fn change(
    state: web::Data<AppState>,
    req: HttpRequest,
    OperatorUser(operator): OperatorUser,
    raw_id: &str,
    reason: &str,
    change: Change,
) -> Result<HttpResponse, ApiError> {
    let id: UserId = path_id(raw_id, "id")?;
    let mut errors = ValidationErrors::new();
    let reason = errors.check("reason", bounded_text(reason, 1, 1000));
    let Some(reason) = reason else {
        return Err(ApiError::Validation(errors));
    };
    let target = state
        .db(move |conn| users::get(conn, id))
        .await
        .map_err(not_found("user"))?;
    let actor = operator.actor();
    let allowed = match change {
        Change::Disabled(_) => actor.ensure_can_manage(&target),
        Change::Role(role) => actor.ensure_can_grant(&target, role),
    };
    if let Err(denied) = allowed {
        return Err(deny(&req, actor.user_id, denied).await);
    }
    let (action, detail) = match change {
        Change::Disabled(true) => (AuditAction::UserDisabled, reason),
        Change::Disabled(false) => (AuditAction::UserEnabled, reason),
        Change::Role(role) => (
            AuditAction::RoleChanged,
            format!("{} -> {role}: {reason}", target.role),
        ),
    };
    let client_ip = state.client_ip(&req);
    let updated = state
        .db(move |conn| {
            write_transaction(conn, |conn| {
                let mut detail = detail;
                let updated = match change {
                    Change::Disabled(disabled) => {
                        if disabled {
                            let revoked = invitations::revoke_made_by(conn, id, listings::now())?;
                            if revoked > 0 {
                                detail
                                    .push_str(&format!("; pending invitations revoked: {revoked}"));
                            }
                        }
                        users::set_disabled(conn, id, disabled)?
                    }
                    Change::Role(role) => users::set_role(conn, id, role)?,
                };
                audit::append(
                    conn,
                    &NewAuditEntry::new(action)
                        .actor(actor.user_id)
                        .object("user", id)
                        .detail(detail)
                        .client_ip(client_ip),
                )?;
                Ok::<_, ApiError>(updated)
            })
        })
        .await
        .map_err(not_found("user"))?;
    Ok(HttpResponse::Ok().json(UserView::from(updated)))
}
