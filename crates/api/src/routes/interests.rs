//! Expressions of interest: expressing one, answering it, the message thread, the
//! way to a concluded transfer, and operators' notes and brokered introductions.
//! The two sides and operators see an interest; anyone else gets 404.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use techex_domain::interest::{
    CloseReason, DeclineReason, Interest, InterestAction, InterestCommand, InterestState, Outcome,
    parse_message, parse_optional_message,
};
use techex_domain::{AccessDenied, Actor, InterestId, ListingId, ValidationErrors};
use techex_store::repo::interests::{self, Scope, Thread};
use utoipa::{IntoParams, ToSchema};

use crate::auth::extract::{deny, not_found};
use crate::auth::{AuthUser, OperatorUser};
use crate::extract::{JsonBody, OptionalJsonBody, Query, path_id};
use crate::interest_flow::{self, Context};
use crate::interest_views::{self, InterestView, MessageView};
use crate::problem::ApiError;
use crate::routes::Paging;
use crate::state::AppState;
use crate::views::PageView;
use crate::vocabularies;

type Problem = crate::problem::Problem;

fn context(state: &AppState, req: &HttpRequest, auth: &AuthUser) -> Context {
    Context {
        actor: auth.actor(),
        client_ip: state.client_ip(req),
        now: techex_store::repo::listings::now(),
    }
}

/// The full view of one interest for `actor`, with contacts when disclosed.
async fn full_view(
    state: &AppState,
    actor: Actor,
    interest: Interest,
) -> Result<InterestView, ApiError> {
    let mut views = state
        .db(move |conn| interest_views::describe(conn, &actor, vec![interest], true))
        .await?;
    views
        .pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("an interest view went missing")))
}

/// Authors' names appear on the thread once contacts are disclosed (and always to
/// operators); before, only their organisations do.
fn people_disclosed(actor: &Actor, interest: &Interest) -> bool {
    actor.role.is_operator() || interest.contacts_disclosed()
}

/// A refusal decided inside a transaction (the other side's move, one's own
/// listing) is audited like any other.
async fn audited<T>(
    req: &HttpRequest,
    actor: Actor,
    result: Result<T, ApiError>,
) -> Result<T, ApiError> {
    match result {
        Err(ApiError::Forbidden(reason)) => {
            Err(deny(req, actor.user_id, AccessDenied(reason)).await)
        }
        other => other,
    }
}

/// 201 with the new interest's location and its view.
async fn created(
    state: &AppState,
    actor: Actor,
    interest: Interest,
) -> Result<HttpResponse, ApiError> {
    let location = format!("/api/v1/interests/{}", interest.id);
    let view = full_view(state, actor, interest).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(view))
}

/// Loads an interest the caller may see, or answers 404 (auditing a refused look).
async fn load_visible(
    state: &AppState,
    req: &HttpRequest,
    actor: &Actor,
    raw_id: &str,
) -> Result<Interest, ApiError> {
    let id: InterestId = path_id(raw_id, "id")?;
    let interest = state
        .db(move |conn| interests::get(conn, id))
        .await
        .map_err(not_found("interest"))?;
    if interest.can_view(actor) {
        return Ok(interest);
    }
    deny(
        req,
        actor.user_id,
        AccessDenied("interest between other organisations".into()),
    )
    .await;
    Err(ApiError::NotFound("no such interest".into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpressBody {
    /// Why your organisation is interested; 1–4000 characters.
    #[schema(required = true, value_type = String)]
    pub message: Option<String>,
    /// Optionally, your own published listing of the other kind that this answers.
    pub listing_id: Option<uuid::Uuid>,
}

/// Expresses your organisation's interest in another organisation's published
/// listing. The listing's organisation is told at once.
#[utoipa::path(post, path = "/api/v1/listings/{id}/interests", tag = "interests", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "listing id")), request_body = ExpressBody,
    responses(
        (status = 201, body = InterestView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "your own listing, or an operator"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "no such published listing"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "an open interest already exists"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "daily quota reached"),
    ))]
pub async fn express(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    id: web::Path<String>,
    JsonBody(body): JsonBody<ExpressBody>,
) -> Result<HttpResponse, ApiError> {
    let listing: ListingId = path_id(&id, "id")?;
    let message =
        parse_message(body.message.as_deref()).map_err(|e| ApiError::validation("message", e))?;
    let own = body.listing_id.map(ListingId::from_uuid);
    let ctx = context(&state, &req, &auth);
    let actor = ctx.actor;
    let quota = state.settings.interests.daily_quota;
    let interest = audited(
        &req,
        actor,
        state
            .db(move |conn| interest_flow::express(conn, &ctx, listing, own, message, quota))
            .await,
    )
    .await?;
    created(&state, actor, interest).await
}

/// The values of the list's `role`, as `list` matches them, for the document (an
/// end-to-end test sends each): the interests the caller's organisation sent, or
/// received in its listings.
pub const SIDES: [&str; 2] = ["sent", "received"];

#[derive(Debug, Deserialize, IntoParams)]
pub struct InterestListQuery {
    /// sent (your organisation's), received (in your listings); default both, or
    /// every interest for operators.
    #[param(value_type = Option<vocabularies::InterestSide>)]
    pub role: Option<String>,
    /// sent, accepted, declined, negotiating, concluded or closed.
    #[param(value_type = Option<vocabularies::InterestState>)]
    pub state: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// Interests your organisation sent or received, newest first; operators see all.
#[utoipa::path(get, path = "/api/v1/interests", tag = "interests", security(("bearer" = [])), params(InterestListQuery),
    responses((status = 200, body = PageView<InterestView>), (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    auth: AuthUser,
    Query(query): Query<InterestListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .request()?;
    let actor = auth.actor();
    let org = actor.organisation_id;
    let scope = match query.role.as_deref().map(str::trim) {
        Some("sent") => Scope::Sent(org),
        Some("received") => Scope::Received(org),
        // An empty `role=` is a value, and not one of the two: refused, as every
        // parameter that chooses among values.
        None if actor.role.is_operator() => Scope::All,
        None => Scope::Involving(org),
        Some(_) => return Err(ApiError::validation("role", "must be sent or received")),
    };
    let filter = super::choice::<InterestState>("state", query.state.as_deref())?;
    let view = state
        .db(move |conn| {
            let page = interests::list(conn, scope, filter, page)?;
            let items = interest_views::describe(conn, &actor, page.items, false)?;
            Ok::<_, ApiError>(PageView {
                items,
                page: page.page,
                per_page: page.per_page,
                total: page.total,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// One interest, with both sides' contact details once accepted.
#[utoipa::path(get, path = "/api/v1/interests/{id}", tag = "interests", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "interest id")),
    responses((status = 200, body = InterestView), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let actor = auth.actor();
    let interest = load_visible(&state, &req, &actor, &id).await?;
    Ok(HttpResponse::Ok().json(full_view(&state, actor, interest).await?))
}

/// The body of every state change; each action reads the fields it needs.
#[derive(Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterestActionBody {
    /// The version you read; a changed interest is refused with 409.
    pub version: Option<i64>,
    /// decline: too_early_stage, benefit_unclear, price, not_relevant or other;
    /// close: no_agreement, no_response, withdrawn, found_elsewhere or other.
    #[schema(value_type = Option<vocabularies::InterestReason>)]
    pub reason: Option<String>,
    /// decline (required) and close (optional): a word to the other side.
    pub message: Option<String>,
    /// conclude: the transfer's value in the currency's main unit.
    pub transfer_value: Option<i64>,
    /// conclude: ISO 4217, required with transfer_value.
    pub currency: Option<String>,
    /// conclude: YYYY-MM-DD, not in the future.
    #[schema(value_type = Option<chrono::NaiveDate>)]
    pub contract_date: Option<String>,
    /// conclude: licence, assignment, joint_development, technical_service,
    /// equipment_sale or investment.
    #[schema(value_type = Option<vocabularies::TransferMode>)]
    pub transfer_mode: Option<String>,
}

fn command(action: InterestAction, body: &InterestActionBody) -> Result<InterestCommand, ApiError> {
    let today = chrono::Utc::now().date_naive();
    let mut errors = ValidationErrors::new();
    let reason_required = |errors: &mut ValidationErrors| {
        if body.reason.is_none() {
            errors.add("reason", "is required");
        }
    };
    let command = match action {
        InterestAction::Accept => Some(InterestCommand::Accept),
        InterestAction::Negotiate => Some(InterestCommand::Negotiate),
        InterestAction::Decline => {
            reason_required(&mut errors);
            let reason = body
                .reason
                .as_deref()
                .and_then(|r| errors.check("reason", r.parse::<DeclineReason>()));
            let message = errors.check("message", parse_message(body.message.as_deref()));
            reason
                .zip(message)
                .map(|(reason, message)| InterestCommand::Decline { reason, message })
        }
        InterestAction::Close => {
            reason_required(&mut errors);
            let reason = body
                .reason
                .as_deref()
                .and_then(|r| errors.check("reason", r.parse::<CloseReason>()));
            let message = errors
                .check("message", parse_optional_message(body.message.as_deref()))
                .flatten();
            reason.map(|reason| InterestCommand::Close { reason, message })
        }
        InterestAction::Conclude => Outcome::parse(
            body.transfer_value,
            body.currency.as_deref(),
            body.contract_date.as_deref(),
            body.transfer_mode.as_deref(),
            today,
        )
        .map_err(|e| errors.extend(e))
        .ok()
        .map(InterestCommand::Conclude),
    };
    match command {
        Some(command) if errors.is_empty() => Ok(command),
        _ => Err(ApiError::Validation(errors)),
    }
}

async fn act(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    raw_id: &str,
    action: InterestAction,
    body: Option<InterestActionBody>,
) -> Result<HttpResponse, ApiError> {
    let actor = auth.actor();
    let interest = load_visible(&state, &req, &actor, raw_id).await?;
    let body = body.unwrap_or_default();
    let command = command(action, &body)?;
    let ctx = context(&state, &req, &auth);
    let id = interest.id;
    let version = body.version;
    let updated = audited(
        &req,
        actor,
        state
            .db(move |conn| interest_flow::perform(conn, &ctx, id, command, version))
            .await,
    )
    .await?;
    Ok(HttpResponse::Ok().json(full_view(&state, actor, updated).await?))
}

macro_rules! interest_action {
    ($name:ident, $action:expr, $path:literal, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "interests", security(("bearer" = [])),
            params(("id" = uuid::Uuid, Path, description = "interest id")),
            request_body(content = Option<InterestActionBody>, description = "what the action needs"),
            responses(
                (status = 200, body = InterestView),
                (status = 400, body = Problem, content_type = "application/problem+json"),
                (status = 403, body = Problem, content_type = "application/problem+json", description = "not your side's move"),
                (status = 404, body = Problem, content_type = "application/problem+json"),
                (status = 409, body = Problem, content_type = "application/problem+json", description = "not allowed in the interest's state, or changed meanwhile"),
            ))]
        pub async fn $name(
            state: web::Data<AppState>,
            req: HttpRequest,
            auth: AuthUser,
            id: web::Path<String>,
            OptionalJsonBody(body): OptionalJsonBody<InterestActionBody>,
        ) -> Result<HttpResponse, ApiError> {
            act(state, req, auth, &id, $action, body).await
        }
    };
}

interest_action!(
    accept,
    InterestAction::Accept,
    "/api/v1/interests/{id}/accept",
    "The listing's organisation accepts: both sides' contact details are disclosed."
);
interest_action!(
    decline,
    InterestAction::Decline,
    "/api/v1/interests/{id}/decline",
    "The listing's organisation declines, with a reason and a message."
);
interest_action!(
    negotiate,
    InterestAction::Negotiate,
    "/api/v1/interests/{id}/negotiate",
    "Either side records that negotiation has started."
);
interest_action!(
    conclude,
    InterestAction::Conclude,
    "/api/v1/interests/{id}/conclude",
    "Either side records the concluded transfer, with its terms if they wish."
);
interest_action!(
    close,
    InterestAction::Close,
    "/api/v1/interests/{id}/close",
    "Either side closes the interest without a transfer (the requester may also withdraw a new one)."
);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageBody {
    /// 1–4000 characters.
    #[schema(required = true, value_type = String)]
    pub body: Option<String>,
}

/// The message thread of an interest (the two sides and operators).
#[utoipa::path(get, path = "/api/v1/interests/{id}/messages", tag = "interests", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "interest id")),
    responses((status = 200, body = Vec<MessageView>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn messages(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let actor = auth.actor();
    let interest = load_visible(&state, &req, &actor, &id).await?;
    let views = state
        .db(move |conn| {
            let messages = interests::messages(conn, interest.id, Thread::Messages)?;
            interest_views::thread(conn, messages, people_disclosed(&actor, &interest))
        })
        .await?;
    Ok(HttpResponse::Ok().json(views))
}

/// Writes to the thread (the two sides, while the interest is open); the other
/// side is told.
#[utoipa::path(post, path = "/api/v1/interests/{id}/messages", tag = "interests", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "interest id")), request_body = MessageBody,
    responses(
        (status = 201, body = MessageView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "operators write notes instead"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "the interest is closed"),
    ))]
pub async fn post_message(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    id: web::Path<String>,
    JsonBody(body): JsonBody<MessageBody>,
) -> Result<HttpResponse, ApiError> {
    let actor = auth.actor();
    let interest = load_visible(&state, &req, &actor, &id).await?;
    if interest.party(&actor).is_none() {
        let denied =
            AccessDenied("only the two sides write to the thread; operators add notes".into());
        return Err(deny(&req, actor.user_id, denied).await);
    }
    interest.ensure_open().map_err(interest_flow::refused)?;
    let text = parse_message(body.body.as_deref()).map_err(|e| ApiError::validation("body", e))?;
    written(state, req, auth, interest, text, false).await
}

async fn written(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    interest: Interest,
    text: String,
    operator_note: bool,
) -> Result<HttpResponse, ApiError> {
    let ctx = context(&state, &req, &auth);
    let people = people_disclosed(&ctx.actor, &interest);
    let mut views = state
        .db(move |conn| {
            let message = interest_flow::post(conn, &ctx, &interest, &text, operator_note)?;
            interest_views::thread(conn, vec![message], people)
        })
        .await?;
    let view = views
        .pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a message view went missing")))?;
    Ok(HttpResponse::Created().json(view))
}

/// An interest, for an operator (the extractor has checked the role, before any
/// body is read).
async fn operator_interest(
    state: &AppState,
    req: &HttpRequest,
    OperatorUser(auth): &OperatorUser,
    raw_id: &str,
) -> Result<Interest, ApiError> {
    load_visible(state, req, &auth.actor(), raw_id).await
}

/// Operators' notes on an interest; the two sides never see them.
#[utoipa::path(get, path = "/api/v1/interests/{id}/notes", tag = "interests", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "interest id")),
    responses((status = 200, body = Vec<MessageView>), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn notes(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: OperatorUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let interest = operator_interest(&state, &req, &auth, &id).await?;
    let views = state
        .db(move |conn| {
            let notes = interests::messages(conn, interest.id, Thread::Notes)?;
            interest_views::thread(conn, notes, true)
        })
        .await?;
    Ok(HttpResponse::Ok().json(views))
}

/// Adds an operator's note (operators).
#[utoipa::path(post, path = "/api/v1/interests/{id}/notes", tag = "interests", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "interest id")), request_body = MessageBody,
    responses((status = 201, body = MessageView), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn add_note(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: OperatorUser,
    id: web::Path<String>,
    JsonBody(body): JsonBody<MessageBody>,
) -> Result<HttpResponse, ApiError> {
    let interest = operator_interest(&state, &req, &auth, &id).await?;
    let text = parse_message(body.body.as_deref()).map_err(|e| ApiError::validation("body", e))?;
    written(state, req, auth.0, interest, text, true).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrokerBody {
    /// A published offer.
    #[schema(required = true, value_type = uuid::Uuid)]
    pub offer_id: Option<uuid::Uuid>,
    /// A published need of another organisation.
    #[schema(required = true, value_type = uuid::Uuid)]
    pub need_id: Option<uuid::Uuid>,
    /// The introduction both sides read; 1–4000 characters.
    #[schema(required = true, value_type = String)]
    pub message: Option<String>,
}

/// An operator introduces a need's organisation to an offer: an interest in the
/// offer on the need's behalf, told to both organisations.
#[utoipa::path(post, path = "/api/v1/interests/broker", tag = "interests", security(("bearer" = [])),
    request_body = BrokerBody,
    responses(
        (status = 201, body = InterestView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn broker(
    state: web::Data<AppState>,
    req: HttpRequest,
    OperatorUser(auth): OperatorUser,
    JsonBody(body): JsonBody<BrokerBody>,
) -> Result<HttpResponse, ApiError> {
    let actor = auth.actor();
    let mut errors = ValidationErrors::new();
    let offer = body.offer_id.map(ListingId::from_uuid);
    let need = body.need_id.map(ListingId::from_uuid);
    if offer.is_none() {
        errors.add("offer_id", "is required");
    }
    if need.is_none() {
        errors.add("need_id", "is required");
    }
    let message = errors.check("message", parse_message(body.message.as_deref()));
    let (Some(offer), Some(need), Some(message)) = (offer, need, message) else {
        return Err(ApiError::Validation(errors));
    };
    let ctx = context(&state, &req, &auth);
    let interest = state
        .db(move |conn| interest_flow::broker(conn, &ctx, offer, need, message))
        .await?;
    created(&state, actor, interest).await
}
