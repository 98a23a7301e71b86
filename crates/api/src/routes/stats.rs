//! Statistics: the operators' figures for a period (JSON and CSV) and a public
//! summary. The figures are computed in `techex_store::repo::stats`.

use actix_web::{HttpResponse, web};
use chrono::{NaiveDate, NaiveTime, TimeDelta, Utc};
use serde::Deserialize;
use techex_domain::ValidationErrors;
use techex_domain::validation::parse_date;
use techex_store::repo::stats::{self, Period};
use utoipa::IntoParams;

use crate::auth::{MaybeAuthUser, OperatorUser};
use crate::extract::Query;
use crate::problem::ApiError;
use crate::state::AppState;
use crate::stats_views::{self, PeriodView, PublicStatsView, StatsView};

#[derive(Debug, Deserialize, IntoParams)]
pub struct StatsQuery {
    /// First day counted, `YYYY-MM-DD` (UTC, inclusive); no lower bound if absent.
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<String>,
    /// Last day counted, `YYYY-MM-DD` (UTC, inclusive: the whole day); no upper
    /// bound if absent.
    #[param(value_type = Option<NaiveDate>)]
    pub to: Option<String>,
}

fn parse_day(raw: Option<&str>, field: &str, errors: &mut ValidationErrors) -> Option<NaiveDate> {
    errors.check(field, parse_date(raw?))
}

impl StatsQuery {
    /// The dates asked for, and the half-open period of times they cover.
    fn period(&self) -> Result<(PeriodView, Period), ApiError> {
        let mut errors = ValidationErrors::new();
        let from = parse_day(self.from.as_deref(), "from", &mut errors);
        let to = parse_day(self.to.as_deref(), "to", &mut errors);
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err(ApiError::validation("to", "must not be before from"));
        }
        let start = |day: NaiveDate| day.and_time(NaiveTime::MIN).and_utc();
        let period = Period {
            from: from.map(start),
            // The whole of the last day: up to the next midnight, excluded.
            until: to.map(|to| start(to) + TimeDelta::days(1)),
        };
        Ok((PeriodView { from, to }, period))
    }
}

async fn compute(state: &AppState, query: &StatsQuery) -> Result<StatsView, ApiError> {
    let (dates, period) = query.period()?;
    let figures = state.db(move |conn| stats::compute(conn, period)).await?;
    Ok(StatsView::new(dates, figures))
}

/// The exchange's figures for a period (operators).
#[utoipa::path(get, path = "/api/v1/stats", tag = "statistics", security(("bearer" = [])),
    params(StatsQuery),
    responses(
        (status = 200, body = StatsView),
        (status = 400, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn report(
    state: web::Data<AppState>,
    _operator: OperatorUser,
    Query(query): Query<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(compute(&state, &query).await?))
}

/// The same figures as CSV rows `section,key,subkey,value` (operators).
#[utoipa::path(get, path = "/api/v1/stats.csv", tag = "statistics", security(("bearer" = [])),
    params(StatsQuery),
    responses(
        (status = 200, content_type = "text/csv", body = String,
            description = "a header row, then one row per figure"),
        (status = 400, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn report_csv(
    state: web::Data<AppState>,
    _operator: OperatorUser,
    Query(query): Query<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let view = compute(&state, &query).await?;
    let day = |d: Option<NaiveDate>| d.map_or_else(|| "all".to_owned(), |d| d.to_string());
    let file = format!(
        "techex-stats-{}-{}.csv",
        day(view.period.from),
        day(view.period.to)
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{file}\""),
        ))
        .body(stats_views::csv(&view)))
}

/// A summary anybody may see: published offers and needs, concluded transfers and
/// verified organisations; nothing that identifies anyone.
#[utoipa::path(get, path = "/api/v1/stats/public", tag = "statistics",
    responses((status = 200, body = PublicStatsView)))]
pub async fn public(
    state: web::Data<AppState>,
    // Public figures, but a token that is sent must be valid, as everywhere.
    _caller: MaybeAuthUser,
) -> Result<HttpResponse, ApiError> {
    let today = Utc::now().date_naive();
    let figures = state.db(move |conn| stats::public(conn, today)).await?;
    Ok(HttpResponse::Ok().json(PublicStatsView::from(figures)))
}
