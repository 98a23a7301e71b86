//! The signed-in user's own account.

use actix_web::{HttpResponse, web};
use techex_store::repo::organisations;

use crate::auth::AuthUser;
use crate::problem::ApiError;
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
