//! The audit log, for operators.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Datelike, NaiveTime, Utc};
use serde::Deserialize;
use techex_domain::validation::parse_date;
use techex_domain::{AuditAction, UserId, ValidationErrors};
use techex_store::repo::audit::{self, AuditFilter};
use utoipa::IntoParams;

use crate::auth::OperatorUser;
use crate::extract::Query;
use crate::problem::ApiError;
use crate::routes::Paging;
use crate::state::AppState;
use crate::views::{AuditEntryView, PageView};
use crate::vocabularies;

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// The acting user's id.
    pub actor: Option<uuid::Uuid>,
    /// e.g. login_failed, access_denied, organisation_verified, role_changed.
    #[param(value_type = Option<vocabularies::AuditAction>)]
    pub action: Option<String>,
    /// e.g. user, organisation, account, route.
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// RFC 3339 time, inclusive; or a date YYYY-MM-DD, from its start (UTC).
    pub from: Option<String>,
    /// RFC 3339 time, exclusive; or a date YYYY-MM-DD, to its end (UTC): the whole
    /// day is included.
    pub to: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// Audit entries, newest first (operators).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])), params(AuditQuery),
    responses(
        (status = 200, body = PageView<AuditEntryView>),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    state: web::Data<AppState>,
    _operator: OperatorUser,
    Query(query): Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Paging {
        page: query.page,
        per_page: query.per_page,
    }
    .request()?;
    let action = super::choice::<AuditAction>("action", query.action.as_deref())?;
    let mut errors = ValidationErrors::new();
    for (field, value) in [
        ("object_type", &query.object_type),
        ("object_id", &query.object_id),
    ] {
        if value
            .as_deref()
            .is_some_and(|v| v.chars().count() > 200 || v.chars().any(char::is_control))
        {
            errors.add(
                field,
                "must be at most 200 characters without control characters",
            );
        }
    }
    let from = parse_bound(query.from.as_deref(), Bound::From, &mut errors);
    let to = parse_bound(query.to.as_deref(), Bound::To, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if let (Some(from), Some(to)) = (from, to)
        && from >= to
    {
        return Err(ApiError::validation("to", "must be after from"));
    }
    let filter = AuditFilter {
        actor: query.actor.map(UserId::from_uuid),
        action,
        object_type: query.object_type,
        object_id: query.object_id,
        from,
        to,
    };
    let page = state
        .db(move |conn| audit::list(conn, &filter, page))
        .await?;
    Ok(HttpResponse::Ok().json(PageView::<AuditEntryView>::from_page(page)))
}

#[derive(Clone, Copy)]
enum Bound {
    From,
    To,
}

/// One end of the period: an RFC 3339 time as it is, or a date YYYY-MM-DD in UTC,
/// which `to` includes whole (as the statistics' period does): it ends at the next
/// midnight.
fn parse_bound(
    raw: Option<&str>,
    bound: Bound,
    errors: &mut ValidationErrors,
) -> Option<DateTime<Utc>> {
    let raw = raw?;
    let field = match bound {
        Bound::From => "from",
        Bound::To => "to",
    };
    let time = raw.parse::<DateTime<Utc>>().ok().or_else(|| {
        let day = parse_date(raw).ok()?;
        let day = match bound {
            Bound::From => day,
            Bound::To => day.succ_opt()?,
        };
        Some(day.and_time(NaiveTime::MIN).and_utc())
    });
    let Some(time) = time else {
        errors.add(
            field,
            "must be an RFC 3339 time such as 2026-01-31T08:00:00Z, or a date YYYY-MM-DD",
        );
        return None;
    };
    if !(1970..=9999).contains(&time.year()) {
        errors.add(field, "must be between the years 1970 and 9999");
        return None;
    }
    Some(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(raw: &str, bound: Bound) -> Result<String, String> {
        let mut errors = ValidationErrors::new();
        parse_bound(Some(raw), bound, &mut errors)
            .map(|t| t.to_rfc3339())
            .ok_or_else(|| errors.to_string())
    }

    #[test]
    fn a_bound_is_a_time_or_a_whole_day() {
        assert_eq!(
            bound("2026-12-31", Bound::From).unwrap(),
            "2026-12-31T00:00:00+00:00"
        );
        assert_eq!(
            bound("2026-12-31", Bound::To).unwrap(),
            "2027-01-01T00:00:00+00:00",
            "the whole last day is included"
        );
        assert_eq!(
            bound("2026-12-31T08:30:00+07:00", Bound::To).unwrap(),
            "2026-12-31T01:30:00+00:00"
        );
        for bad in ["2026-12", "yesterday", "+12026-01-01"] {
            let error = bound(bad, Bound::From).unwrap_err();
            assert!(error.contains("YYYY-MM-DD"), "{bad}: {error}");
            assert!(!error.contains("premature"), "{bad}: {error}");
        }
        assert!(
            bound("1969-12-31", Bound::From)
                .unwrap_err()
                .contains("1970")
        );
    }
}
