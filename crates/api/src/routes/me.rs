//! The signed-in user's own account: reading it, correcting their name, changing
//! their password.

use std::time::Instant;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use techex_domain::{AuditAction, FullName, NewAuditEntry, Password, ValidationErrors};
use techex_store::repo::{audit, listings, organisations, password_resets, users};
use techex_store::store::write_transaction;
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::extract::JsonBody;
use crate::problem::ApiError;
use crate::routes::auth::{required, too_many_attempts};
use crate::routes::{Unchangeable, refuse_unchangeable};
use crate::state::AppState;
use crate::views::AccountView;

/// The signed-in user and their organisation.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])), responses(
    (status = 200, body = AccountView),
    (status = 401, body = crate::problem::Problem, content_type = "application/problem+json"),
))]
pub async fn me(state: web::Data<AppState>, auth: AuthUser) -> Result<HttpResponse, ApiError> {
    let organisation_id = auth.user.organisation_id;
    let organisation = state
        .db(move |conn| organisations::get(conn, organisation_id))
        .await?;
    Ok(HttpResponse::Ok().json(AccountView {
        user: auth.user.into(),
        organisation: organisation.into(),
    }))
}

/// What a user may change of their own account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    /// 1–200 characters.
    #[schema(required = true)]
    pub full_name: Option<String>,
    /// Not changeable: the address is the sign-in name and where invitations and
    /// contact details go. Refused with a reason.
    #[schema(value_type = Option<String>)]
    pub email: Unchangeable,
    /// Not changeable here: operators assign roles. Refused with a reason.
    #[schema(value_type = Option<String>)]
    pub role: Unchangeable,
}

/// Corrects the signed-in user's name, as colleagues, operators and the other
/// side of an accepted interest see it.
#[utoipa::path(patch, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    request_body = ProfilePatch,
    responses(
        (status = 200, body = AccountView),
        (status = 400, body = crate::problem::Problem, content_type = "application/problem+json", description = "invalid fields, each named"),
        (status = 401, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    JsonBody(patch): JsonBody<ProfilePatch>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = ValidationErrors::new();
    refuse_unchangeable(
        &mut errors,
        &[
            (
                "email",
                &patch.email,
                "cannot be changed: it is the sign-in name; a new address needs a new account, by invitation",
            ),
            (
                "role",
                &patch.role,
                "cannot be changed here: operators assign roles",
            ),
        ],
    );
    let full_name = errors.check(
        "full_name",
        required(&patch.full_name).and_then(FullName::parse),
    );
    let (Some(full_name), true) = (full_name, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let user = auth.user.id;
    let organisation = auth.user.organisation_id;
    let client_ip = state.client_ip(&req);
    let (user, organisation) = state
        .db(move |conn| {
            write_transaction(conn, |conn| {
                let updated = users::set_full_name(conn, user, full_name.as_str())?;
                audit::append(
                    conn,
                    &NewAuditEntry::new(AuditAction::ProfileUpdated)
                        .actor(user)
                        .object("user", user)
                        .detail(format!("full name {:?}", updated.full_name))
                        .client_ip(client_ip),
                )?;
                Ok::<_, ApiError>((updated, organisations::get(conn, organisation)?))
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(AccountView {
        user: user.into(),
        organisation: organisation.into(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeRequest {
    #[schema(required = true)]
    pub current_password: Option<String>,
    /// 10–128 characters, not the current password.
    #[schema(required = true)]
    pub new_password: Option<String>,
}

/// Changes the signed-in user's password. Every access token issued until now,
/// this one included, stops working: the user signs in again with the new password,
/// and whoever else held a token is signed out.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", security(("bearer" = [])),
    request_body = PasswordChangeRequest,
    responses(
        (status = 204, description = "changed; sign in again"),
        (status = 400, body = crate::problem::Problem, content_type = "application/problem+json", description = "invalid fields, each named; a wrong current password is an invalid `current_password`"),
        (status = 401, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 429, body = crate::problem::Problem, content_type = "application/problem+json", description = "too many wrong passwords, counted with failed logins; see Retry-After"),
    ))]
pub async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    JsonBody(body): JsonBody<PasswordChangeRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = ValidationErrors::new();
    let current = errors.check(
        "current_password",
        required(&body.current_password).map(str::to_owned),
    );
    let new = errors.check(
        "new_password",
        required(&body.new_password).and_then(Password::parse),
    );
    if let (Some(current), Some(new)) = (&current, &new)
        && current == new.expose()
    {
        errors.add("new_password", "must differ from the current password");
    }
    let (Some(current), Some(new), true) = (current, new, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };

    // Counted with failed logins, under the same keys: a stolen token must not let
    // its holder guess the password here without limit.
    let client_ip = state.client_ip(&req);
    let address = client_ip.clone().unwrap_or_else(|| "unknown".into());
    let account = auth.user.email.as_str().to_owned();
    let now = Instant::now();
    state
        .throttle
        .attempt(&address, &account, now)
        .map_err(too_many_attempts)?;
    let email = auth.user.email.clone();
    let stored = state
        .db(move |conn| users::find_credentials(conn, &email))
        .await?
        .map(|(_, hash)| hash);
    if !state.passwords.verify_typed(stored, current).await? {
        state
            .audit(
                NewAuditEntry::new(AuditAction::LoginFailed)
                    .actor(auth.user.id)
                    .object("account", &account)
                    .detail("wrong current password when changing it")
                    .client_ip(client_ip),
            )
            .await;
        return Err(ApiError::validation(
            "current_password",
            "is not the account's password",
        ));
    }
    state.throttle.succeeded(&address, &account);

    let hash = state.passwords.hash(new).await?;
    let user = auth.user.id;
    state
        .db(move |conn| {
            write_transaction(conn, |conn| {
                users::set_password(conn, user, &hash)?;
                // A reset an operator issued earlier is pointless now, and a risk.
                password_resets::revoke_for(conn, user, listings::now())?;
                audit::append(
                    conn,
                    &NewAuditEntry::new(AuditAction::PasswordChanged)
                        .actor(user)
                        .object("user", user)
                        .client_ip(client_ip),
                )?;
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
