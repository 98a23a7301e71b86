//! Operator and public statistics, on SQLite and on PostgreSQL, over a small data
//! set whose every figure is worked out by hand below.

#![expect(clippy::unwrap_used, reason = "a failed step is a failed test")]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use techex_domain::interest::{Interest, InterestState, Outcome};
use techex_domain::listing::{
    Action, HistoryEntry, Listing, ListingContent, ListingKind, ListingStatus, RejectReason,
};
use techex_domain::{ListingId, OrganisationId, Role, UserId};
use techex_store::repo::stats::{self, Period, PublicStats, Stats, TransferGroup};
use techex_store::repo::{interests, listings, organisations};
use techex_store::testing::{TestDatabase, register_account};
use techex_store::{Store, StoreOptions};

fn at(time: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(time).unwrap().to_utc()
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

struct Account {
    organisation: OrganisationId,
    user: UserId,
}

fn account(store: &Store, name: &str, kind: &str, email: &str, role: Role) -> Account {
    let (organisation, user) = register_account(store, name, kind, email, role);
    Account { organisation, user }
}

struct Spec<'a> {
    kind: ListingKind,
    status: ListingStatus,
    sectors: &'a [&'a str],
    province: Option<&'a str>,
    created_at: &'a str,
    valid_until: NaiveDate,
}

fn listing(store: &Store, owner: &Account, spec: Spec<'_>) -> ListingId {
    let created_at = at(spec.created_at);
    let listing = Listing {
        id: ListingId::new(),
        kind: spec.kind,
        status: spec.status,
        owner: owner.organisation,
        created_by: owner.user,
        content: ListingContent {
            title: "Công nghệ xử lý nước thải".into(),
            summary: String::new(),
            description: String::new(),
            language: "vi".into(),
            sectors: spec.sectors.iter().map(|s| (*s).to_owned()).collect(),
            keywords: vec![],
            trl: Some(6),
            ip_status: None,
            patent_numbers: vec![],
            transfer_modes: vec![],
            price: None,
            province: spec.province.map(str::to_owned),
            valid_until: spec.valid_until,
            external_ref: None,
        },
        revision: None,
        rejection: None,
        version: 1,
        created_at,
        updated_at: created_at,
        submitted_at: None,
        published_at: None,
    };
    store.run(|conn| listings::insert(conn, &listing)).unwrap();
    listing.id
}

fn history(
    store: &Store,
    listing: ListingId,
    action: Action,
    when: &str,
    reason: Option<RejectReason>,
) {
    let (from, to) = match action {
        Action::Submit => (ListingStatus::Draft, ListingStatus::PendingReview),
        Action::Approve => (ListingStatus::PendingReview, ListingStatus::Published),
        _ => (ListingStatus::PendingReview, ListingStatus::Rejected),
    };
    let entry = HistoryEntry {
        occurred_at: at(when),
        actor: None,
        action,
        from,
        to,
        reason_code: reason,
        message: None,
    };
    store
        .run(|conn| listings::append_history(conn, listing, &entry))
        .unwrap();
}

struct InterestSpec<'a> {
    listing: ListingId,
    owner: &'a Account,
    requester: &'a Account,
    brokered_by: Option<UserId>,
    created_at: &'a str,
    state: InterestState,
    responded_at: Option<&'a str>,
    concluded_at: Option<&'a str>,
    value: Option<(i64, &'a str)>,
}

fn interest(store: &Store, spec: InterestSpec<'_>) {
    let mut interest = Interest::new(
        spec.listing,
        spec.owner.organisation,
        spec.requester.organisation,
        None,
        spec.requester.user,
        spec.brokered_by,
        "Chúng tôi quan tâm".into(),
        at(spec.created_at),
    );
    interest.state = spec.state;
    interest.responded_at = spec.responded_at.map(at);
    interest.responded_by = spec.responded_at.map(|_| spec.owner.user);
    interest.concluded_at = spec.concluded_at.map(at);
    if spec.state == InterestState::Concluded {
        interest.outcome = Some(Outcome {
            value: spec.value.map(|(v, _)| v),
            currency: spec.value.map(|(_, c)| c.to_owned()),
            ..Default::default()
        });
    }
    store
        .run(|conn| interests::insert(conn, &interest))
        .unwrap();
}

/// From `from` (inclusive) until `until` (exclusive, open-ended when `None`).
fn period(from: &str, until: Option<&str>) -> Period {
    Period {
        from: Some(at(from)),
        until: until.map(at),
    }
}

/// The first quarter of 2026.
fn q1() -> Period {
    period("2026-01-01T00:00:00Z", Some("2026-04-01T00:00:00Z"))
}

fn stats_for(store: &Store, period: Period) -> Stats {
    store.run(|conn| stats::compute(conn, period)).unwrap()
}

fn map<const N: usize>(entries: [(&str, i64); N]) -> BTreeMap<String, i64> {
    entries
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

/// Listings, their review, interests and transfers:
///
/// | listing | kind | status now | sectors | province | created |
/// |---|---|---|---|---|---|
/// | l1 | offer | published | 2.7, 4.5 | ha-noi | 2026-01-10 |
/// | l2 | offer | rejected | 2.7 | can-tho | 2026-01-20 |
/// | l3 | need | published | 1.2.ai | ha-noi | 2026-02-05 |
/// | l4 | need | draft | 4.5 | — | 2026-03-15 |
/// | l5 | offer | published, expired | 2.7 | ha-noi | 2025-12-20 |
/// | l6 | offer | published | 2.7 | ha-noi | 2026-04-02 |
fn exchange(db: &TestDatabase) -> Store {
    let store = Store::open(db.url(), &StoreOptions::default()).unwrap();
    store.migrate().unwrap();
    let institute = account(
        &store,
        "Viện Công nghệ Môi trường",
        "research_institute",
        "lan@iet.ac.vn",
        Role::Member,
    );
    let enterprise = account(
        &store,
        "Công ty Dệt may Hòa Bình",
        "enterprise",
        "minh@detmay.vn",
        Role::Member,
    );
    let exchange = account(
        &store,
        "Techmart",
        "exchange",
        "op@techmart.vn",
        Role::Operator,
    );
    for verified in [institute.organisation, exchange.organisation] {
        store
            .run(|conn| organisations::verify(conn, verified, exchange.user))
            .unwrap();
    }
    let valid = today() + Duration::days(365);
    let offer = |status, sectors, province, created_at, valid_until| Spec {
        kind: ListingKind::Offer,
        status,
        sectors,
        province,
        created_at,
        valid_until,
    };
    let need = |status, sectors, province, created_at| Spec {
        kind: ListingKind::Need,
        ..offer(status, sectors, province, created_at, valid)
    };
    use ListingStatus::*;
    let l1 = listing(
        &store,
        &institute,
        offer(
            Published,
            &["2.7", "4.5"],
            Some("ha-noi"),
            "2026-01-10T10:00:00Z",
            valid,
        ),
    );
    let l2 = listing(
        &store,
        &institute,
        offer(
            Rejected,
            &["2.7"],
            Some("can-tho"),
            "2026-01-20T00:00:00Z",
            valid,
        ),
    );
    let l3 = listing(
        &store,
        &enterprise,
        need(
            Published,
            &["1.2.ai"],
            Some("ha-noi"),
            "2026-02-05T00:00:00Z",
        ),
    );
    listing(
        &store,
        &enterprise,
        need(Draft, &["4.5"], None, "2026-03-15T00:00:00Z"),
    );
    let l5 = listing(
        &store,
        &institute,
        offer(
            Published,
            &["2.7"],
            Some("ha-noi"),
            "2025-12-20T00:00:00Z",
            today() - Duration::days(1),
        ),
    );
    let l6 = listing(
        &store,
        &institute,
        offer(
            Published,
            &["2.7"],
            Some("ha-noi"),
            "2026-04-02T00:00:00Z",
            valid,
        ),
    );

    // Review: submission → decision, in hours.
    // l1: 24 (approve); l2: 6 (reject, incomplete) then 48 (reject, duplicate);
    // l3: 12 (approve); l5: 72 (submitted before Q1, approved in it);
    // l6: 6 (submitted in Q1, approved after it).
    use Action::{Approve, Reject, Submit};
    history(&store, l1, Submit, "2026-01-10T12:00:00Z", None);
    history(&store, l1, Approve, "2026-01-11T12:00:00Z", None);
    history(&store, l2, Submit, "2026-01-20T00:00:00Z", None);
    history(
        &store,
        l2,
        Reject,
        "2026-01-20T06:00:00Z",
        Some(RejectReason::Incomplete),
    );
    history(&store, l2, Submit, "2026-01-25T00:00:00Z", None);
    history(
        &store,
        l2,
        Reject,
        "2026-01-27T00:00:00Z",
        Some(RejectReason::Duplicate),
    );
    history(&store, l3, Submit, "2026-02-05T00:00:00Z", None);
    history(&store, l3, Approve, "2026-02-05T12:00:00Z", None);
    history(&store, l5, Submit, "2025-12-30T00:00:00Z", None);
    history(&store, l5, Approve, "2026-01-02T00:00:00Z", None);
    history(&store, l6, Submit, "2026-03-31T20:00:00Z", None);
    history(&store, l6, Approve, "2026-04-01T02:00:00Z", None);

    let base = InterestSpec {
        listing: l1,
        owner: &institute,
        requester: &enterprise,
        brokered_by: None,
        created_at: "",
        state: InterestState::Sent,
        responded_at: None,
        concluded_at: None,
        value: None,
    };
    // i1: answered after 10 h, concluded in Q1 for 500 million đồng.
    interest(
        &store,
        InterestSpec {
            created_at: "2026-02-01T00:00:00Z",
            state: InterestState::Concluded,
            responded_at: Some("2026-02-01T10:00:00Z"),
            concluded_at: Some("2026-03-10T00:00:00Z"),
            value: Some((500_000_000, "VND")),
            ..base
        },
    );
    // i2: brokered by the operator, answered after 48 h, concluded after Q1.
    interest(
        &store,
        InterestSpec {
            listing: l3,
            owner: &enterprise,
            requester: &institute,
            brokered_by: Some(exchange.user),
            created_at: "2026-02-10T00:00:00Z",
            state: InterestState::Concluded,
            responded_at: Some("2026-02-12T00:00:00Z"),
            concluded_at: Some("2026-04-05T00:00:00Z"),
            value: Some((20_000, "USD")),
        },
    );
    // i3: not answered.
    interest(
        &store,
        InterestSpec {
            requester: &exchange,
            created_at: "2026-03-01T00:00:00Z",
            ..base
        },
    );
    // i4: declined after 24 h.
    interest(
        &store,
        InterestSpec {
            listing: l3,
            owner: &enterprise,
            requester: &exchange,
            created_at: "2026-03-05T00:00:00Z",
            state: InterestState::Declined,
            responded_at: Some("2026-03-06T00:00:00Z"),
            ..base
        },
    );
    // i5: expressed before Q1, concluded in it without a reported value.
    interest(
        &store,
        InterestSpec {
            requester: &exchange,
            created_at: "2025-11-01T00:00:00Z",
            state: InterestState::Concluded,
            responded_at: Some("2025-11-02T00:00:00Z"),
            concluded_at: Some("2026-01-15T00:00:00Z"),
            ..base
        },
    );
    store
}

fn listings_are_counted_by_kind_status_sector_province_and_month(db: &TestDatabase) {
    let store = exchange(db);
    let q1 = stats_for(&store, q1()).listings;
    assert_eq!(q1.total, 4, "l1–l4 were created in Q1");
    assert_eq!(q1.by_kind, map([("offer", 2), ("need", 2)]));
    assert_eq!(
        q1.by_status,
        map([("published", 2), ("rejected", 1), ("draft", 1)])
    );
    assert_eq!(q1.by_sector, map([("2.7", 2), ("4.5", 2), ("1.2.ai", 1)]));
    assert_eq!(
        q1.by_province,
        map([("ha-noi", 2), ("can-tho", 1), ("unspecified", 1)])
    );
    let months: BTreeMap<String, BTreeMap<String, i64>> = [
        ("2026-01", map([("offer", 2)])),
        ("2026-02", map([("need", 1)])),
        ("2026-03", map([("need", 1)])),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(q1.by_month, months);

    let all = stats_for(&store, Period::default()).listings;
    assert_eq!(all.total, 6);
    assert_eq!(all.by_kind, map([("offer", 4), ("need", 2)]));
    assert_eq!(all.by_sector, map([("2.7", 4), ("4.5", 2), ("1.2.ai", 1)]));
    assert_eq!(
        all.by_month.keys().collect::<Vec<_>>(),
        ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04"]
    );
    assert_eq!(all.by_month["2025-12"], map([("offer", 1)]));
    assert_eq!(all.by_month["2026-04"], map([("offer", 1)]));

    // A period inside one month: only l2 (20 January) falls in 15–24 January.
    let mid_january = period("2026-01-15T00:00:00Z", Some("2026-01-25T00:00:00Z"));
    let january = stats_for(&store, mid_january).listings;
    assert_eq!(january.by_kind, map([("offer", 1)]));
    assert_eq!(january.by_month.len(), 1);
    assert_eq!(january.by_month["2026-01"], map([("offer", 1)]));
}

fn review_times_pair_each_decision_with_its_submission(db: &TestDatabase) {
    let store = exchange(db);
    let q1 = stats_for(&store, q1()).review;
    // Decisions in Q1: l1 24 h, l2 6 h and 48 h, l3 12 h, l5 72 h.
    assert_eq!((q1.decisions, q1.approvals, q1.rejections), (5, 3, 2));
    assert_eq!(q1.approval_rate, Some(0.6));
    assert_eq!(q1.median_hours, Some(24.0));
    // Sorted 6, 12, 24, 48, 72: rank 0.9 · 4 = 3.6, 48 + 0.6 · 24.
    assert_eq!(q1.p90_hours, Some(62.4));
    assert_eq!(
        q1.rejection_reasons,
        map([("incomplete", 1), ("duplicate", 1)])
    );

    let all = stats_for(&store, Period::default()).review;
    // Plus l6's 6 h: 6, 6, 12, 24, 48, 72.
    assert_eq!((all.decisions, all.approvals, all.rejections), (6, 4, 2));
    assert_eq!(all.median_hours, Some(18.0));
    assert_eq!(all.p90_hours, Some(60.0));

    // 2 January only: l5's approval, paired with its submission of 30 December.
    let second = period("2026-01-02T00:00:00Z", Some("2026-01-03T00:00:00Z"));
    let second = stats_for(&store, second).review;
    assert_eq!((second.decisions, second.approvals), (1, 1));
    assert_eq!(second.approval_rate, Some(1.0));
    assert_eq!(second.median_hours, Some(72.0));
    assert_eq!(second.p90_hours, Some(72.0));

    // 21–31 January: l2's second rejection only; its first (20 January) is read to
    // pair submissions with decisions but is not counted.
    let late_january = period("2026-01-21T00:00:00Z", Some("2026-02-01T00:00:00Z"));
    let late = stats_for(&store, late_january).review;
    assert_eq!((late.decisions, late.approvals, late.rejections), (1, 0, 1));
    assert_eq!(late.approval_rate, Some(0.0));
    assert_eq!(late.median_hours, Some(48.0));
    assert_eq!(late.rejection_reasons, map([("duplicate", 1)]));

    let empty = period("2030-01-01T00:00:00Z", None);
    let empty = stats_for(&store, empty);
    assert_eq!(empty.review.decisions, 0);
    assert_eq!(empty.review.approval_rate, None);
    assert_eq!(empty.review.median_hours, None);
    assert_eq!(empty.interests.response_rate, None);
    assert_eq!(empty.listings.total, 0);
    assert!(empty.listings.by_month.is_empty());
}

fn interests_and_transfers_are_counted_for_the_period(db: &TestDatabase) {
    let store = exchange(db);
    let q1 = stats_for(&store, q1());
    let interests = q1.interests;
    assert_eq!(interests.total, 4, "i1–i4 were expressed in Q1");
    assert_eq!(
        interests.by_state,
        map([("concluded", 2), ("sent", 1), ("declined", 1)])
    );
    assert_eq!(interests.responded, 3);
    assert_eq!(interests.response_rate, Some(0.75));
    // 10, 24 and 48 hours.
    assert_eq!(interests.median_response_hours, Some(24.0));
    assert_eq!(interests.brokered, 1);

    // Concluded in Q1: i1 (500 million đồng) and i5 (no value), both on l1.
    let transfers = q1.transfers;
    assert_eq!(transfers.count, 2);
    assert_eq!(transfers.value_by_currency, map([("VND", 500_000_000)]));
    let l1_group = TransferGroup {
        count: 2,
        value_by_currency: map([("VND", 500_000_000)]),
    };
    assert_eq!(
        transfers.by_sector,
        [
            ("2.7".to_owned(), l1_group.clone()),
            ("4.5".to_owned(), l1_group.clone())
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(
        transfers.by_province,
        [("ha-noi".to_owned(), l1_group)].into_iter().collect()
    );

    let all = stats_for(&store, Period::default());
    assert_eq!(all.interests.total, 5);
    assert_eq!(all.interests.responded, 4);
    let transfers = all.transfers;
    assert_eq!(transfers.count, 3);
    assert_eq!(
        transfers.value_by_currency,
        map([("VND", 500_000_000), ("USD", 20_000)])
    );
    assert_eq!(
        transfers.by_sector["1.2.ai"],
        TransferGroup {
            count: 1,
            value_by_currency: map([("USD", 20_000)]),
        }
    );
    assert_eq!(transfers.by_sector["2.7"].count, 2);
    assert_eq!(transfers.by_province["ha-noi"].count, 3);
}

fn the_public_summary_counts_what_the_catalogue_shows(db: &TestDatabase) {
    let store = exchange(db);
    let public = store.run(|conn| stats::public(conn, today())).unwrap();
    assert_eq!(
        public,
        PublicStats {
            // l1 and l6; l5 is past its valid-until date, l2 was rejected.
            published_offers: 2,
            published_needs: 1,
            concluded_transfers: 3,
            verified_organisations: 2,
        }
    );
    // Tomorrow l5 is long gone, and in two years everything has expired.
    let later = store
        .run(|conn| stats::public(conn, today() + Duration::days(2 * 365)))
        .unwrap();
    assert_eq!((later.published_offers, later.published_needs), (0, 0));
}

techex_store::on_both_backends!(
    listings_are_counted_by_kind_status_sector_province_and_month,
    review_times_pair_each_decision_with_its_submission,
    interests_and_transfers_are_counted_for_the_period,
    the_public_summary_counts_what_the_catalogue_shows,
);
