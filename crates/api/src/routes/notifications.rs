//! Each user's inbox: listing decisions, expiry warnings, interests, messages and
//! match alerts.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use techex_store::repo::listings;
use techex_store::repo::notifications::{self, Notification};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::auth::extract::not_found;
use crate::extract::{Query, path_id};
use crate::problem::ApiError;
use crate::routes::Paging;
use crate::state::AppState;

type Problem = crate::problem::Problem;

#[derive(Serialize, ToSchema)]
pub struct NotificationView {
    pub id: String,
    /// listing.approved, listing.rejected, listing.expiring, listing.expired,
    /// interest.created, interest.changed, interest.message or match.found.
    pub event: String,
    pub title: String,
    /// The event's details: the same `data` a webhook receives.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// listing or interest.
    pub object_type: String,
    pub object_id: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> Self {
        Self {
            id: n.id,
            event: n.event.as_str().to_owned(),
            title: n.title,
            detail: n.detail,
            object_type: n.object_type,
            object_id: n.object_id,
            created_at: n.created_at,
            read_at: n.read_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct InboxView {
    pub items: Vec<NotificationView>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
    /// Unread notifications in the whole inbox.
    pub unread: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct InboxQuery {
    /// true: only unread notifications.
    pub unread: Option<bool>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// Your notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", security(("bearer" = [])), params(InboxQuery),
    responses((status = 200, body = InboxView), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn inbox(
    state: web::Data<AppState>,
    auth: AuthUser,
    Query(query): Query<InboxQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .request()?;
    let user = auth.user.id;
    let unread_only = query.unread.unwrap_or(false);
    let (page, unread) = state
        .db(move |conn| notifications::inbox(conn, user, unread_only, page))
        .await?;
    Ok(HttpResponse::Ok().json(InboxView {
        items: page.items.into_iter().map(NotificationView::from).collect(),
        page: page.page,
        per_page: page.per_page,
        total: page.total,
        unread,
    }))
}

/// Marks one of your notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "notification id")),
    responses((status = 204, description = "marked read"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn mark_read(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = auth.user.id;
    let id: uuid::Uuid = path_id(&id, "id")?;
    state
        .db(move |conn| notifications::mark_read(conn, user, &id.to_string(), listings::now()))
        .await
        .map_err(not_found("notification"))?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Serialize, ToSchema)]
pub struct MarkedView {
    /// How many notifications were unread and are now read.
    pub marked: usize,
}

/// Marks all your notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = MarkedView)))]
pub async fn mark_all_read(
    state: web::Data<AppState>,
    auth: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let user = auth.user.id;
    let marked = state
        .db(move |conn| notifications::mark_all_read(conn, user, listings::now()))
        .await?;
    Ok(HttpResponse::Ok().json(MarkedView { marked }))
}
