//! User administration (operators): list, disable, enable, change role.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use techex_domain::validation::bounded_text;
use techex_domain::{
    AccessDenied, Actor, AuditAction, NewAuditEntry, OrganisationId, Role, User, UserId,
};
use techex_store::repo::password_resets::{self, NewPasswordReset};
use techex_store::repo::users::{self, UserFilter};
use techex_store::repo::{audit, invitations, listings};
use techex_store::store::write_transaction;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::extract::{deny, not_found};
use crate::auth::{OperatorUser, one_time_token};
use crate::extract::{JsonBody, Query, path_id};
use crate::problem::ApiError;
use crate::routes::Paging;
use crate::state::AppState;
use crate::views::{PageView, UserView};
use crate::vocabularies;

#[derive(Debug, Deserialize, IntoParams)]
pub struct UserQuery {
    pub organisation_id: Option<uuid::Uuid>,
    /// member, operator or admin.
    #[param(value_type = Option<vocabularies::Role>)]
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
    let role = super::choice::<Role>("role", query.role.as_deref())?;
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
    #[schema(value_type = vocabularies::Role)]
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

/// How long a password reset can be used: the operator passes it on by telephone
/// or in person, the same day.
pub const PASSWORD_RESET_VALID_FOR_HOURS: i64 = 24;

/// A password reset: its token is shown only in this answer.
#[derive(Serialize, ToSchema)]
pub struct PasswordResetView {
    pub user_id: Uuid,
    pub expires_at: DateTime<Utc>,
    /// Give this to the user, once sure who they are: `POST /api/v1/auth/reset-password`
    /// takes it with a new password. Shown only now.
    pub token: String,
}

/// Issues a password reset for a user who forgot theirs (techex sends no e-mail:
/// the operator passes the token on). It replaces any earlier pending reset; the
/// password stays until the token is used.
#[utoipa::path(post, path = "/api/v1/users/{id}/password-reset", tag = "users", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "user id")), request_body = ReasonRequest,
    responses(
        (status = 201, body = PasswordResetView),
        (status = 400, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn password_reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    OperatorUser(operator): OperatorUser,
    id: web::Path<String>,
    JsonBody(body): JsonBody<ReasonRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = operator.actor();
    let (target, reason) = managed_account(&state, &req, &actor, &id, &body.reason, |target| {
        actor.ensure_can_manage(target)
    })
    .await?;
    let (token, token_sha256) = one_time_token::generate(one_time_token::RESET_PREFIX);
    let (id, user, by) = (Uuid::now_v7(), target.id, actor.user_id);
    let now = listings::now();
    let expires_at = now + Duration::hours(PASSWORD_RESET_VALID_FOR_HOURS);
    let client_ip = state.client_ip(&req);
    state
        .db(move |conn| {
            write_transaction(conn, |conn| {
                let reset = NewPasswordReset {
                    id,
                    user,
                    token_sha256: &token_sha256,
                    created_by: by,
                    created_at: now,
                    expires_at,
                };
                password_resets::issue_replacing(conn, &reset)?;
                audit::append(
                    conn,
                    &NewAuditEntry::new(AuditAction::PasswordResetIssued)
                        .actor(by)
                        .object("user", user)
                        .detail(reason)
                        .client_ip(client_ip),
                )?;
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(PasswordResetView {
            user_id: user.as_uuid(),
            expires_at,
            token,
        }))
}

/// The account `raw_id` names and the checked `reason`, if `allowed` lets the
/// operator act on it (a refusal is audited).
async fn managed_account(
    state: &AppState,
    req: &HttpRequest,
    actor: &Actor,
    raw_id: &str,
    reason: &str,
    allowed: impl FnOnce(&User) -> Result<(), AccessDenied>,
) -> Result<(User, String), ApiError> {
    let id: UserId = path_id(raw_id, "id")?;
    let reason = bounded_text(reason, 1, 1000).map_err(|e| ApiError::validation("reason", e))?;
    let target = state
        .db(move |conn| users::get(conn, id))
        .await
        .map_err(not_found("user"))?;
    if let Err(denied) = allowed(&target) {
        return Err(deny(req, actor.user_id, denied).await);
    }
    Ok((target, reason))
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
    let actor = operator.actor();
    let (target, reason) =
        managed_account(
            &state,
            &req,
            &actor,
            raw_id,
            reason,
            |target| match change {
                Change::Disabled(_) => actor.ensure_can_manage(target),
                Change::Role(role) => actor.ensure_can_grant(target, role),
            },
        )
        .await?;
    let id = target.id;
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
