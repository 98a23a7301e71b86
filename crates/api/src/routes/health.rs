//! Liveness, readiness and metrics, outside `/api/v1` where orchestrators expect them.

use std::sync::atomic::Ordering;

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
    /// Listing changes not yet applied to the search index.
    pub index_lag: i64,
    pub indexed_listings: u64,
}

/// The database answers and the search index has caught up since the start;
/// 503 problem when not.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, body = ReadyView),
    (status = 503, body = crate::problem::Problem, content_type = "application/problem+json"),
))]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let store = state.store.clone();
    web::block(move || store.ping())
        .await?
        .map_err(|e| ApiError::Unavailable(format!("the database is not reachable: {e}")))?;
    let (store, index) = (state.store.clone(), state.index.clone());
    let index_lag = web::block(move || crate::indexer::lag(&store, &index)).await??;
    // After a start the index replays the changes it missed; until it has, a
    // search may miss listings, and a balancer should send no traffic here. Later
    // lag (a burst of edits) is reported, not refused.
    if !state.index_caught_up.load(Ordering::Acquire) {
        return Err(ApiError::Unavailable(format!(
            "the search index is catching up after the start: {index_lag} listing changes to apply"
        )));
    }
    Ok(HttpResponse::Ok().json(ReadyView {
        status: "ready".into(),
        database: state.store.backend().to_string(),
        index_lag,
        indexed_listings: state.index.num_docs(),
    }))
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, body = String, content_type = "text/plain")))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let (connections, idle) = state.store.pool_state();
    let (store, index) = (state.store.clone(), state.index.clone());
    let index_lag = web::block(move || crate::indexer::lag(&store, &index).ok())
        .await
        .ok()
        .flatten();
    let mut text = state.metrics.render(&PoolGauges { connections, idle });
    text.push_str("# HELP techex_index_documents Published listings in the search index.\n# TYPE techex_index_documents gauge\n");
    text.push_str(&format!(
        "techex_index_documents {}\n",
        state.index.num_docs()
    ));
    if let Some(lag) = index_lag {
        text.push_str("# HELP techex_index_lag_events Listing changes not yet applied to the search index.\n# TYPE techex_index_lag_events gauge\n");
        text.push_str(&format!("techex_index_lag_events {lag}\n"));
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text)
}
