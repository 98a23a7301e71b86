//! Webhook endpoints and their persistent delivery queue.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use techex_domain::event::EventKind;
use techex_domain::{OrganisationId, UserId};
use uuid::Uuid;

use crate::connection::DbConnection;
use crate::error::{StoreError, StoreResult};
use crate::paging::{Page, PageRequest};
use crate::rows::parse_id;
use crate::schema::{webhook_deliveries::dsl as d, webhooks::dsl as w};
use crate::store::write_transaction;
use crate::time::{from_db, to_db};

/// Queues a delivery of `payload` to every endpoint of `organisation` subscribed
/// to `event`, due at once. Call inside the transaction that makes the change, so
/// a committed change is never without its deliveries.
pub fn enqueue_for(
    conn: &mut DbConnection,
    organisation: OrganisationId,
    event: EventKind,
    payload: &str,
    now: DateTime<Utc>,
) -> StoreResult<usize> {
    let endpoints: Vec<(String, String)> = w::webhooks
        .filter(w::organisation_id.eq(organisation.to_string()))
        .select((w::id, w::events))
        .load(conn)?;
    let mut queued = 0;
    for (webhook, events) in endpoints {
        if !events.split_ascii_whitespace().any(|e| e == event.as_str()) {
            continue;
        }
        diesel::insert_into(d::webhook_deliveries)
            .values((
                d::id.eq(Uuid::now_v7().to_string()),
                d::webhook_id.eq(webhook),
                d::event.eq(event.as_str()),
                d::payload.eq(payload),
                d::state.eq("pending"),
                d::attempts.eq(0),
                d::next_attempt_at.eq(to_db(now)),
                d::created_at.eq(to_db(now)),
            ))
            .execute(conn)?;
        queued += 1;
    }
    Ok(queued)
}

const T: &str = "webhooks";
const TD: &str = "webhook_deliveries";

/// A registered endpoint. `secret` is the HMAC key; the API shows it once only.
#[derive(Clone, Debug, PartialEq)]
pub struct Webhook {
    pub id: Uuid,
    pub organisation: OrganisationId,
    pub url: String,
    pub secret: String,
    pub events: Vec<EventKind>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = crate::schema::webhooks)]
struct WebhookRow {
    id: String,
    organisation_id: String,
    url: String,
    secret: String,
    events: String,
    created_by: String,
    created_at: NaiveDateTime,
}

impl WebhookRow {
    fn into_webhook(self) -> StoreResult<Webhook> {
        let corrupt = |detail: String| StoreError::Corrupt { table: T, detail };
        Ok(Webhook {
            id: parse_id(T, &self.id)?,
            organisation: parse_id(T, &self.organisation_id)?,
            events: self
                .events
                .split_ascii_whitespace()
                .map(str::parse::<EventKind>)
                .collect::<Result<_, _>>()
                .map_err(corrupt)?,
            created_by: parse_id(T, &self.created_by)?,
            url: self.url,
            secret: self.secret,
            created_at: from_db(self.created_at),
        })
    }
}

/// Stores a new endpoint.
pub fn insert(conn: &mut DbConnection, webhook: &Webhook) -> StoreResult<()> {
    let events: Vec<&str> = webhook.events.iter().map(|e| e.as_str()).collect();
    diesel::insert_into(w::webhooks)
        .values((
            w::id.eq(webhook.id.to_string()),
            w::organisation_id.eq(webhook.organisation.to_string()),
            w::url.eq(&webhook.url),
            w::secret.eq(&webhook.secret),
            w::events.eq(events.join(" ")),
            w::created_by.eq(webhook.created_by.to_string()),
            w::created_at.eq(to_db(webhook.created_at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// How many endpoints `organisation` has.
pub fn count_for(conn: &mut DbConnection, organisation: OrganisationId) -> StoreResult<i64> {
    Ok(w::webhooks
        .filter(w::organisation_id.eq(organisation.to_string()))
        .count()
        .get_result(conn)?)
}

/// `organisation`'s endpoints, oldest first.
pub fn list_for(
    conn: &mut DbConnection,
    organisation: OrganisationId,
) -> StoreResult<Vec<Webhook>> {
    w::webhooks
        .filter(w::organisation_id.eq(organisation.to_string()))
        .order((w::created_at.asc(), w::id.asc()))
        .select(WebhookRow::as_select())
        .load(conn)?
        .into_iter()
        .map(WebhookRow::into_webhook)
        .collect()
}

pub fn get(conn: &mut DbConnection, id: Uuid) -> StoreResult<Webhook> {
    w::webhooks
        .find(id.to_string())
        .select(WebhookRow::as_select())
        .first(conn)?
        .into_webhook()
}

/// Deletes the endpoint and its deliveries (also cascaded by the schema; deleted
/// here explicitly so the result does not depend on a connection setting).
pub fn delete(conn: &mut DbConnection, id: Uuid) -> StoreResult<()> {
    write_transaction(conn, |conn| {
        diesel::delete(d::webhook_deliveries.filter(d::webhook_id.eq(id.to_string())))
            .execute(conn)?;
        let deleted = diesel::delete(w::webhooks.find(id.to_string())).execute(conn)?;
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    })
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryState {
    /// Waiting for its next attempt (the first one included).
    Pending,
    Delivered,
    /// Given up after the last allowed attempt.
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    fn parse(raw: &str) -> StoreResult<Self> {
        match raw {
            "pending" => Ok(Self::Pending),
            "delivered" => Ok(Self::Delivered),
            "failed" => Ok(Self::Failed),
            other => Err(StoreError::Corrupt {
                table: TD,
                detail: format!("unknown state '{other}'"),
            }),
        }
    }
}

/// One entry of an endpoint's delivery log.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    pub id: Uuid,
    pub webhook: Uuid,
    pub event: String,
    pub payload: String,
    pub state: DeliveryState,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = crate::schema::webhook_deliveries)]
struct DeliveryRow {
    id: String,
    webhook_id: String,
    event: String,
    payload: String,
    state: String,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    last_attempt_at: Option<NaiveDateTime>,
    last_status: Option<i32>,
    last_error: Option<String>,
    created_at: NaiveDateTime,
    delivered_at: Option<NaiveDateTime>,
}

impl DeliveryRow {
    fn into_delivery(self) -> StoreResult<Delivery> {
        Ok(Delivery {
            id: parse_id(TD, &self.id)?,
            webhook: parse_id(TD, &self.webhook_id)?,
            state: DeliveryState::parse(&self.state)?,
            event: self.event,
            payload: self.payload,
            attempts: self.attempts,
            next_attempt_at: from_db(self.next_attempt_at),
            last_attempt_at: self.last_attempt_at.map(from_db),
            last_status: self.last_status,
            last_error: self.last_error,
            created_at: from_db(self.created_at),
            delivered_at: self.delivered_at.map(from_db),
        })
    }
}

/// An endpoint's deliveries, newest first.
pub fn deliveries(
    conn: &mut DbConnection,
    webhook: Uuid,
    page: PageRequest,
) -> StoreResult<Page<Delivery>> {
    let total: i64 = d::webhook_deliveries
        .filter(d::webhook_id.eq(webhook.to_string()))
        .count()
        .get_result(conn)?;
    let items = d::webhook_deliveries
        .filter(d::webhook_id.eq(webhook.to_string()))
        .order((d::created_at.desc(), d::id.desc()))
        .limit(page.limit())
        .offset(page.offset())
        .select(DeliveryRow::as_select())
        .load(conn)?
        .into_iter()
        .map(DeliveryRow::into_delivery)
        .collect::<StoreResult<_>>()?;
    Ok(Page::new(items, page, total))
}

/// A delivery this worker has claimed, with what it needs to send it.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimedDelivery {
    pub id: Uuid,
    pub webhook: Uuid,
    pub url: String,
    pub secret: String,
    pub event: String,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: i32,
}

/// Claims up to `limit` due deliveries for `lease`: each is taken with a
/// compare-and-set on its `next_attempt_at`, so of several replicas polling one
/// database exactly one wins each delivery. A claimed delivery that is never
/// recorded (the process died) becomes due again when the lease runs out.
pub fn claim_due(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    lease: Duration,
    limit: i64,
) -> StoreResult<Vec<ClaimedDelivery>> {
    let now_db = to_db(now);
    let leased_until = to_db(now + lease);
    #[allow(clippy::type_complexity)]
    let due: Vec<(
        String,
        String,
        String,
        String,
        String,
        String,
        i32,
        NaiveDateTime,
    )> = d::webhook_deliveries
        .inner_join(w::webhooks)
        .filter(d::state.eq(DeliveryState::Pending.as_str()))
        .filter(d::next_attempt_at.le(now_db))
        .order((d::next_attempt_at.asc(), d::id.asc()))
        .limit(limit)
        .select((
            d::id,
            d::webhook_id,
            w::url,
            w::secret,
            d::event,
            d::payload,
            d::attempts,
            d::next_attempt_at,
        ))
        .load(conn)?;
    let mut claimed = Vec::with_capacity(due.len());
    for (id, webhook, url, secret, event, payload, attempts, seen_next) in due {
        let won = diesel::update(
            d::webhook_deliveries
                .filter(d::id.eq(&id))
                .filter(d::state.eq(DeliveryState::Pending.as_str()))
                .filter(d::next_attempt_at.eq(seen_next)),
        )
        .set(d::next_attempt_at.eq(leased_until))
        .execute(conn)?;
        if won == 1 {
            claimed.push(ClaimedDelivery {
                id: parse_id(TD, &id)?,
                webhook: parse_id(TD, &webhook)?,
                url,
                secret,
                event,
                payload,
                attempts,
            });
        }
    }
    Ok(claimed)
}

type AsClaimed = diesel::dsl::Filter<
    diesel::dsl::Filter<
        diesel::dsl::Find<d::webhook_deliveries, String>,
        diesel::dsl::Eq<d::state, &'static str>,
    >,
    diesel::dsl::Eq<d::attempts, i32>,
>;

/// The delivery as claimed: still pending, with the attempts counted at the claim.
/// A result is recorded only against it, so a worker whose lease ran out (and whose
/// delivery another worker took over) cannot overwrite the newer outcome.
fn as_claimed(id: Uuid, attempts_before: i32) -> AsClaimed {
    d::webhook_deliveries
        .find(id.to_string())
        .filter(d::state.eq(DeliveryState::Pending.as_str()))
        .filter(d::attempts.eq(attempts_before))
}

/// Records a 2xx answer: the delivery is done. `attempts_before` is the count the
/// claim saw; `NotFound` if the delivery is no longer as claimed.
pub fn record_success(
    conn: &mut DbConnection,
    id: Uuid,
    attempts_before: i32,
    status: u16,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let now = to_db(now);
    let updated = diesel::update(as_claimed(id, attempts_before))
        .set((
            d::state.eq(DeliveryState::Delivered.as_str()),
            d::attempts.eq(d::attempts + 1),
            d::last_attempt_at.eq(now),
            d::last_status.eq(Some(i32::from(status))),
            d::last_error.eq(None::<String>),
            d::delivered_at.eq(Some(now)),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// When and how often failed deliveries are retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; after the last the delivery is `failed`.
    pub max_attempts: u32,
    /// Delay after the first failure; doubled after each further one.
    pub base: Duration,
}

/// The longest wait between two attempts.
pub const MAX_BACKOFF_SECS: i64 = 3600;

impl RetryPolicy {
    /// The wait after the `attempts`-th failed attempt: base · 2^(attempts−1), at
    /// most [`MAX_BACKOFF_SECS`].
    pub fn backoff(&self, attempts: u32) -> Duration {
        let base = self.base.num_seconds().max(0);
        let exponent = attempts.saturating_sub(1).min(32);
        let delay = base.saturating_mul(1_i64 << exponent).min(MAX_BACKOFF_SECS);
        Duration::seconds(delay)
    }
}

/// Records a failed attempt (an answer other than 2xx, with its `status`, or none
/// at all) and schedules the next one, or gives up after the last; returns the
/// delivery's new state. `attempts_before` is the count the claim saw; `NotFound`
/// if the delivery is no longer as claimed.
pub fn record_failure(
    conn: &mut DbConnection,
    id: Uuid,
    attempts_before: i32,
    status: Option<u16>,
    error: &str,
    policy: RetryPolicy,
    now: DateTime<Utc>,
) -> StoreResult<DeliveryState> {
    let attempts = attempts_before.saturating_add(1);
    let made = u32::try_from(attempts).unwrap_or(u32::MAX);
    let state = if made >= policy.max_attempts {
        DeliveryState::Failed
    } else {
        DeliveryState::Pending
    };
    let next = now + policy.backoff(made);
    // Error texts come from the network: keep the log bounded.
    let error: String = error.chars().take(500).collect();
    let updated = diesel::update(as_claimed(id, attempts_before))
        .set((
            d::state.eq(state.as_str()),
            d::attempts.eq(attempts),
            d::last_attempt_at.eq(Some(to_db(now))),
            d::last_status.eq(status.map(i32::from)),
            d::last_error.eq(Some(error)),
            d::next_attempt_at.eq(to_db(next)),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(state)
}
