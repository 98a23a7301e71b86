//! Registration and login.

use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use techex_domain::{
    AuditAction, Email, FullName, NewAuditEntry, NewOrganisation, NewUser, OrganisationId,
    OrganisationInput, Password, Role, UserId, ValidationErrors,
};
use techex_store::StoreError;
use techex_store::repo::{audit, invitations, listings, organisations, password_resets, users};
use techex_store::store::write_transaction;
use utoipa::ToSchema;

use crate::auth::one_time_token;
use crate::extract::JsonBody;
use crate::problem::ApiError;
use crate::state::AppState;
use crate::views::{AccountView, TokenView};
use crate::vocabularies;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub organisation: OrganisationForm,
    pub user: UserForm,
}

/// Every field is checked and all problems are reported together.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationForm {
    /// 2–200 characters.
    #[schema(required = true)]
    pub name: Option<String>,
    /// research_institute, university, enterprise or startup (an exchange is set
    /// up by its operators).
    #[schema(required = true, value_type = Option<vocabularies::RegisteringKind>)]
    pub kind: Option<String>,
    /// In Vietnam, a province code or name from GET /api/v1/taxonomy/provinces
    /// (stored as its code); abroad, free text.
    pub province: Option<String>,
    /// ISO 3166-1 alpha-2; default VN.
    pub country: Option<String>,
    /// http:// or https:// address.
    pub website: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserForm {
    #[schema(required = true)]
    pub email: Option<String>,
    /// 10–128 characters.
    #[schema(required = true)]
    pub password: Option<String>,
    #[schema(required = true)]
    pub full_name: Option<String>,
}

/// Registers an organisation (unverified) with its first member.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterRequest, responses(
    (status = 201, body = AccountView),
    (status = 400, body = crate::problem::Problem, content_type = "application/problem+json", description = "invalid fields, each named"),
    (status = 409, body = crate::problem::Problem, content_type = "application/problem+json", description = "the e-mail address is taken, or a verified organisation has this name (its staff join by invitation)"),
))]
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    JsonBody(body): JsonBody<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = ValidationErrors::new();
    let organisation = NewOrganisation::parse_registration(OrganisationInput {
        name: body.organisation.name.as_deref(),
        kind: body.organisation.kind.as_deref(),
        province: body.organisation.province.as_deref(),
        country: body.organisation.country.as_deref(),
        website: body.organisation.website.as_deref(),
    })
    .map_err(|e| errors.merge_prefixed("organisation", e))
    .ok();
    let user = body.user.check(&mut errors);
    let (Some(organisation), Some(user), true) = (organisation, user, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    // A verified organisation's staff join it by invitation rather than register a
    // double, which operators would have to tell apart; unverified names block
    // nothing, so nobody can squat an organisation's name before it registers.
    // Checked before the password is hashed, so a refusal costs no hashing.
    let name = organisation.name.clone();
    if state
        .db(move |conn| organisations::find_by_name(conn, &name, None))
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(format!(
            "organisation.name: a verified organisation named '{}' is registered; \
             ask one of its members for an invitation (POST /api/v1/invitations)",
            organisation.name
        )));
    }
    let user = user.into_member(&state, organisation.id).await?;
    let client_ip = state.client_ip(&req);
    let (organisation, user) = state
        .db(move |conn| {
            write_transaction(conn, |conn| {
                let account = users::register(conn, &organisation, &user).map_err(email_taken)?;
                audit::append(
                    conn,
                    &NewAuditEntry::new(AuditAction::UserRegistered)
                        .actor(user.id)
                        .object("organisation", organisation.id)
                        .detail(format!("{} registered {}", user.email, organisation.name))
                        .client_ip(client_ip),
                )?;
                Ok::<_, ApiError>(account)
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(AccountView {
        user: user.into(),
        organisation: organisation.into(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    /// The token of an invitation to the organisation (`POST /api/v1/invitations`).
    #[schema(required = true)]
    pub token: Option<String>,
    /// `email` must be the address the invitation was made for.
    pub user: UserForm,
}

/// Joins an organisation by invitation: makes a member account with the invited
/// address, and uses the invitation up.
#[utoipa::path(post, path = "/api/v1/auth/join", tag = "auth", request_body = JoinRequest, responses(
    (status = 201, body = AccountView),
    (status = 400, body = crate::problem::Problem, content_type = "application/problem+json", description = "invalid fields, each named; an unknown, used, revoked or expired token is an invalid `token`"),
    (status = 409, body = crate::problem::Problem, content_type = "application/problem+json", description = "the e-mail address is taken"),
))]
pub async fn join(
    state: web::Data<AppState>,
    req: HttpRequest,
    JsonBody(body): JsonBody<JoinRequest>,
) -> Result<HttpResponse, ApiError> {
    const UNUSABLE: &str =
        "is not a pending invitation: it is unknown, used, revoked or expired; ask for a new one";
    let mut errors = ValidationErrors::new();
    let token = errors.check("token", required(&body.token).map(str::to_owned));
    let user = body.user.check(&mut errors);
    let (Some(token), Some(user), true) = (token, user, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    // Checked before the password is hashed, so a wrong token costs no hashing.
    let token_sha256 = one_time_token::sha256(&token);
    let invitation = state
        .db(move |conn| invitations::find_pending_by_token(conn, &token_sha256, listings::now()))
        .await?
        .ok_or_else(|| ApiError::validation("token", UNUSABLE))?;
    if invitation.email != user.email.as_str() {
        return Err(ApiError::validation(
            "user.email",
            "must be the address the invitation was made for",
        ));
    }

    let user = user.into_member(&state, invitation.organisation).await?;
    let client_ip = state.client_ip(&req);
    let (organisation, user) = state
        .db(move |conn| {
            write_transaction(conn, |conn| {
                let joined = users::insert(conn, &user).map_err(email_taken)?;
                // Of two joins racing on one token, the second finds it used.
                invitations::accept(conn, invitation.id, joined.id, listings::now())
                    .map_err(|_| ApiError::validation("token", UNUSABLE))?;
                let organisation = organisations::get(conn, invitation.organisation)?;
                audit::append(
                    conn,
                    &NewAuditEntry::new(AuditAction::InvitationAccepted)
                        .actor(joined.id)
                        .object("invitation", invitation.id)
                        .detail(format!("{} joined {}", joined.email, organisation.name))
                        .client_ip(client_ip),
                )?;
                Ok::<_, ApiError>((organisation, joined))
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(AccountView {
        user: user.into(),
        organisation: organisation.into(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    /// The token of a password reset an operator issued (`POST /api/v1/users/{id}/password-reset`).
    #[schema(required = true)]
    pub token: Option<String>,
    /// 10–128 characters.
    #[schema(required = true)]
    pub new_password: Option<String>,
}

/// Sets a new password with a reset token. Every access token issued until now
/// stops working, and failed logins no longer hold the account back.
#[utoipa::path(post, path = "/api/v1/auth/reset-password", tag = "auth", request_body = ResetPasswordRequest, responses(
    (status = 204, description = "the new password is set; sign in with it"),
    (status = 400, body = crate::problem::Problem, content_type = "application/problem+json", description = "invalid fields, each named; an unknown, used, replaced or expired token is an invalid `token`"),
))]
pub async fn reset_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    JsonBody(body): JsonBody<ResetPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    const UNUSABLE: &str = "is not a pending password reset: it is unknown, used, replaced or \
                            expired; ask an operator for a new one";
    let mut errors = ValidationErrors::new();
    let token = errors.check("token", required(&body.token).map(str::to_owned));
    let password = errors.check(
        "new_password",
        required(&body.new_password).and_then(Password::parse),
    );
    let (Some(token), Some(password), true) = (token, password, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    // Checked before the password is hashed, so a wrong token costs no hashing.
    let token_sha256 = one_time_token::sha256(&token);
    let (reset, user) = state
        .db(move |conn| {
            password_resets::find_pending_by_token(conn, &token_sha256, listings::now())
        })
        .await?
        .ok_or_else(|| ApiError::validation("token", UNUSABLE))?;
    let password_hash = state.passwords.hash(password).await?;
    let client_ip = state.client_ip(&req);
    let email = state
        .db(move |conn| {
            write_transaction(conn, |conn| {
                // Of two uses racing on one token, the second finds it used.
                password_resets::use_up(conn, reset, listings::now())
                    .map_err(|_| ApiError::validation("token", UNUSABLE))?;
                users::set_password(conn, user, &password_hash)?;
                audit::append(
                    conn,
                    &NewAuditEntry::new(AuditAction::PasswordReset)
                        .actor(user)
                        .object("user", user)
                        .client_ip(client_ip),
                )?;
                Ok::<_, ApiError>(users::get(conn, user)?.email)
            })
        })
        .await?;
    // The throttle's account key is the address as typed at login, lower-cased.
    state.throttle.lift(email.as_str());
    Ok(HttpResponse::NoContent().finish())
}

/// The answer when an e-mail address already has an account.
pub const EMAIL_TAKEN: &str = "an account with this e-mail address already exists";

/// A new user's row refused by a unique index: only `users.email` has one.
fn email_taken(error: StoreError) -> ApiError {
    match error {
        StoreError::Conflict(_) => ApiError::Conflict(EMAIL_TAKEN.into()),
        other => other.into(),
    }
}

/// A user form's fields, each checked.
struct CheckedUser {
    email: Email,
    password: Password,
    full_name: FullName,
}

impl UserForm {
    /// The fields, or `None` with every problem added to `errors` under `user.`.
    fn check(&self, errors: &mut ValidationErrors) -> Option<CheckedUser> {
        let email = errors.check("user.email", required(&self.email).and_then(Email::parse));
        let password = errors.check(
            "user.password",
            required(&self.password).and_then(Password::parse),
        );
        let full_name = errors.check(
            "user.full_name",
            required(&self.full_name).and_then(FullName::parse),
        );
        Some(CheckedUser {
            email: email?,
            password: password?,
            full_name: full_name?,
        })
    }
}

impl CheckedUser {
    /// A new member of `organisation`, its password hashed (argon2: slow, off the
    /// worker thread).
    async fn into_member(
        self,
        state: &AppState,
        organisation: OrganisationId,
    ) -> Result<NewUser, ApiError> {
        Ok(NewUser {
            id: UserId::new(),
            email: self.email,
            password_hash: state.passwords.hash(self.password).await?,
            full_name: self.full_name,
            role: Role::Member,
            organisation_id: organisation,
        })
    }
}

pub(crate) fn required(value: &Option<String>) -> Result<&str, String> {
    value.as_deref().ok_or_else(|| "is required".to_owned())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Exchanges e-mail and password for a short-lived access token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, body = TokenView),
    (status = 401, body = crate::problem::Problem, content_type = "application/problem+json", description = "the same answer for an unknown e-mail and a wrong password"),
    (status = 429, body = crate::problem::Problem, content_type = "application/problem+json", description = "too many attempts; see Retry-After"),
))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    JsonBody(body): JsonBody<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let client_ip = state.client_ip(&req);
    let address = client_ip.clone().unwrap_or_else(|| "unknown".into());
    // The throttle key and the audit's record of what was typed: control characters
    // (a NUL would be refused by PostgreSQL) are dropped, the length is capped.
    let account: String = techex_domain::text::nfc(body.email.trim())
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_control())
        .take(254)
        .collect();
    let now = Instant::now();
    if let Err(wait) = state.throttle.attempt(&address, &account, now) {
        state.metrics.observe_login("throttled");
        state
            .audit(
                NewAuditEntry::new(AuditAction::LoginThrottled)
                    .object("account", &account)
                    .client_ip(client_ip),
            )
            .await;
        return Err(too_many_attempts(wait));
    }

    let credentials = match Email::existing(&body.email) {
        Ok(email) => {
            state
                .db(move |conn| users::find_credentials(conn, &email))
                .await?
        }
        Err(_) => None,
    };
    let (user, stored_hash) = credentials.unzip();
    let password_matches = state
        .passwords
        .verify_typed(stored_hash, body.password)
        .await?;

    match user {
        Some(user) if password_matches && !user.disabled => {
            state.throttle.succeeded(&address, &account);
            state.metrics.observe_login("succeeded");
            let token = state.tokens.issue(&user).map_err(ApiError::Internal)?;
            state
                .audit(
                    NewAuditEntry::new(AuditAction::LoginSucceeded)
                        .actor(user.id)
                        .object("user", user.id)
                        .client_ip(client_ip),
                )
                .await;
            Ok(HttpResponse::Ok()
                .insert_header(("Cache-Control", "no-store"))
                .json(TokenView {
                    access_token: token.token,
                    token_type: "Bearer".into(),
                    expires_in: token.expires_in,
                }))
        }
        user => {
            state.metrics.observe_login("failed");
            let reason = match &user {
                None => "unknown account",
                Some(user) if user.disabled && password_matches => "disabled account",
                Some(_) => "wrong password",
            };
            let mut entry = NewAuditEntry::new(AuditAction::LoginFailed)
                .object("account", &account)
                .detail(reason)
                .client_ip(client_ip);
            entry.actor = user.map(|u| u.id);
            state.audit(entry).await;
            Err(ApiError::InvalidCredentials)
        }
    }
}

pub(crate) fn too_many_attempts(wait: Duration) -> ApiError {
    let seconds = wait.as_secs().max(1);
    ApiError::TooManyRequests {
        detail: format!("too many login attempts; try again in {seconds} seconds"),
        retry_after_secs: seconds,
    }
}
