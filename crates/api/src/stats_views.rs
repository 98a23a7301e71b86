//! The statistics as JSON (OpenAPI-described) and as CSV rows. The figures are
//! computed by `techex_store::repo::stats`; `docs/api.md` ("Statistics") defines
//! each of them.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use techex_store::repo::stats::{
    InterestStats, ListingStats, PublicStats, ReviewStats, Stats, TransferGroup, TransferStats,
};
use utoipa::ToSchema;

use crate::routes::exchange_data::spreadsheet_safe;

/// The period asked for, as dates (UTC); `null` is an open end.
#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
pub struct PeriodView {
    /// First day counted (inclusive).
    pub from: Option<NaiveDate>,
    /// Last day counted (inclusive, the whole day).
    pub to: Option<NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct StatsView {
    pub period: PeriodView,
    pub listings: ListingStatsView,
    pub review: ReviewStatsView,
    pub interests: InterestStatsView,
    pub transfers: TransferStatsView,
}

/// Listings created in the period.
#[derive(Serialize, ToSchema)]
pub struct ListingStatsView {
    pub total: i64,
    /// offer / need → count.
    pub by_kind: BTreeMap<String, i64>,
    /// Status as it is now → count.
    pub by_status: BTreeMap<String, i64>,
    /// Sector code → count; a listing counts once in each of its sectors.
    pub by_sector: BTreeMap<String, i64>,
    /// Province code (or `unspecified`) → count.
    pub by_province: BTreeMap<String, i64>,
    /// `YYYY-MM` → kind → count; months without listings are left out.
    pub by_month: BTreeMap<String, BTreeMap<String, i64>>,
}

/// Approvals and rejections decided in the period.
#[derive(Serialize, ToSchema)]
pub struct ReviewStatsView {
    pub decisions: i64,
    pub approvals: i64,
    pub rejections: i64,
    /// approvals / decisions; `null` without decisions.
    pub approval_rate: Option<f64>,
    /// Median hours from submission to decision.
    pub median_hours: Option<f64>,
    /// 90th percentile of hours from submission to decision.
    pub p90_hours: Option<f64>,
    /// Rejection reason code → count.
    pub rejection_reasons: BTreeMap<String, i64>,
}

/// Interests expressed in the period.
#[derive(Serialize, ToSchema)]
pub struct InterestStatsView {
    pub total: i64,
    /// State as it is now → count.
    pub by_state: BTreeMap<String, i64>,
    /// Interests the listing's owner has answered (accepted or declined).
    pub responded: i64,
    /// responded / total; `null` without interests.
    pub response_rate: Option<f64>,
    /// Median hours from expression to answer.
    pub median_response_hours: Option<f64>,
    /// Interests an operator expressed on an organisation's behalf.
    pub brokered: i64,
}

/// Interests concluded in the period.
#[derive(Serialize, ToSchema)]
pub struct TransferStatsView {
    pub count: i64,
    /// Currency → sum of the reported values (in the currency's main unit).
    pub value_by_currency: BTreeMap<String, i64>,
    /// Sector code of the listing → transfers; a transfer counts in each sector.
    pub by_sector: BTreeMap<String, TransferGroupView>,
    /// Province code of the listing (or `unspecified`) → transfers.
    pub by_province: BTreeMap<String, TransferGroupView>,
}

#[derive(Serialize, ToSchema)]
pub struct TransferGroupView {
    pub count: i64,
    pub value_by_currency: BTreeMap<String, i64>,
}

/// What anybody may see of the exchange's activity.
#[derive(Serialize, ToSchema)]
pub struct PublicStatsView {
    /// Offers the public catalogue shows today.
    pub published_offers: i64,
    /// Needs the public catalogue shows today.
    pub published_needs: i64,
    /// Transfers concluded through the exchange, all time.
    pub concluded_transfers: i64,
    pub verified_organisations: i64,
}

impl StatsView {
    pub fn new(period: PeriodView, stats: Stats) -> Self {
        let Stats {
            listings,
            review,
            interests,
            transfers,
        } = stats;
        Self {
            period,
            listings: listings.into(),
            review: review.into(),
            interests: interests.into(),
            transfers: transfers.into(),
        }
    }
}

impl From<ListingStats> for ListingStatsView {
    fn from(s: ListingStats) -> Self {
        Self {
            total: s.total,
            by_kind: s.by_kind,
            by_status: s.by_status,
            by_sector: s.by_sector,
            by_province: s.by_province,
            by_month: s.by_month,
        }
    }
}

impl From<ReviewStats> for ReviewStatsView {
    fn from(s: ReviewStats) -> Self {
        Self {
            decisions: s.decisions,
            approvals: s.approvals,
            rejections: s.rejections,
            approval_rate: s.approval_rate,
            median_hours: s.median_hours,
            p90_hours: s.p90_hours,
            rejection_reasons: s.rejection_reasons,
        }
    }
}

impl From<InterestStats> for InterestStatsView {
    fn from(s: InterestStats) -> Self {
        Self {
            total: s.total,
            by_state: s.by_state,
            responded: s.responded,
            response_rate: s.response_rate,
            median_response_hours: s.median_response_hours,
            brokered: s.brokered,
        }
    }
}

impl From<TransferGroup> for TransferGroupView {
    fn from(g: TransferGroup) -> Self {
        Self {
            count: g.count,
            value_by_currency: g.value_by_currency,
        }
    }
}

fn groups(groups: BTreeMap<String, TransferGroup>) -> BTreeMap<String, TransferGroupView> {
    groups.into_iter().map(|(k, g)| (k, g.into())).collect()
}

impl From<TransferStats> for TransferStatsView {
    fn from(s: TransferStats) -> Self {
        Self {
            count: s.count,
            value_by_currency: s.value_by_currency,
            by_sector: groups(s.by_sector),
            by_province: groups(s.by_province),
        }
    }
}

impl From<PublicStats> for PublicStatsView {
    fn from(s: PublicStats) -> Self {
        Self {
            published_offers: s.published_offers,
            published_needs: s.published_needs,
            concluded_transfers: s.concluded_transfers,
            verified_organisations: s.verified_organisations,
        }
    }
}

pub const CSV_HEADER: [&str; 4] = ["section", "key", "subkey", "value"];

/// One `section,key,subkey,value` row per figure, in the JSON's order; a figure
/// without a value (a rate with nothing to divide) has an empty value cell.
pub fn csv(view: &StatsView) -> Vec<u8> {
    let mut rows = Rows::default();
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    rows.push("period", "from", "", date(view.period.from));
    rows.push("period", "to", "", date(view.period.to));

    let l = &view.listings;
    rows.push("listings", "total", "", l.total);
    rows.counts("listings.by_kind", &l.by_kind);
    rows.counts("listings.by_status", &l.by_status);
    rows.counts("listings.by_sector", &l.by_sector);
    rows.counts("listings.by_province", &l.by_province);
    for (month, kinds) in &l.by_month {
        for (kind, count) in kinds {
            rows.push("listings.by_month", month, kind, count);
        }
    }

    let r = &view.review;
    rows.push("review", "decisions", "", r.decisions);
    rows.push("review", "approvals", "", r.approvals);
    rows.push("review", "rejections", "", r.rejections);
    rows.push("review", "approval_rate", "", number(r.approval_rate));
    rows.push("review", "median_hours", "", number(r.median_hours));
    rows.push("review", "p90_hours", "", number(r.p90_hours));
    rows.counts("review.rejection_reasons", &r.rejection_reasons);

    let i = &view.interests;
    rows.push("interests", "total", "", i.total);
    rows.counts("interests.by_state", &i.by_state);
    rows.push("interests", "responded", "", i.responded);
    rows.push("interests", "response_rate", "", number(i.response_rate));
    rows.push(
        "interests",
        "median_response_hours",
        "",
        number(i.median_response_hours),
    );
    rows.push("interests", "brokered", "", i.brokered);

    let t = &view.transfers;
    rows.push("transfers", "count", "", t.count);
    rows.counts("transfers.value_by_currency", &t.value_by_currency);
    for (section, groups) in [
        ("transfers.by_sector", &t.by_sector),
        ("transfers.by_province", &t.by_province),
    ] {
        for (key, group) in groups {
            rows.push(section, key, "count", group.count);
            for (currency, value) in &group.value_by_currency {
                rows.push(section, key, &format!("value_{currency}"), value);
            }
        }
    }
    rows.finish()
}

fn number(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

#[derive(Default)]
struct Rows(Vec<[String; 4]>);

impl Rows {
    fn push(&mut self, section: &str, key: &str, subkey: &str, value: impl ToString) {
        self.0.push([
            section.to_owned(),
            key.to_owned(),
            subkey.to_owned(),
            value.to_string(),
        ]);
    }

    fn counts(&mut self, section: &str, counts: &BTreeMap<String, i64>) {
        for (key, count) in counts {
            self.push(section, key, "", count);
        }
    }

    fn finish(self) -> Vec<u8> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let _ = writer.write_record(CSV_HEADER);
        for row in &self.0 {
            let _ = writer.write_record(row.iter().map(|cell| spreadsheet_safe(cell).into_owned()));
        }
        writer.into_inner().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_name_every_figure_and_neutralise_formulas() {
        let mut stats = Stats::default();
        stats.listings.total = 3;
        stats.listings.by_sector.insert("=HYPERLINK(1)".into(), 2);
        stats
            .listings
            .by_month
            .insert("2026-01".into(), [("offer".to_owned(), 3)].into());
        stats.transfers.by_province.insert(
            "ha-noi".into(),
            TransferGroup {
                count: 1,
                value_by_currency: [("VND".to_owned(), 500)].into(),
            },
        );
        let view = StatsView::new(
            PeriodView {
                from: NaiveDate::from_ymd_opt(2026, 1, 1),
                to: None,
            },
            stats,
        );
        let text = String::from_utf8(csv(&view)).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "section,key,subkey,value");
        for expected in [
            "period,from,,2026-01-01",
            "period,to,,",
            "listings,total,,3",
            "listings.by_sector,'=HYPERLINK(1),,2",
            "listings.by_month,2026-01,offer,3",
            "review,approval_rate,,",
            "transfers.by_province,ha-noi,count,1",
            "transfers.by_province,ha-noi,value_VND,500",
        ] {
            assert!(lines.contains(&expected), "{expected} missing from\n{text}");
        }
    }
}
