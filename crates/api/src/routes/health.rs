//! Liveness, readiness and metrics, outside `/api/v1` where orchestrators expect them.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::metrics::PoolGauges;
use crate::problem::ApiError;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct HealthView {
    pub status: String,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = HealthView)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthView {
        status: "ok".into(),
    })
}

#[derive(Serialize, ToSchema)]
pub struct ReadyView {
    pub status: String,
    /// `postgres` or `sqlite`.
    pub database: String,
}

/// The database answers; 503 problem when it does not.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, body = ReadyView),
    (status = 503, body = crate::problem::Problem, content_type = "application/problem+json"),
))]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    web::block(move || store.ping())
        .await?
        .map_err(|e| ApiError::Unavailable(format!("the database is not reachable: {e}")))?;
    Ok(HttpResponse::Ok().json(ReadyView {
        status: "ready".into(),
        database: state.store.backend().to_string(),
    }))
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, body = String, content_type = "text/plain")))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let (connections, idle) = state.store.pool_state();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(&PoolGauges { connections, idle }))
}
