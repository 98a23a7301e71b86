//! Listings: create and edit (the owner's members), the lifecycle actions, the public
//! catalogue, and each listing's history.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use serde_json::Value;
use techex_domain::listing::access::{can_view, ensure_can_act};
use techex_domain::listing::content::{parse_kind, parse_renewal};
use techex_domain::listing::{
    Action, Command, Listing, ListingContent, ListingInput, ListingStatus, RejectReason, Rejection,
};
use techex_domain::validation::bounded_text;
use techex_domain::{AccessDenied, Actor, ListingId, OrganisationId, ValidationErrors};
use techex_store::repo::listings::{self, PublicFilter};
use techex_store::repo::organisations;
use utoipa::{IntoParams, ToSchema};

use crate::auth::extract::deny;
use crate::auth::{AuthUser, MaybeAuthUser, OperatorUser};
use crate::extract::{JsonBody, OptionalJsonBody, Query, from_value, merge_patch, path_id};
use crate::listing_views::{HistoryEntryView, ListingView};
use crate::problem::ApiError;
use crate::routes::Paging;
use crate::state::AppState;
use crate::views::PageView;
use crate::vocabularies;
use crate::workflow::{self, Transition};

type Problem = crate::problem::Problem;

/// The fields of a new listing: `kind` plus the content fields. Documentation of
/// the body that `techex_domain::listing::ListingInput` parses.
#[derive(ToSchema)]
#[expect(dead_code, reason = "documents the request body for OpenAPI")]
pub struct ListingRequest {
    /// offer or need: required on creation, and not changed by an edit.
    #[schema(required = true)]
    kind: Option<vocabularies::ListingKind>,
    /// 5–200 characters.
    title: String,
    /// At most 600 characters.
    summary: Option<String>,
    /// At most 20,000 characters.
    description: Option<String>,
    /// ISO 639-1: vi, en …
    language: vocabularies::LanguageCode,
    /// 1–10 codes from GET /api/v1/taxonomy/sectors.
    sectors: Vec<String>,
    /// At most 20.
    keywords: Option<Vec<String>>,
    /// 1–9; for a need, the minimum accepted.
    trl: Option<i64>,
    /// patent_granted, patent_pending, utility_solution, know_how, copyright, none.
    ip_status: Option<vocabularies::IpStatus>,
    /// Only with patent_granted, patent_pending or utility_solution.
    patent_numbers: Option<Vec<String>>,
    /// licence, assignment, joint_development, technical_service, equipment_sale, investment.
    transfer_modes: Option<Vec<vocabularies::TransferMode>>,
    price: Option<PriceRequest>,
    /// A province code or name from GET /api/v1/taxonomy/provinces.
    province: Option<String>,
    /// YYYY-MM-DD, in the future and at most two years ahead; default one year.
    valid_until: Option<NaiveDate>,
    /// Your own reference (unique per organisation).
    external_ref: Option<String>,
}

#[derive(ToSchema)]
#[expect(dead_code, reason = "documents the request body for OpenAPI")]
pub struct PriceRequest {
    min: Option<i64>,
    max: Option<i64>,
    /// ISO 4217; default VND.
    currency: Option<String>,
    negotiable: Option<bool>,
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Creates a draft owned by the caller's organisation.
#[utoipa::path(post, path = "/api/v1/listings", tag = "listings", security(("bearer" = [])),
    request_body = ListingRequest,
    responses(
        (status = 201, body = ListingView),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "invalid fields, each named"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "operators review listings and create none"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "external_ref already used"),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    JsonBody(body): JsonBody<Value>,
) -> Result<HttpResponse, ApiError> {
    if let Err(denied) = auth.actor().ensure_can_post() {
        return Err(deny(&req, auth.user.id, denied).await);
    }
    let Value::Object(mut fields) = body else {
        return Err(ApiError::validation("body", "must be a JSON object"));
    };
    let kind = fields.remove("kind");
    let input: ListingInput = from_value(Value::Object(fields))?;
    let mut errors = ValidationErrors::new();
    let kind = errors.check("kind", parse_kind(kind.as_ref()));
    let content = ListingContent::parse(&input, today())
        .map_err(|e| errors.extend(e))
        .ok();
    let (Some(kind), Some(content)) = (kind, content) else {
        return Err(ApiError::Validation(errors));
    };
    let now = listings::now();
    let listing = Listing::new_draft(kind, auth.user.organisation_id, auth.user.id, content, now);
    let client_ip = state.client_ip(&req);
    let stored = listing.clone();
    state
        .db(move |conn| workflow::create(conn, &stored, client_ip))
        .await
        .map_err(external_ref_conflict)?;
    let location = format!("/api/v1/listings/{}", listing.id);
    let view = full_view(&state, listing).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(view))
}

fn external_ref_conflict(error: ApiError) -> ApiError {
    match error {
        ApiError::Conflict(detail) if detail.contains("external_ref") => ApiError::Conflict(
            "your organisation already has a listing with this external_ref".into(),
        ),
        other => other,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CatalogueQuery {
    /// offer or need.
    #[param(value_type = Option<vocabularies::ListingKind>)]
    pub kind: Option<String>,
    /// A sector code; listings in it or below it match.
    pub sector: Option<String>,
    /// A province code or name.
    pub province: Option<String>,
    pub trl_min: Option<u8>,
    pub trl_max: Option<u8>,
    pub organisation_id: Option<uuid::Uuid>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// The public catalogue: published listings, newest first.
#[utoipa::path(get, path = "/api/v1/listings", tag = "listings", params(CatalogueQuery),
    responses((status = 200, body = PageView<ListingView>), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn catalogue(
    state: web::Data<AppState>,
    // Anyone may browse, but a token that is sent must be valid, as everywhere.
    _caller: MaybeAuthUser,
    Query(query): Query<CatalogueQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .request()?;
    let mut errors = ValidationErrors::new();
    let filters = super::filters::parse(
        query.kind.as_deref(),
        query.sector.as_deref(),
        query.province.as_deref(),
        query.trl_min,
        query.trl_max,
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let filter = PublicFilter {
        kind: filters.kind,
        sector: filters.sector,
        province: filters.province,
        trl_min: filters.trl_min,
        trl_max: filters.trl_max,
        owner: query.organisation_id.map(OrganisationId::from_uuid),
    };
    let page = state
        .db(move |conn| listings::list_public(conn, &filter, today(), page))
        .await?;
    let owners: Vec<OrganisationId> = page.items.iter().map(|l| l.owner).collect();
    let organisations = state
        .db(move |conn| organisations::get_many(conn, &owners))
        .await?;
    Ok(HttpResponse::Ok().json(PageView {
        items: page
            .items
            .into_iter()
            .map(|listing| {
                let organisation = organisations.get(&listing.owner);
                ListingView::public(listing, organisation)
            })
            .collect(),
        page: page.page,
        per_page: page.per_page,
        total: page.total,
    }))
}

/// One listing: published ones to anyone; others only to the owner's members and
/// operators (404 to everyone else). Owners and operators see the workflow state.
#[utoipa::path(get, path = "/api/v1/listings/{id}", tag = "listings",
    params(("id" = uuid::Uuid, Path, description = "listing id")),
    responses((status = 200, body = ListingView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: MaybeAuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let listing = load_visible(&state, &req, auth.actor().as_ref(), &id).await?;
    let privileged = auth
        .actor()
        .is_some_and(|a| a.role.is_operator() || a.organisation_id == listing.owner);
    if privileged {
        return Ok(HttpResponse::Ok().json(full_view(&state, listing).await?));
    }
    let owner = listing.owner;
    let organisation = state
        .db(move |conn| organisations::get(conn, owner))
        .await
        .ok();
    Ok(HttpResponse::Ok().json(ListingView::public(listing, organisation.as_ref())))
}

/// Loads a listing the caller may see, or answers 404 (auditing a refused look at
/// someone else's unpublished listing).
async fn load_visible(
    state: &AppState,
    req: &HttpRequest,
    actor: Option<&Actor>,
    raw_id: &str,
) -> Result<Listing, ApiError> {
    let id: ListingId = path_id(raw_id, "id")?;
    let listing = state
        .db(move |conn| listings::get(conn, id))
        .await
        .map_err(|error| match error {
            ApiError::NotFound(_) => ApiError::NotFound("no such listing".into()),
            other => other,
        })?;
    if can_view(actor, &listing, today()) {
        return Ok(listing);
    }
    if let Some(actor) = actor {
        deny(
            req,
            actor.user_id,
            AccessDenied("listing of another organisation".into()),
        )
        .await;
    }
    Err(ApiError::NotFound("no such listing".into()))
}

/// The owner's view, with the quality warnings while something awaits review or is
/// still a draft.
async fn full_view(state: &AppState, listing: Listing) -> Result<ListingView, ApiError> {
    let owner = listing.owner;
    let needs_warnings = matches!(
        listing.status,
        ListingStatus::Draft | ListingStatus::PendingReview | ListingStatus::Rejected
    ) || listing.revision.is_some();
    let probe = listing.clone();
    let (organisation, warnings) = state
        .db(move |conn| {
            let organisation = organisations::get(conn, owner)?;
            let warnings = if needs_warnings {
                Some(workflow::warnings(conn, &probe)?)
            } else {
                None
            };
            Ok::<_, ApiError>((organisation, warnings))
        })
        .await?;
    Ok(ListingView::full(listing, Some(&organisation), warnings))
}

/// Checks that `actor` may see and act on the listing: 404 if it may not see it,
/// 403 if it may see but not act.
async fn authorise(
    state: &AppState,
    req: &HttpRequest,
    actor: &Actor,
    raw_id: &str,
    action: Action,
) -> Result<Listing, ApiError> {
    let listing = load_visible(state, req, Some(actor), raw_id).await?;
    if let Err(denied) = ensure_can_act(actor, &listing, action) {
        return Err(deny(req, actor.user_id, denied).await);
    }
    Ok(listing)
}

/// Authorises `action`, builds its command from the listing, and performs it in
/// one transaction.
async fn act(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    raw_id: &str,
    action: Action,
    request: ActionRequest,
    command: impl FnOnce(&Listing) -> Result<Command, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let actor = auth.actor();
    let listing = authorise(&state, &req, &actor, raw_id, action).await?;
    let command = command(&listing)?;
    let transition = Transition {
        listing: listing.id,
        actor: Some(actor.user_id),
        command,
        expected_version: request.version,
        note: request.note,
        client_ip: state.client_ip(&req),
    };
    let updated = state
        .db(move |conn| workflow::perform(conn, transition, listings::now()))
        .await
        .map_err(external_ref_conflict)?;
    match updated {
        Some(listing) => Ok(HttpResponse::Ok().json(full_view(&state, listing).await?)),
        None => Ok(HttpResponse::NoContent().finish()),
    }
}

/// The optional version and note every action accepts.
struct ActionRequest {
    version: Option<i64>,
    note: Option<String>,
}

fn note(raw: Option<String>, field: &str) -> Result<Option<String>, ApiError> {
    raw.filter(|n| !n.trim().is_empty())
        .map(|n| bounded_text(&n, 1, 2000))
        .transpose()
        .map_err(|e| ApiError::validation(field, e))
}

/// An edit as a JSON merge patch (RFC 7396) of the listing's fields, with the
/// `version` it was made against, in one flat object:
/// `{"version": 3, "title": "…", "price": null}`.
#[derive(ToSchema)]
#[expect(dead_code, reason = "documents the request body for OpenAPI")]
pub struct ListingPatch {
    /// The version you read; a stale version is refused with 409.
    version: i64,
    /// Any fields of a listing but its `kind`, beside `version`; `null` clears an
    /// optional field.
    #[serde(flatten)]
    fields: ListingRequest,
}

/// Edits a listing. A draft or rejected listing is changed in place (a rejected
/// one returns to draft); a published listing's edit goes to review while the
/// approved version stays public.
#[utoipa::path(patch, path = "/api/v1/listings/{id}", tag = "listings", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "listing id")), request_body = ListingPatch,
    responses(
        (status = 200, body = ListingView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "stale version or a state that cannot be edited"),
    ))]
pub async fn patch(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    id: web::Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> Result<HttpResponse, ApiError> {
    let Value::Object(mut fields) = body else {
        return Err(ApiError::validation("body", "must be a JSON object"));
    };
    let version = match fields.remove("version") {
        Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64(),
        Some(_) => {
            return Err(ApiError::validation(
                "version",
                "must be the integer version you read",
            ));
        }
        None => {
            return Err(ApiError::validation(
                "version",
                "is required: send the version you read",
            ));
        }
    };
    if fields.contains_key("kind") {
        return Err(ApiError::validation(
            "kind",
            "cannot be changed; create a new listing",
        ));
    }
    let patch = Value::Object(fields);
    act(
        state,
        req,
        auth,
        &id,
        Action::Edit,
        ActionRequest {
            version,
            note: None,
        },
        move |listing| {
            // An edit of a published listing builds on its pending edit, if any.
            let base = match &listing.revision {
                Some(revision) => &revision.content,
                None => &listing.content,
            };
            let mut merged = serde_json::to_value(base.to_input()).map_err(ApiError::internal)?;
            merge_patch(&mut merged, patch);
            let input: ListingInput = from_value(merged)?;
            Ok(Command::Edit(Box::new(ListingContent::parse(
                &input,
                today(),
            )?)))
        },
    )
    .await
}

/// Deletes a draft that no operator has decided on (one rejected before is kept
/// for the exchange's record).
#[utoipa::path(delete, path = "/api/v1/listings/{id}", tag = "listings", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "listing id")),
    responses(
        (status = 204, description = "deleted"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "a listing of another organisation"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "not a draft, or a draft with a review decision behind it"),
    ))]
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    act(
        state,
        req,
        auth,
        &id,
        Action::Delete,
        ActionRequest {
            version: None,
            note: None,
        },
        |_| Ok(Command::Delete),
    )
    .await
}

/// The optional body of submit, withdraw and archive.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// When given, the action applies only to this version.
    pub version: Option<i64>,
    /// A note kept in the listing's history (approval note, archive reason …).
    pub message: Option<String>,
}

fn action_request(body: Option<ActionBody>) -> Result<ActionRequest, ApiError> {
    let body = body.unwrap_or(ActionBody {
        version: None,
        message: None,
    });
    Ok(ActionRequest {
        version: body.version,
        note: note(body.message, "message")?,
    })
}

macro_rules! simple_action {
    ($name:ident, $action:expr, $command:expr, $path:literal, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "listings", security(("bearer" = [])),
            params(("id" = uuid::Uuid, Path, description = "listing id")),
            request_body(content = Option<ActionBody>, description = "optional"),
            responses(
                (status = 200, body = ListingView),
                (status = 403, body = Problem, content_type = "application/problem+json"),
                (status = 404, body = Problem, content_type = "application/problem+json"),
                (status = 409, body = Problem, content_type = "application/problem+json", description = "not allowed in the listing's current state"),
            ))]
        pub async fn $name(
            state: web::Data<AppState>,
            req: HttpRequest,
            auth: AuthUser,
            id: web::Path<String>,
            OptionalJsonBody(body): OptionalJsonBody<ActionBody>,
        ) -> Result<HttpResponse, ApiError> {
            let request = action_request(body)?;
            act(state, req, auth, &id, $action, request, |_| Ok($command)).await
        }
    };
}

simple_action!(
    submit,
    Action::Submit,
    Command::Submit,
    "/api/v1/listings/{id}/submit",
    "Sends a draft to the operators for review (the answer carries the quality warnings)."
);
simple_action!(
    withdraw,
    Action::Withdraw,
    Command::Withdraw,
    "/api/v1/listings/{id}/withdraw",
    "Takes a listing (or a published listing's edit) back from review."
);
simple_action!(
    archive,
    Action::Archive,
    Command::Archive,
    "/api/v1/listings/{id}/archive",
    "Withdraws a published or expired listing from the catalogue (owner or operator)."
);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    /// The version reviewed; a listing changed since is refused with 409.
    #[schema(required = true, value_type = i64)]
    pub version: Option<i64>,
    /// incomplete, unclear_benefit, missing_ip_status, duplicate, out_of_scope,
    /// unverified_organisation or other.
    #[schema(required = true, value_type = vocabularies::RejectReason)]
    pub reason_code: Option<String>,
    /// What the owner should change; 1–2000 characters.
    #[schema(required = true, value_type = String)]
    pub message: Option<String>,
}

/// Rejects a listing or a published listing's edit, with a reason (operators).
#[utoipa::path(post, path = "/api/v1/listings/{id}/reject", tag = "listings", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "listing id")), request_body = RejectBody,
    responses(
        (status = 200, body = ListingView),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "reason_code or message missing"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn reject(
    state: web::Data<AppState>,
    req: HttpRequest,
    OperatorUser(auth): OperatorUser,
    id: web::Path<String>,
    OptionalJsonBody(body): OptionalJsonBody<RejectBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.unwrap_or(RejectBody {
        version: None,
        reason_code: None,
        message: None,
    });
    let request = ActionRequest {
        version: body.version,
        note: None,
    };
    // Checked once the operator is known to be allowed to review.
    act(state, req, auth, &id, Action::Reject, request, move |_| {
        let mut errors = ValidationErrors::new();
        reviewed_version(body.version, &mut errors);
        let reason_code = errors.check(
            "reason_code",
            body.reason_code
                .as_deref()
                .ok_or_else(|| "is required".to_owned())
                .and_then(str::parse::<RejectReason>),
        );
        let message = errors.check(
            "message",
            body.message
                .as_deref()
                .ok_or_else(|| "is required".to_owned())
                .and_then(|m| bounded_text(m, 1, 2000)),
        );
        match (reason_code, message) {
            (Some(reason_code), Some(message)) if errors.is_empty() => {
                Ok(Command::Reject(Rejection {
                    reason_code,
                    message,
                }))
            }
            _ => Err(ApiError::Validation(errors)),
        }
    })
    .await
}

/// An operator's decision names the version reviewed, so that a listing changed
/// meanwhile (withdrawn and resubmitted, an edit replaced) is not decided unseen.
fn reviewed_version(version: Option<i64>, errors: &mut ValidationErrors) {
    if version.is_none() {
        errors.add(
            "version",
            "is required: the version you reviewed (the queue shows it)",
        );
    }
}

/// The body of approve.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    /// The version reviewed; a listing changed since is refused with 409.
    #[schema(required = true, value_type = i64)]
    pub version: Option<i64>,
    /// A note kept in the listing's history.
    pub message: Option<String>,
}

/// Publishes a listing, or applies a published listing's edit (operators).
#[utoipa::path(post, path = "/api/v1/listings/{id}/approve", tag = "listings", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "listing id")), request_body = ApproveBody,
    responses(
        (status = 200, body = ListingView),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "version missing"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "changed since reviewed, or not awaiting review"),
    ))]
pub async fn approve(
    state: web::Data<AppState>,
    req: HttpRequest,
    OperatorUser(auth): OperatorUser,
    id: web::Path<String>,
    OptionalJsonBody(body): OptionalJsonBody<ApproveBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.unwrap_or(ApproveBody {
        version: None,
        message: None,
    });
    let request = ActionRequest {
        version: body.version,
        note: note(body.message, "message")?,
    };
    act(state, req, auth, &id, Action::Approve, request, move |_| {
        let mut errors = ValidationErrors::new();
        reviewed_version(body.version, &mut errors);
        if errors.is_empty() {
            Ok(Command::Approve)
        } else {
            Err(ApiError::Validation(errors))
        }
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewBody {
    pub version: Option<i64>,
    /// YYYY-MM-DD, at most two years ahead and not before the current end of
    /// validity; default: one year more.
    #[schema(value_type = Option<NaiveDate>)]
    pub valid_until: Option<String>,
}

/// Extends a published or expired listing's validity (an expired one is published again).
#[utoipa::path(post, path = "/api/v1/listings/{id}/renew", tag = "listings", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "listing id")),
    request_body(content = Option<RenewBody>, description = "optional"),
    responses(
        (status = 200, body = ListingView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "a listing of another organisation"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn renew(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    id: web::Path<String>,
    OptionalJsonBody(body): OptionalJsonBody<RenewBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.unwrap_or(RenewBody {
        version: None,
        valid_until: None,
    });
    let request = ActionRequest {
        version: body.version,
        note: None,
    };
    let raw = body.valid_until;
    act(
        state,
        req,
        auth,
        &id,
        Action::Renew,
        request,
        move |listing| {
            parse_renewal(raw.as_deref(), listing.content.valid_until, today())
                .map(Command::Renew)
                .map_err(|e| ApiError::validation("valid_until", e))
        },
    )
    .await
}

/// Every step of a listing's life (the owner's members and operators).
#[utoipa::path(get, path = "/api/v1/listings/{id}/history", tag = "listings", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "listing id")),
    responses((status = 200, body = Vec<HistoryEntryView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn history(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let actor = auth.actor();
    let listing = load_visible(&state, &req, Some(&actor), &id).await?;
    if !(actor.role.is_operator() || actor.organisation_id == listing.owner) {
        deny(
            &req,
            actor.user_id,
            AccessDenied("history of another organisation's listing".into()),
        )
        .await;
        return Err(ApiError::NotFound("no such listing".into()));
    }
    let id = listing.id;
    let entries = state.db(move |conn| listings::history(conn, id)).await?;
    Ok(HttpResponse::Ok().json(
        entries
            .into_iter()
            .map(HistoryEntryView::from)
            .collect::<Vec<_>>(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MyListingsQuery {
    /// draft, pending_review, published, rejected, archived or expired.
    #[param(value_type = Option<vocabularies::ListingStatus>)]
    pub status: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// The caller's organisation's listings in every state, newest first.
#[utoipa::path(get, path = "/api/v1/me/listings", tag = "listings", security(("bearer" = [])), params(MyListingsQuery),
    responses((status = 200, body = PageView<ListingView>)))]
pub async fn mine(
    state: web::Data<AppState>,
    auth: AuthUser,
    Query(query): Query<MyListingsQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .request()?;
    let status = super::choice::<ListingStatus>("status", query.status.as_deref())?;
    let owner = auth.user.organisation_id;
    let (page, organisation) = state
        .db(move |conn| {
            let page = listings::list_by_owner(conn, owner, status, page)?;
            Ok::<_, ApiError>((page, organisations::get(conn, owner)?))
        })
        .await?;
    Ok(HttpResponse::Ok().json(PageView {
        items: page
            .items
            .into_iter()
            .map(|l| ListingView::full(l, Some(&organisation), None))
            .collect(),
        page: page.page,
        per_page: page.per_page,
        total: page.total,
    }))
}
