//! Figures for an exchange's operators and for the public.
//!
//! Counting that both SQL dialects write alike (`GROUP BY … COUNT(*)`) runs in the
//! database; what they write differently (month buckets, percentiles, sums that
//! PostgreSQL would widen to `NUMERIC`) is computed here from the few columns needed,
//! read for one period only. `docs/api.md` ("Statistics") defines every figure.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;
use serde::Serialize;
use techex_domain::interest::InterestState;
use techex_domain::listing::{Action, ListingKind};

use crate::connection::DbConnection;
use crate::error::StoreResult;
use crate::repo::listings::publicly_visible;
use crate::schema::{
    interests::dsl as i, listing_history::dsl as h, listing_sectors::dsl as ls, listings::dsl as l,
    organisations::dsl as o,
};
use crate::time::{from_db, to_db};

/// The key used for a listing without a province.
pub const NO_PROVINCE: &str = "unspecified";

/// A half-open period `[from, until)`; either end may be open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Period {
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl Period {
    /// The bounds as stored, open ends replaced by the first and last representable
    /// times (SQLite compares timestamps as text, so they stay within years 1–9999).
    fn bounds(self) -> (NaiveDateTime, NaiveDateTime) {
        let lowest = NaiveDate::from_ymd_opt(1, 1, 1)
            .unwrap_or(NaiveDate::MIN)
            .and_time(NaiveTime::MIN);
        let highest = NaiveDate::from_ymd_opt(9999, 12, 31)
            .unwrap_or(NaiveDate::MAX)
            .and_time(NaiveTime::MIN)
            + chrono::Duration::days(1)
            - chrono::Duration::microseconds(1);
        let from = self.from.map_or(lowest, to_db).clamp(lowest, highest);
        let until = self.until.map_or(highest, to_db).clamp(lowest, highest);
        (from, until)
    }
}

/// `from <= column < until` for a timestamp column.
macro_rules! within {
    ($column:expr, $period:expr) => {{
        let (from, until) = $period.bounds();
        $column.ge(from).and($column.lt(until))
    }};
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Stats {
    pub listings: ListingStats,
    pub review: ReviewStats,
    pub interests: InterestStats,
    pub transfers: TransferStats,
}

/// Listings created in the period.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ListingStats {
    pub total: i64,
    pub by_kind: BTreeMap<String, i64>,
    /// By status as it is now.
    pub by_status: BTreeMap<String, i64>,
    /// A listing counts once in each of its sectors.
    pub by_sector: BTreeMap<String, i64>,
    pub by_province: BTreeMap<String, i64>,
    /// `YYYY-MM` → kind → count; months without listings are left out.
    pub by_month: BTreeMap<String, BTreeMap<String, i64>>,
}

/// Decisions (approve, reject) taken in the period.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ReviewStats {
    pub decisions: i64,
    pub approvals: i64,
    pub rejections: i64,
    /// approvals / decisions; `None` without decisions.
    pub approval_rate: Option<f64>,
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
    pub rejection_reasons: BTreeMap<String, i64>,
}

/// Interests created in the period.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct InterestStats {
    pub total: i64,
    pub by_state: BTreeMap<String, i64>,
    pub responded: i64,
    /// responded / total; `None` without interests.
    pub response_rate: Option<f64>,
    pub median_response_hours: Option<f64>,
    /// Interests an operator expressed on an organisation's behalf.
    pub brokered: i64,
}

/// Interests concluded in the period.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TransferStats {
    pub count: i64,
    /// Currency → sum of the values reported (transfers without a value add nothing).
    pub value_by_currency: BTreeMap<String, i64>,
    /// A transfer counts once in each sector of the listing it is about.
    pub by_sector: BTreeMap<String, TransferGroup>,
    pub by_province: BTreeMap<String, TransferGroup>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TransferGroup {
    pub count: i64,
    pub value_by_currency: BTreeMap<String, i64>,
}

impl TransferGroup {
    fn add(&mut self, value: Option<(&str, i64)>) {
        self.count += 1;
        if let Some((currency, value)) = value {
            let sum = self
                .value_by_currency
                .entry(currency.to_owned())
                .or_default();
            *sum = sum.saturating_add(value);
        }
    }
}

/// What anybody may see: nothing that identifies anyone.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PublicStats {
    /// Offers the public catalogue shows today.
    pub published_offers: i64,
    /// Needs the public catalogue shows today.
    pub published_needs: i64,
    /// Concluded transfers, all time.
    pub concluded_transfers: i64,
    pub verified_organisations: i64,
}

/// Every operator figure for `period`.
pub fn compute(conn: &mut DbConnection, period: Period) -> StoreResult<Stats> {
    Ok(Stats {
        listings: listing_stats(conn, period)?,
        review: review_stats(conn, period)?,
        interests: interest_stats(conn, period)?,
        transfers: transfer_stats(conn, period)?,
    })
}

fn counts(rows: Vec<(String, i64)>) -> BTreeMap<String, i64> {
    rows.into_iter().collect()
}

fn listing_stats(conn: &mut DbConnection, period: Period) -> StoreResult<ListingStats> {
    let by_kind = counts(
        l::listings
            .filter(within!(l::created_at, period))
            .group_by(l::kind)
            .select((l::kind, count_star()))
            .load(conn)?,
    );
    let by_status = counts(
        l::listings
            .filter(within!(l::created_at, period))
            .group_by(l::status)
            .select((l::status, count_star()))
            .load(conn)?,
    );
    let provinces: Vec<(Option<String>, i64)> = l::listings
        .filter(within!(l::created_at, period))
        .group_by(l::province)
        .select((l::province, count_star()))
        .load(conn)?;
    let mut by_province = BTreeMap::new();
    for (province, count) in provinces {
        *by_province
            .entry(province.unwrap_or_else(|| NO_PROVINCE.to_owned()))
            .or_default() += count;
    }
    let by_sector = counts(
        ls::listing_sectors
            .inner_join(l::listings)
            .filter(within!(l::created_at, period))
            .group_by(ls::code)
            .select((ls::code, count_star()))
            .load(conn)?,
    );
    Ok(ListingStats {
        total: by_kind.values().sum(),
        by_month: listings_by_month(conn, period)?,
        by_kind,
        by_status,
        by_sector,
        by_province,
    })
}

/// Month buckets differ per dialect (`strftime` against `to_char`), so each month is
/// counted with a range query of its own, from the first listing's month to the
/// last one's: as many queries as the data spans months, each served by the
/// `created_at` index.
fn listings_by_month(
    conn: &mut DbConnection,
    period: Period,
) -> StoreResult<BTreeMap<String, BTreeMap<String, i64>>> {
    let (first, last): (Option<NaiveDateTime>, Option<NaiveDateTime>) = l::listings
        .filter(within!(l::created_at, period))
        .select((
            diesel::dsl::min(l::created_at),
            diesel::dsl::max(l::created_at),
        ))
        .first(conn)?;
    let mut by_month = BTreeMap::new();
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(by_month);
    };
    let mut month = first.date().with_day(1).unwrap_or(first.date());
    while month <= last.date() {
        let next = month + Months::new(1);
        let start = from_db(month.and_time(NaiveTime::MIN));
        let start = period.from.map_or(start, |from| start.max(from));
        let end = from_db(next.and_time(NaiveTime::MIN));
        let end = period.until.map_or(end, |until| end.min(until));
        let bucket = Period {
            from: Some(start),
            until: Some(end),
        };
        let rows: Vec<(String, i64)> = l::listings
            .filter(within!(l::created_at, bucket))
            .group_by(l::kind)
            .select((l::kind, count_star()))
            .load(conn)?;
        if !rows.is_empty() {
            by_month.insert(month_key(month), counts(rows));
        }
        month = next;
    }
    Ok(by_month)
}

fn month_key(date: NaiveDate) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

type HistoryRow = (String, String, NaiveDateTime, Option<String>);

fn review_stats(conn: &mut DbConnection, period: Period) -> StoreResult<ReviewStats> {
    let decided = [Action::Approve.as_str(), Action::Reject.as_str()];
    // The listings with a decision in the period …
    let d = diesel::alias!(crate::schema::listing_history as decisions);
    let decided_listings = d
        .filter(d.field(h::action).eq_any(decided))
        .filter(within!(d.field(h::occurred_at), period))
        .select(d.field(h::listing_id));
    // … and their submissions and decisions up to the period's end, in order.
    let (_, until) = period.bounds();
    let rows = h::listing_history
        .filter(h::listing_id.eq_any(decided_listings))
        .filter(h::action.eq_any([
            Action::Submit.as_str(),
            Action::Approve.as_str(),
            Action::Reject.as_str(),
        ]))
        .filter(h::occurred_at.lt(until));
    let rows: Vec<HistoryRow> = rows
        .order((h::listing_id.asc(), h::occurred_at.asc(), h::id.asc()))
        .select((h::listing_id, h::action, h::occurred_at, h::reason_code))
        .load(conn)?;

    let (from, _) = period.bounds();
    let mut stats = ReviewStats::default();
    let mut hours = Vec::new();
    let mut submitted: Option<(&str, NaiveDateTime)> = None;
    for (listing, action, at, reason) in &rows {
        if action == Action::Submit.as_str() {
            submitted = Some((listing, *at));
            continue;
        }
        // The submission this decision answers: the last one of the same listing.
        let answered = submitted
            .take()
            .filter(|(of, _)| of == listing)
            .map(|(_, at)| at);
        if *at < from {
            continue;
        }
        stats.decisions += 1;
        if action == Action::Approve.as_str() {
            stats.approvals += 1;
        } else {
            stats.rejections += 1;
            let reason = reason.clone().unwrap_or_else(|| "unspecified".to_owned());
            *stats.rejection_reasons.entry(reason).or_default() += 1;
        }
        if let Some(submitted_at) = answered {
            hours.push(hours_between(submitted_at, *at));
        }
    }
    stats.approval_rate = ratio(stats.approvals, stats.decisions);
    hours.sort_by(f64::total_cmp);
    stats.median_hours = percentile(&hours, 0.5);
    stats.p90_hours = percentile(&hours, 0.9);
    Ok(stats)
}

fn interest_stats(conn: &mut DbConnection, period: Period) -> StoreResult<InterestStats> {
    let by_state = counts(
        i::interests
            .filter(within!(i::created_at, period))
            .group_by(i::state)
            .select((i::state, count_star()))
            .load(conn)?,
    );
    let brokered: i64 = i::interests
        .filter(within!(i::created_at, period))
        .filter(i::brokered_by.is_not_null())
        .count()
        .get_result(conn)?;
    let answered: Vec<(NaiveDateTime, Option<NaiveDateTime>)> = i::interests
        .filter(within!(i::created_at, period))
        .filter(i::responded_at.is_not_null())
        .select((i::created_at, i::responded_at))
        .load(conn)?;
    let mut hours: Vec<f64> = answered
        .iter()
        .filter_map(|(created, responded)| responded.map(|r| hours_between(*created, r)))
        .collect();
    hours.sort_by(f64::total_cmp);
    let total = by_state.values().sum();
    let responded = i64::try_from(answered.len()).unwrap_or(i64::MAX);
    Ok(InterestStats {
        total,
        by_state,
        responded,
        response_rate: ratio(responded, total),
        median_response_hours: percentile(&hours, 0.5),
        brokered,
    })
}

fn transfer_stats(conn: &mut DbConnection, period: Period) -> StoreResult<TransferStats> {
    let concluded = || {
        i::interests
            .filter(i::state.eq(InterestState::Concluded.as_str()))
            .filter(within!(i::concluded_at, period))
    };
    let transfers: Vec<(String, Option<i64>, Option<String>)> = concluded()
        .select((i::listing_id, i::transfer_value, i::transfer_currency))
        .load(conn)?;
    let sectors: Vec<(String, String)> = ls::listing_sectors
        .filter(ls::listing_id.eq_any(concluded().select(i::listing_id)))
        .select((ls::listing_id, ls::code))
        .load(conn)?;
    let provinces: Vec<(String, Option<String>)> = l::listings
        .filter(l::id.eq_any(concluded().select(i::listing_id)))
        .select((l::id, l::province))
        .load(conn)?;
    let mut sectors_of: HashMap<&str, Vec<&str>> = HashMap::new();
    for (listing, code) in &sectors {
        sectors_of.entry(listing).or_default().push(code);
    }
    let province_of: HashMap<&str, &str> = provinces
        .iter()
        .map(|(id, p)| (id.as_str(), p.as_deref().unwrap_or(NO_PROVINCE)))
        .collect();

    let mut stats = TransferStats::default();
    for (listing, value, currency) in &transfers {
        let value = value.zip(currency.as_deref()).map(|(v, c)| (c, v));
        stats.count += 1;
        if let Some((currency, value)) = value {
            let sum = stats
                .value_by_currency
                .entry(currency.to_owned())
                .or_default();
            *sum = sum.saturating_add(value);
        }
        for code in sectors_of.get(listing.as_str()).into_iter().flatten() {
            stats
                .by_sector
                .entry((*code).to_owned())
                .or_default()
                .add(value);
        }
        let province = province_of
            .get(listing.as_str())
            .copied()
            .unwrap_or(NO_PROVINCE);
        stats
            .by_province
            .entry(province.to_owned())
            .or_default()
            .add(value);
    }
    Ok(stats)
}

/// The public summary; `today` decides which listings are still valid.
pub fn public(conn: &mut DbConnection, today: NaiveDate) -> StoreResult<PublicStats> {
    let by_kind = counts(
        l::listings
            .filter(publicly_visible(today))
            .group_by(l::kind)
            .select((l::kind, count_star()))
            .load(conn)?,
    );
    let count_of = |kind: ListingKind| by_kind.get(kind.as_str()).copied().unwrap_or(0);
    Ok(PublicStats {
        published_offers: count_of(ListingKind::Offer),
        published_needs: count_of(ListingKind::Need),
        concluded_transfers: i::interests
            .filter(i::state.eq(InterestState::Concluded.as_str()))
            .count()
            .get_result(conn)?,
        verified_organisations: o::organisations
            .filter(o::verified.eq(true))
            .count()
            .get_result(conn)?,
    })
}

fn hours_between(start: NaiveDateTime, end: NaiveDateTime) -> f64 {
    let micros = (end - start).num_microseconds().unwrap_or(i64::MAX);
    micros as f64 / 3_600_000_000.0
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The `p`-quantile of sorted values by linear interpolation between the closest
/// ranks (PostgreSQL's `percentile_cont`, numpy's default): rank `p·(n−1)`
/// counted from 0. Rounded to hundredths.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let rank = p * last as f64;
    let below = rank.floor() as usize;
    let above = rank.ceil() as usize;
    let low = sorted.get(below)?;
    let high = sorted.get(above)?;
    let value = low + (high - low) * (rank - below as f64);
    Some((value * 100.0).round() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_interpolate_between_ranks() {
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[7.0], 0.9), Some(7.0));
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.5));
        // rank 0.9 · 9 = 8.1: between the 9th (9) and 10th (100) values.
        let values: Vec<f64> = (1..=9).map(f64::from).chain([100.0]).collect();
        assert_eq!(percentile(&values, 0.9), Some(18.1));
        assert_eq!(percentile(&values, 0.5), Some(5.5));
    }
}
