//! The audit log, for operators.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use techex_domain::{AuditAction, UserId};
use techex_store::repo::audit::{self, AuditFilter};
use utoipa::IntoParams;

use crate::auth::OperatorUser;
use crate::extract::Query;
use crate::problem::ApiError;
use crate::routes::Paging;
use crate::state::AppState;
use crate::views::{AuditEntryView, PageView};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// The acting user's id.
    pub actor: Option<uuid::Uuid>,
    /// e.g. login_failed, access_denied, organisation_verified, role_changed.
    pub action: Option<String>,
    /// e.g. user, organisation, account, route.
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// RFC 3339 time, inclusive.
    pub from: Option<DateTime<Utc>>,
    /// RFC 3339 time, exclusive.
    pub to: Option<DateTime<Utc>>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// Audit entries, newest first (operators).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])), params(AuditQuery),
    responses(
        (status = 200, body = PageView<AuditEntryView>),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    state: web::Data<AppState>,
    _operator: OperatorUser,
    Query(query): Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .request()?;
    let action = query
        .action
        .as_deref()
        .map(str::parse::<AuditAction>)
        .transpose()
        .map_err(|e| ApiError::validation("action", e))?;
    let mut errors = techex_domain::ValidationErrors::new();
    for (field, value) in [
        ("object_type", &query.object_type),
        ("object_id", &query.object_id),
    ] {
        if value
            .as_deref()
            .is_some_and(|v| v.chars().count() > 200 || v.chars().any(char::is_control))
        {
            errors.add(
                field,
                "must be at most 200 characters without control characters",
            );
        }
    }
    for (field, time) in [("from", query.from), ("to", query.to)] {
        if time.is_some_and(|t| !(1970..=9999).contains(&chrono::Datelike::year(&t))) {
            errors.add(field, "must be between the years 1970 and 9999");
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from >= to
    {
        return Err(ApiError::validation("to", "must be after from"));
    }
    let filter = AuditFilter {
        actor: query.actor.map(UserId::from_uuid),
        action,
        object_type: query.object_type,
        object_id: query.object_id,
        from: query.from,
        to: query.to,
    };
    let page = state
        .db(move |conn| audit::list(conn, &filter, page))
        .await?;
    Ok(HttpResponse::Ok().json(PageView::<AuditEntryView>::from_page(page)))
}
