//! Webhooks of the caller's organisation: register (the secret is shown once, in the
//! answer), list, read, delete, and each endpoint's delivery log. Another
//! organisation's endpoint is "not found" (the refusal is audited).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use techex_domain::event::EventKind;
use techex_domain::{AccessDenied, AuditAction, NewAuditEntry};
use techex_store::repo::audit;
use techex_store::repo::webhooks::{self, Delivery, Webhook};
use techex_store::store::write_transaction;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::auth::extract::{deny, not_found};
use crate::extract::{JsonBody, Query, from_value, path_id};
use crate::problem::ApiError;
use crate::routes::Paging;
use crate::state::AppState;
use crate::views::PageView;
use crate::webhooks::MAX_PER_ORGANISATION;
use crate::webhooks::address::AddressPolicy;
use crate::webhooks::signing;

type Problem = crate::problem::Problem;

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    /// Where deliveries are POSTed: a public `https://` URL (docs/webhooks.md).
    pub url: String,
    /// Event names to deliver, e.g. `listing.approved`: at least one; left out,
    /// every event.
    #[schema(value_type = Option<Vec<crate::vocabularies::EventName>>)]
    pub events: Option<Vec<String>>,
}

/// A registered endpoint (its secret is never shown again).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}

impl From<Webhook> for WebhookView {
    fn from(webhook: Webhook) -> Self {
        Self {
            id: webhook.id,
            url: webhook.url,
            events: webhook
                .events
                .iter()
                .map(|e| e.as_str().to_owned())
                .collect(),
            created_by: webhook.created_by.as_uuid(),
            created_at: webhook.created_at,
        }
    }
}

/// The answer to a registration: the endpoint and, this once, its signing secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhookView {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    /// The HMAC-SHA256 key for `Techex-Signature`. Shown only now: store it.
    pub secret: String,
}

/// One entry of an endpoint's delivery log.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    pub event: String,
    /// pending, delivered or failed (given up).
    pub state: String,
    /// Attempts made so far.
    pub attempts: i32,
    /// The HTTP status of the last attempt, if the endpoint answered.
    pub last_status: Option<i32>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the next attempt is due (pending deliveries only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<Delivery> for DeliveryView {
    fn from(delivery: Delivery) -> Self {
        let pending = delivery.state == webhooks::DeliveryState::Pending;
        Self {
            id: delivery.id,
            event: delivery.event,
            state: delivery.state.as_str().to_owned(),
            attempts: delivery.attempts,
            last_status: delivery.last_status,
            last_error: delivery.last_error,
            next_attempt_at: pending.then_some(delivery.next_attempt_at),
            last_attempt_at: delivery.last_attempt_at,
            created_at: delivery.created_at,
            delivered_at: delivery.delivered_at,
        }
    }
}

fn parse_events(raw: Option<Vec<String>>) -> Result<Vec<EventKind>, ApiError> {
    let Some(raw) = raw else {
        return Ok(EventKind::ALL.to_vec());
    };
    if raw.is_empty() {
        return Err(ApiError::validation(
            "events",
            "must name at least one event",
        ));
    }
    let mut events = Vec::new();
    for name in &raw {
        let kind = name.parse::<EventKind>().map_err(|_| {
            let known: Vec<&str> = EventKind::ALL.iter().map(|e| e.as_str()).collect();
            ApiError::validation(
                "events",
                format!("unknown event '{name}'; known: {}", known.join(", ")),
            )
        })?;
        if !events.contains(&kind) {
            events.push(kind);
        }
    }
    Ok(events)
}

/// Registers an endpoint for the caller's organisation. The answer carries the
/// signing secret, which is never shown again.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    request_body = WebhookRequest,
    responses(
        (status = 201, body = CreatedWebhookView),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "bad url or events, named"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "the organisation has the most endpoints allowed"),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    JsonBody(body): JsonBody<Value>,
) -> Result<HttpResponse, ApiError> {
    let body: WebhookRequest = from_value(body)?;
    let policy = AddressPolicy::new(&state.settings.webhooks.allow_private)
        .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
    if body.url.len() > 2000 {
        return Err(ApiError::validation(
            "url",
            "must be at most 2000 characters",
        ));
    }
    let target = policy
        .check_url(&body.url)
        .map_err(|reason| ApiError::validation("url", reason))?;
    let events = parse_events(body.events)?;
    let webhook = Webhook {
        id: Uuid::now_v7(),
        organisation: auth.user.organisation_id,
        url: target.url.to_string(),
        secret: signing::generate_secret(),
        events,
        created_by: auth.user.id,
        created_at: techex_store::repo::listings::now(),
    };
    let client_ip = state.client_ip(&req);
    let stored = webhook.clone();
    state
        .db(move |conn| {
            write_transaction(conn, |conn| {
                if webhooks::count_for(conn, stored.organisation)? >= MAX_PER_ORGANISATION {
                    return Err(ApiError::Conflict(format!(
                        "an organisation may register at most {MAX_PER_ORGANISATION} webhooks; delete one first"
                    )));
                }
                webhooks::insert(conn, &stored)?;
                audit::append(
                    conn,
                    &NewAuditEntry::new(AuditAction::WebhookRegistered)
                        .actor(stored.created_by)
                        .object("webhook", stored.id)
                        .detail(stored.url.clone())
                        .client_ip(client_ip),
                )?;
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    let secret = webhook.secret.clone();
    let view = WebhookView::from(webhook);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/webhooks/{}", view.id)))
        .json(CreatedWebhookView {
            id: view.id,
            url: view.url,
            events: view.events,
            created_by: view.created_by,
            created_at: view.created_at,
            secret,
        }))
}

/// The caller's organisation's endpoints, oldest first (without secrets).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<WebhookView>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(state: web::Data<AppState>, auth: AuthUser) -> Result<HttpResponse, ApiError> {
    let organisation = auth.user.organisation_id;
    let hooks = state
        .db(move |conn| webhooks::list_for(conn, organisation))
        .await?;
    Ok(HttpResponse::Ok().json(hooks.into_iter().map(WebhookView::from).collect::<Vec<_>>()))
}

/// The endpoint if it belongs to the caller's organisation; "not found" otherwise,
/// with the refusal audited.
async fn load_own(
    state: &AppState,
    req: &HttpRequest,
    auth: &AuthUser,
    raw_id: &str,
) -> Result<Webhook, ApiError> {
    let id: Uuid = path_id(raw_id, "id")?;
    let webhook = state
        .db(move |conn| webhooks::get(conn, id))
        .await
        .map_err(not_found("webhook"))?;
    if webhook.organisation != auth.user.organisation_id {
        deny(
            req,
            auth.user.id,
            AccessDenied("webhook of another organisation".into()),
        )
        .await;
        return Err(ApiError::NotFound("no such webhook".into()));
    }
    Ok(webhook)
}

/// One endpoint (without its secret).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "webhook id")),
    responses(
        (status = 200, body = WebhookView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let webhook = load_own(&state, &req, &auth, &id).await?;
    Ok(HttpResponse::Ok().json(WebhookView::from(webhook)))
}

/// Deletes an endpoint with its delivery log; pending deliveries are dropped.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "webhook id")),
    responses(
        (status = 204, description = "deleted"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let webhook = load_own(&state, &req, &auth, &id).await?;
    let actor = auth.user.id;
    let client_ip = state.client_ip(&req);
    state
        .db(move |conn| {
            write_transaction(conn, |conn| {
                webhooks::delete(conn, webhook.id)?;
                audit::append(
                    conn,
                    &NewAuditEntry::new(AuditAction::WebhookDeleted)
                        .actor(actor)
                        .object("webhook", webhook.id)
                        .detail(webhook.url.clone())
                        .client_ip(client_ip),
                )?;
                Ok::<_, ApiError>(())
            })
        })
        .await
        .map_err(not_found("webhook"))?;
    Ok(HttpResponse::NoContent().finish())
}

/// The endpoint's delivery log, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "webhook id"), Paging),
    responses(
        (status = 200, body = PageView<DeliveryView>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn deliveries(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    id: web::Path<String>,
    Query(paging): Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    let page = paging.request()?;
    let webhook = load_own(&state, &req, &auth, &id).await?;
    let log = state
        .db(move |conn| webhooks::deliveries(conn, webhook.id, page))
        .await?;
    Ok(HttpResponse::Ok().json(PageView::<DeliveryView>::from_page(log)))
}
