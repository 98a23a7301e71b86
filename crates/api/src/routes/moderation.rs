//! The operators' review queue.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use techex_domain::OrganisationId;
use techex_domain::listing::{ListingStatus, RevisionStatus};
use techex_store::repo::{listings, organisations};
use utoipa::IntoParams;

use crate::auth::OperatorUser;
use crate::extract::Query;
use crate::listing_views::{ListingView, QueueItemView, diff};
use crate::problem::ApiError;
use crate::routes::Paging;
use crate::state::AppState;
use crate::views::PageView;
use crate::workflow;

#[derive(Debug, Deserialize, IntoParams)]
pub struct QueueQuery {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// Listings and edits waiting for review, oldest first, with the organisation's
/// verification state, the quality warnings and, for edits, what they change.
#[utoipa::path(get, path = "/api/v1/moderation/queue", tag = "moderation", security(("bearer" = [])), params(QueueQuery),
    responses(
        (status = 200, body = PageView<QueueItemView>),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn queue(
    state: web::Data<AppState>,
    _operator: OperatorUser,
    Query(query): Query<QueueQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .request()?;
    let (page, organisations, warnings) = state
        .db(move |conn| {
            let page = listings::review_queue(conn, page)?;
            let owners: Vec<OrganisationId> = page.items.iter().map(|l| l.owner).collect();
            let organisations = organisations::get_many(conn, &owners)?;
            let warnings = page
                .items
                .iter()
                .map(|listing| workflow::warnings(conn, listing))
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, ApiError>((page, organisations, warnings))
        })
        .await?;
    let items = page
        .items
        .into_iter()
        .zip(warnings)
        .map(|(listing, warnings)| {
            let edit = listing
                .revision
                .as_ref()
                .filter(|r| r.status == RevisionStatus::PendingReview);
            let (review, waiting_since, changes) = match edit {
                Some(revision) => (
                    "edit",
                    Some(revision.submitted_at),
                    diff(&listing.content, &revision.content),
                ),
                None if listing.status == ListingStatus::PendingReview => {
                    ("new_listing", listing.submitted_at, Vec::new())
                }
                None => ("new_listing", None, Vec::new()),
            };
            let organisation = organisations.get(&listing.owner);
            QueueItemView {
                review: review.to_owned(),
                waiting_since,
                changes,
                listing: ListingView::full(listing, organisation, Some(warnings)),
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(PageView {
        items,
        page: page.page,
        per_page: page.per_page,
        total: page.total,
    }))
}
