//! Invitations to the caller's organisation: a member invites a colleague by e-mail
//! address (the answer carries the token, shown once), lists those pending and
//! revokes one. The colleague joins with `POST /api/v1/auth/join`. Another
//! organisation's invitation is "not found" (the refusal is audited).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use techex_domain::{AccessDenied, AuditAction, Email, NewAuditEntry};
use techex_store::repo::invitations::{self, Invitation, NewInvitation};
use techex_store::repo::{audit, listings, users};
use techex_store::store::write_transaction;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::auth::extract::{deny, not_found};
use crate::auth::one_time_token;
use crate::extract::{JsonBody, path_id};
use crate::problem::ApiError;
use crate::routes::auth::{EMAIL_TAKEN, required};
use crate::state::AppState;

type Problem = crate::problem::Problem;

/// How long an invitation can be used: long enough for a colleague back from a
/// week away, short enough that a forgotten token stops working.
pub const VALID_FOR_DAYS: i64 = 14;
/// Pending invitations an organisation may have at once.
pub const MAX_PENDING: i64 = 100;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationRequest {
    /// The colleague's e-mail address; they must join with this address.
    #[schema(required = true)]
    pub email: Option<String>,
}

/// A pending invitation (its token is never shown again).
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationView {
    pub id: Uuid,
    pub email: String,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl From<Invitation> for InvitationView {
    fn from(invitation: Invitation) -> Self {
        Self {
            id: invitation.id,
            email: invitation.email,
            created_by: invitation.created_by.as_uuid(),
            created_at: invitation.created_at,
            expires_at: invitation.expires_at,
        }
    }
}

/// The answer to an invitation: the invitation and, this once, its token, which
/// the inviter passes to the colleague (techex sends no e-mail).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedInvitationView {
    #[serde(flatten)]
    pub invitation: InvitationView,
    /// Give this to the colleague: `POST /api/v1/auth/join` takes it. Shown only now.
    pub token: String,
}

/// Invites a colleague to the caller's organisation. Inviting the same address
/// again replaces the earlier invitation, whose token stops working.
#[utoipa::path(post, path = "/api/v1/invitations", tag = "invitations", security(("bearer" = [])),
    request_body = InvitationRequest,
    responses(
        (status = 201, body = CreatedInvitationView),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "bad e-mail address, named"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "the address already has an account, or the organisation has the most pending invitations allowed"),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    JsonBody(body): JsonBody<InvitationRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = required(&body.email)
        .and_then(Email::parse)
        .map_err(|message| ApiError::validation("email", message))?;
    let (token, token_sha256) = one_time_token::generate(one_time_token::INVITATION_PREFIX);
    let now = listings::now();
    let invitation = InvitationView {
        id: Uuid::now_v7(),
        email: email.as_str().to_owned(),
        created_by: auth.user.id.as_uuid(),
        created_at: now,
        expires_at: now + Duration::days(VALID_FOR_DAYS),
    };
    let (id, organisation, by, expires_at) = (
        invitation.id,
        auth.user.organisation_id,
        auth.user.id,
        invitation.expires_at,
    );
    let client_ip = state.client_ip(&req);
    state
        .db(move |conn| {
            write_transaction(conn, |conn| {
                if users::exists_with_email(conn, &email)? {
                    return Err(ApiError::Conflict(EMAIL_TAKEN.into()));
                }
                if invitations::count_pending(conn, organisation, now)? >= MAX_PENDING {
                    return Err(ApiError::Conflict(format!(
                        "an organisation may have at most {MAX_PENDING} pending invitations; revoke one first"
                    )));
                }
                let new = NewInvitation {
                    id,
                    organisation,
                    email: &email,
                    token_sha256: &token_sha256,
                    created_by: by,
                    created_at: now,
                    expires_at,
                };
                invitations::insert_replacing(conn, &new)?;
                audit::append(
                    conn,
                    &NewAuditEntry::new(AuditAction::InvitationCreated)
                        .actor(by)
                        .object("invitation", id)
                        .detail(format!("invited {email}"))
                        .client_ip(client_ip),
                )?;
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/invitations/{id}")))
        .json(CreatedInvitationView { invitation, token }))
}

/// The caller's organisation's pending invitations, oldest first (without tokens).
#[utoipa::path(get, path = "/api/v1/invitations", tag = "invitations", security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<InvitationView>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(state: web::Data<AppState>, auth: AuthUser) -> Result<HttpResponse, ApiError> {
    let organisation = auth.user.organisation_id;
    let now = listings::now();
    let pending = state
        .db(move |conn| invitations::list_pending(conn, organisation, now))
        .await?;
    Ok(HttpResponse::Ok().json(
        pending
            .into_iter()
            .map(InvitationView::from)
            .collect::<Vec<_>>(),
    ))
}

/// Revokes a pending invitation of the caller's organisation: its token stops working.
#[utoipa::path(delete, path = "/api/v1/invitations/{id}", tag = "invitations", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "invitation id")),
    responses(
        (status = 204, description = "revoked"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "no pending invitation of the caller's organisation has this id"),
    ))]
pub async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: Uuid = path_id(&id, "id")?;
    let invitation = state
        .db(move |conn| invitations::get(conn, id))
        .await
        .map_err(not_found("pending invitation"))?;
    if invitation.organisation != auth.user.organisation_id {
        deny(
            &req,
            auth.user.id,
            AccessDenied("invitation of another organisation".into()),
        )
        .await;
        return Err(ApiError::NotFound("no such pending invitation".into()));
    }
    let actor = auth.user.id;
    let client_ip = state.client_ip(&req);
    state
        .db(move |conn| {
            write_transaction(conn, |conn| {
                invitations::revoke(conn, id, listings::now())?;
                audit::append(
                    conn,
                    &NewAuditEntry::new(AuditAction::InvitationRevoked)
                        .actor(actor)
                        .object("invitation", id)
                        .detail(format!("revoked the invitation of {}", invitation.email))
                        .client_ip(client_ip),
                )?;
                Ok::<_, ApiError>(())
            })
        })
        .await
        .map_err(not_found("pending invitation"))?;
    Ok(HttpResponse::NoContent().finish())
}
