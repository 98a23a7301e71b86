//! Search over published listings, and ranked, explained matches for a listing.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use techex_domain::listing::TransferMode;
use techex_domain::{AccessDenied, ListingId, OrganisationId, ValidationErrors};
use techex_matching::IndexedListing;
use techex_matching::score::{Component, find_matches};
use techex_matching::search::{self, SearchFilters, SearchRequest};
use techex_store::repo::{listings, organisations};
use utoipa::{IntoParams, ToSchema};

use crate::auth::extract::deny;
use crate::auth::{AuthUser, MaybeAuthUser};
use crate::extract::{Query, path_id};
use crate::listing_views::OrganisationSummary;
use crate::problem::ApiError;
use crate::routes::Paging;
use crate::state::AppState;
use crate::vocabularies;

/// The most matches one request asks for.
pub const MAX_MATCHES: usize = 50;

/// The deepest result a search pages to (as Elasticsearch's max_result_window).
pub const MAX_RESULT_WINDOW: i64 = 10_000;

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchQuery {
    /// Any text, in Vietnamese or English, with or without diacritics; listings in
    /// the other language are found through the glossary. Empty browses the newest
    /// listings.
    pub q: Option<String>,
    /// offer or need.
    #[param(value_type = Option<vocabularies::ListingKind>)]
    pub kind: Option<String>,
    /// A sector code (listings in it or below it).
    pub sector: Option<String>,
    pub trl_min: Option<u8>,
    pub trl_max: Option<u8>,
    #[param(value_type = Option<vocabularies::IpStatus>)]
    pub ip_status: Option<String>,
    #[param(value_type = Option<vocabularies::TransferMode>)]
    pub transfer_mode: Option<String>,
    /// A province code or name.
    pub province: Option<String>,
    /// ISO 639-1.
    #[param(value_type = Option<vocabularies::LanguageCode>)]
    pub language: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchHitView {
    pub id: uuid::Uuid,
    #[schema(value_type = vocabularies::ListingKind)]
    pub kind: String,
    pub title: String,
    pub external_ref: Option<String>,
    /// An excerpt with the matching words in `<b>…</b>`; everything else is HTML-escaped.
    pub snippet: String,
    /// Text relevance; the order of `items` is the ranking.
    pub score: f32,
    /// The listing has only some of the query's words, and comes after every listing
    /// that has most of them.
    pub partial: bool,
}

#[derive(Serialize, ToSchema)]
pub struct SearchResultsView {
    pub items: Vec<SearchHitView>,
    pub page: u32,
    pub per_page: u32,
    /// All results, partial ones included.
    pub total: usize,
    /// The position, over all results, where the partial ones (listings with only
    /// some of the query's words) begin; absent when there are none. A query of
    /// four words or more that few listings match in full goes on with them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial_from: Option<usize>,
    /// Counts over all matches: kind, sector, trl, province, transfer_mode → value → count.
    pub facets: BTreeMap<String, BTreeMap<String, u64>>,
}

/// Full-text search over published listings with filters and facet counts.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchQuery),
    responses(
        (status = 200, body = SearchResultsView),
        (status = 400, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn search(
    state: web::Data<AppState>,
    // Anyone may search, but a token that is sent must be valid, as everywhere.
    _caller: MaybeAuthUser,
    Query(query): Query<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let paging = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .request()?;
    let mut errors = ValidationErrors::new();
    // A deep page makes the index rank every document before it; past this window
    // a refined query serves the user better than page 500 would.
    if paging.offset() + paging.limit() > MAX_RESULT_WINDOW {
        errors.add(
            "page",
            format!(
                "only the first {MAX_RESULT_WINDOW} results can be paged through; refine the query"
            ),
        );
    }
    let filters = super::filters::parse(
        query.kind.as_deref(),
        query.sector.as_deref(),
        query.province.as_deref(),
        query.trl_min,
        query.trl_max,
        &mut errors,
    );
    let transfer_mode = errors
        .check(
            "transfer_mode",
            query
                .transfer_mode
                .as_deref()
                .map(str::parse::<TransferMode>)
                .transpose(),
        )
        .flatten();
    let ip_status = errors
        .check(
            "ip_status",
            query
                .ip_status
                .as_deref()
                .map(str::parse::<techex_domain::listing::IpStatus>)
                .transpose(),
        )
        .flatten();
    let language = errors
        .check(
            "language",
            query
                .language
                .as_deref()
                .map(techex_domain::language::parse)
                .transpose(),
        )
        .flatten();
    let text = query.q.unwrap_or_default();
    if text.chars().count() > 500 {
        errors.add("q", "must be at most 500 characters");
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let request = SearchRequest {
        text,
        filters: SearchFilters {
            kind: filters.kind,
            sectors: filters.sector.into_iter().collect(),
            trl_min: filters.trl_min,
            trl_max: filters.trl_max,
            ip_status: ip_status.map(|s| s.as_str().to_owned()),
            transfer_modes: transfer_mode
                .map(|m| m.as_str().to_owned())
                .into_iter()
                .collect(),
            province: filters.province,
            language,
        },
        today: Utc::now().date_naive(),
        offset: paging.offset() as usize,
        limit: paging.per_page() as usize,
    };
    // A search is about a millisecond of CPU and never waits on I/O (the index is
    // memory-mapped and warm), so it runs on the worker: handing it to the blocking
    // pool cost a thread switch each way and a tenth of the throughput.
    let results = search::search(&state.index, &request).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(SearchResultsView {
        items: results
            .hits
            .into_iter()
            .filter_map(|hit| {
                Some(SearchHitView {
                    id: hit.id.parse().ok()?,
                    kind: hit.kind.as_str().to_owned(),
                    title: hit.title,
                    external_ref: hit.external_ref,
                    snippet: hit.snippet,
                    score: hit.score,
                    partial: hit.partial,
                })
            })
            .collect(),
        page: paging.page(),
        per_page: paging.per_page(),
        total: results.total,
        partial_from: results.partial_from,
        facets: results.facets,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MatchQuery {
    /// How many matches, 1–50 (default 10).
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct ComponentView {
    /// text, sector, trl, transfer_mode, price or region.
    pub name: String,
    pub weight: f32,
    /// In [0, 1].
    pub value: f32,
    /// weight × value; the contributions add up to the score.
    pub contribution: f32,
    pub note: Option<String>,
}

impl From<Component> for ComponentView {
    fn from(c: Component) -> Self {
        Self {
            name: c.name.to_owned(),
            weight: c.weight,
            value: c.value,
            contribution: c.contribution,
            note: c.note,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MatchView {
    pub id: uuid::Uuid,
    #[schema(value_type = vocabularies::ListingKind)]
    pub kind: String,
    pub title: String,
    pub summary: String,
    pub trl: Option<u8>,
    pub province: Option<String>,
    pub organisation: Option<OrganisationSummary>,
    pub score: f32,
    /// Words both listings use (folded, e.g. "nuoc thai").
    pub matched_terms: Vec<String>,
    pub components: Vec<ComponentView>,
}

/// Ranked listings of the other kind for this listing — offers for a need, needs
/// for an offer — never from its own organisation, each with its explanation.
/// For the listing's organisation and operators.
#[utoipa::path(get, path = "/api/v1/listings/{id}/matches", tag = "search", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "listing id"), MatchQuery),
    responses(
        (status = 200, body = Vec<MatchView>),
        (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn matches(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    id: web::Path<String>,
    Query(query): Query<MatchQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(10);
    if !(1..=MAX_MATCHES).contains(&limit) {
        return Err(ApiError::validation(
            "limit",
            format!("must be from 1 to {MAX_MATCHES}"),
        ));
    }
    let id: ListingId = path_id(&id, "id")?;
    let listing = state
        .db(move |conn| listings::get(conn, id))
        .await
        .map_err(|e| match e {
            ApiError::NotFound(_) => ApiError::NotFound("no such listing".into()),
            other => other,
        })?;
    let actor = auth.actor();
    if !(actor.role.is_operator() || actor.organisation_id == listing.owner) {
        deny(
            &req,
            actor.user_id,
            AccessDenied("matches of another organisation's listing".into()),
        )
        .await;
        return Err(ApiError::NotFound("no such listing".into()));
    }
    let source = IndexedListing::from(&listing);
    let today = Utc::now().date_naive();
    // On the worker, like a search; the database calls stay on the blocking pool.
    let found = find_matches(
        &state.index,
        &source,
        &state.settings.matching,
        today,
        limit,
    )
    .map_err(ApiError::internal)?;
    let owners: Vec<OrganisationId> = found
        .iter()
        .filter_map(|m| m.listing.owner.parse().ok())
        .collect();
    let names = state
        .db(move |conn| organisations::get_many(conn, &owners))
        .await?;
    let views: Vec<MatchView> = found
        .into_iter()
        .filter_map(|m| {
            let organisation = m
                .listing
                .owner
                .parse::<OrganisationId>()
                .ok()
                .and_then(|o| names.get(&o))
                .map(OrganisationSummary::from);
            Some(MatchView {
                id: m.listing.id.parse().ok()?,
                kind: m.listing.kind.as_str().to_owned(),
                title: m.listing.title,
                summary: m.listing.summary,
                trl: m.listing.trl,
                province: m.listing.province,
                organisation,
                score: m.score,
                matched_terms: m.explanation.matched_terms,
                components: m
                    .explanation
                    .components
                    .into_iter()
                    .map(ComponentView::from)
                    .collect(),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(views))
}
