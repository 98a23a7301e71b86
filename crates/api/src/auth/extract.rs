//! Extractors that authenticate: a handler that takes [`AuthUser`] only runs for a
//! valid token of an enabled account, one that takes [`OperatorUser`] only for an
//! operator. Every refusal is written to the audit log.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use techex_domain::{AccessDenied, Actor, AuditAction, NewAuditEntry, User, UserId};
use techex_store::repo::users;

use crate::auth::gate::AuthGate;
use crate::problem::ApiError;
use crate::state::AppState;

/// The authenticated user. Role and disabled state come from the database on every
/// request, so a demotion or a disabled account takes effect at once, not when the
/// token expires.
pub struct AuthUser {
    pub user: User,
}

impl AuthUser {
    pub fn actor(&self) -> Actor {
        Actor::from(&self.user)
    }
}

/// An authenticated operator (or admin).
pub struct OperatorUser(pub AuthUser);

/// The caller, when a token is sent: anonymous callers are welcome on public
/// routes, but a token that is sent must be valid.
pub struct MaybeAuthUser(pub Option<AuthUser>);

impl MaybeAuthUser {
    pub fn actor(&self) -> Option<Actor> {
        self.0.as_ref().map(AuthUser::actor)
    }
}

impl FromRequest for MaybeAuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        let settles = AuthGate::open(&req);
        Box::pin(async move {
            let _settles = settles;
            if req.headers().contains_key(header::AUTHORIZATION) {
                authenticate(&req)
                    .await
                    .map(|user| MaybeAuthUser(Some(user)))
            } else {
                Ok(MaybeAuthUser(None))
            }
        })
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        let settles = AuthGate::open(&req);
        Box::pin(async move {
            let _settles = settles;
            authenticate(&req).await
        })
    }
}

impl FromRequest for OperatorUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        let settles = AuthGate::open(&req);
        Box::pin(async move {
            let _settles = settles;
            let user = authenticate(&req).await?;
            if let Err(denied) = user.actor().ensure_operator() {
                return Err(deny(&req, user.user.id, denied).await);
            }
            Ok(OperatorUser(user))
        })
    }
}

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("AppState is not registered")))
}

async fn authenticate(req: &HttpRequest) -> Result<AuthUser, ApiError> {
    let state = state(req)?;
    let Some(token) = bearer_token(req) else {
        return Err(refuse(
            &state,
            req,
            "missing bearer token",
            "an access token is required: send Authorization: Bearer <token>",
        )
        .await);
    };
    let claims = match state.tokens.verify(token) {
        Ok(claims) => claims,
        Err(reason) => {
            return Err(refuse(
                &state,
                req,
                &format!("invalid token: {reason}"),
                "the access token is invalid or has expired",
            )
            .await);
        }
    };
    let Ok(user_id) = claims.sub.parse::<UserId>() else {
        return Err(refuse(
            &state,
            req,
            "invalid token: bad subject",
            "the access token is invalid or has expired",
        )
        .await);
    };
    let user = match state.db(move |conn| users::get(conn, user_id)).await {
        Ok(user) => user,
        Err(ApiError::NotFound(_)) => {
            return Err(refuse(
                &state,
                req,
                "token of a deleted account",
                "the account no longer exists",
            )
            .await);
        }
        Err(error) => return Err(error),
    };
    if user.disabled {
        return Err(refuse(
            &state,
            req,
            "token of a disabled account",
            "the account is disabled",
        )
        .await);
    }
    if user.tokens_revoked_at.is_some_and(|revoked| {
        claims.issued_at_ms() <= u64::try_from(revoked.timestamp_millis()).unwrap_or(0)
    }) {
        return Err(refuse(
            &state,
            req,
            "token issued before the account was disabled",
            "the access token was revoked; log in again",
        )
        .await);
    }
    Ok(AuthUser { user })
}

fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Audits an unauthenticated request and returns its 401.
async fn refuse(state: &AppState, req: &HttpRequest, reason: &str, detail: &str) -> ApiError {
    state
        .audit(
            NewAuditEntry::new(AuditAction::AccessDenied)
                .object("route", format!("{} {}", req.method(), req.path()))
                .detail(reason)
                .client_ip(state.client_ip(req)),
        )
        .await;
    ApiError::Unauthenticated(detail.to_owned())
}

/// Audits an authenticated user's refused action and returns its 403. Handlers call
/// this for object-level refusals too, so every denial is recorded the same way.
pub async fn deny(req: &HttpRequest, actor: UserId, denied: AccessDenied) -> ApiError {
    if let Ok(state) = state(req) {
        state
            .audit(
                NewAuditEntry::new(AuditAction::AccessDenied)
                    .actor(actor)
                    .object("route", format!("{} {}", req.method(), req.path()))
                    .detail(denied.0.clone())
                    .client_ip(state.client_ip(req)),
            )
            .await;
    }
    ApiError::from(denied)
}

/// A missing object is reported as such; other store errors pass through.
pub fn not_found(what: &str) -> impl Fn(ApiError) -> ApiError + '_ {
    move |error| match error {
        ApiError::NotFound(_) => ApiError::NotFound(format!("no such {what}")),
        other => other,
    }
}
