//! Webhook endpoints and their delivery queue, on SQLite and on PostgreSQL, each test
//! on a fresh database.

#![expect(clippy::unwrap_used, reason = "a failed step is a failed test")]

use std::collections::HashSet;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use techex_domain::event::EventKind;
use techex_domain::{OrganisationId, Role, UserId};
use techex_store::repo::webhooks::{self, DeliveryState, RetryPolicy, Webhook};
use techex_store::testing::{TestDatabase, register_account};
use techex_store::{PageRequest, Store, StoreError, StoreOptions};
use uuid::Uuid;

const LEASE: i64 = 60;

fn open(db: &TestDatabase) -> (Store, OrganisationId, UserId) {
    let store = Store::open(db.url(), &StoreOptions::default()).unwrap();
    store.migrate().unwrap();
    let (org, user) = register(&store, "Viện Cơ học", "a@imech.vast.vn");
    (store, org, user)
}

fn register(store: &Store, name: &str, email: &str) -> (OrganisationId, UserId) {
    register_account(store, name, "research_institute", email, Role::Member)
}

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn webhook(org: OrganisationId, by: UserId, url: &str, events: &[EventKind]) -> Webhook {
    Webhook {
        id: Uuid::now_v7(),
        organisation: org,
        url: url.into(),
        secret: format!("whsec_{}", Uuid::new_v4().simple()),
        events: events.to_vec(),
        created_by: by,
        created_at: now(),
    }
}

fn enqueue(store: &Store, org: OrganisationId, event: EventKind, at: DateTime<Utc>) -> usize {
    store
        .run(|conn| webhooks::enqueue_for(conn, org, event, r#"{"event":"x"}"#, at))
        .unwrap()
}

fn claim(store: &Store, at: DateTime<Utc>) -> Vec<webhooks::ClaimedDelivery> {
    store
        .run(|conn| webhooks::claim_due(conn, at, Duration::seconds(LEASE), 50))
        .unwrap()
}

fn endpoints_round_trip_and_delete_with_their_deliveries(db: &TestDatabase) {
    let (store, org, user) = open(db);
    let (other_org, other_user) = register(&store, "Công ty Sông Hồng", "b@songhong.vn");
    let first = webhook(
        org,
        user,
        "https://a.example/hook",
        &[EventKind::ListingApproved],
    );
    let second = webhook(org, user, "https://b.example/hook", EventKind::ALL);
    let foreign = webhook(other_org, other_user, "https://c.example/", EventKind::ALL);
    for hook in [&first, &second, &foreign] {
        store.run(|conn| webhooks::insert(conn, hook)).unwrap();
    }
    assert_eq!(store.run(|c| webhooks::get(c, first.id)).unwrap(), first);
    let listed = store.run(|c| webhooks::list_for(c, org)).unwrap();
    assert_eq!(listed, vec![first.clone(), second.clone()]);
    assert_eq!(store.run(|c| webhooks::count_for(c, org)).unwrap(), 2);
    assert_eq!(store.run(|c| webhooks::count_for(c, other_org)).unwrap(), 1);

    assert_eq!(enqueue(&store, org, EventKind::ListingApproved, now()), 2);
    assert_eq!(
        enqueue(&store, org, EventKind::ListingRejected, now()),
        1,
        "only the endpoint subscribed to listing.rejected"
    );
    let log = |id| {
        store
            .run(|c| webhooks::deliveries(c, id, PageRequest::default()))
            .unwrap()
    };
    assert_eq!(log(first.id).total, 1);
    assert_eq!(log(second.id).total, 2);

    store.run(|c| webhooks::delete(c, first.id)).unwrap();
    assert!(matches!(
        store.run(|c| webhooks::get(c, first.id)),
        Err(StoreError::NotFound)
    ));
    assert_eq!(log(first.id).total, 0, "its deliveries went with it");
    assert_eq!(log(second.id).total, 2, "others' deliveries stay");
    assert!(matches!(
        store.run(|c| webhooks::delete(c, first.id)),
        Err(StoreError::NotFound)
    ));
}

fn a_claim_is_leased_and_taken_once(db: &TestDatabase) {
    let (store, org, user) = open(db);
    let hook = webhook(org, user, "https://a.example/", EventKind::ALL);
    store.run(|c| webhooks::insert(c, &hook)).unwrap();
    let t0 = now();
    enqueue(&store, org, EventKind::ListingApproved, t0);
    assert!(
        claim(&store, t0 - Duration::seconds(1)).is_empty(),
        "not due yet"
    );
    let claimed = claim(&store, t0);
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].url, hook.url);
    assert_eq!(claimed[0].secret, hook.secret);
    assert_eq!(claimed[0].event, "listing.approved");
    assert_eq!(claimed[0].attempts, 0);
    assert!(claim(&store, t0).is_empty(), "leased to the first claimer");
    assert!(claim(&store, t0 + Duration::seconds(LEASE - 1)).is_empty());
    let again = claim(&store, t0 + Duration::seconds(LEASE));
    assert_eq!(
        again.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![claimed[0].id],
        "an unrecorded claim (a crashed worker) is due again after its lease"
    );
}

fn concurrent_claimers_never_share_a_delivery(db: &TestDatabase) {
    let (store, org, user) = open(db);
    store
        .run(|c| webhooks::insert(c, &webhook(org, user, "https://a.example/", EventKind::ALL)))
        .unwrap();
    let t0 = now();
    for _ in 0..12 {
        enqueue(&store, org, EventKind::ListingApproved, t0);
    }
    let at = t0 + Duration::seconds(1);
    let claims: Vec<Vec<Uuid>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let store = store.clone();
                scope.spawn(move || {
                    store
                        .run(|c| webhooks::claim_due(c, at, Duration::seconds(LEASE), 50))
                        .unwrap()
                        .into_iter()
                        .map(|d| d.id)
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let all: Vec<Uuid> = claims.into_iter().flatten().collect();
    let unique: HashSet<Uuid> = all.iter().copied().collect();
    assert_eq!(
        all.len(),
        12,
        "every delivery claimed exactly once: {all:?}"
    );
    assert_eq!(unique.len(), 12);
}

fn failures_back_off_then_give_up_and_success_is_final(db: &TestDatabase) {
    let (store, org, user) = open(db);
    let hook = webhook(org, user, "https://a.example/", EventKind::ALL);
    store.run(|c| webhooks::insert(c, &hook)).unwrap();
    let policy = RetryPolicy {
        max_attempts: 3,
        base: Duration::seconds(30),
    };
    let t0 = now();
    enqueue(&store, org, EventKind::ListingApproved, t0);
    let id = claim(&store, t0)[0].id;

    let state = store
        .run(|c| webhooks::record_failure(c, id, 0, Some(503), "HTTP 503", policy, t0))
        .unwrap();
    assert_eq!(state, DeliveryState::Pending);
    let entry = store
        .run(|c| webhooks::deliveries(c, hook.id, PageRequest::default()))
        .unwrap()
        .items
        .remove(0);
    assert_eq!(entry.attempts, 1);
    assert_eq!(entry.last_status, Some(503));
    assert_eq!(entry.last_error.as_deref(), Some("HTTP 503"));
    assert_eq!(entry.last_attempt_at, Some(t0));
    assert_eq!(entry.next_attempt_at, t0 + Duration::seconds(30));
    assert!(claim(&store, t0 + Duration::seconds(29)).is_empty());
    // A worker still holding the first claim cannot overwrite the newer outcome.
    assert!(matches!(
        store.run(|c| webhooks::record_success(c, id, 0, 200, t0)),
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.run(|c| webhooks::record_failure(c, id, 0, None, "late", policy, t0)),
        Err(StoreError::NotFound)
    ));
    let t1 = t0 + Duration::seconds(30);
    assert_eq!(claim(&store, t1)[0].attempts, 1);

    let state = store
        .run(|c| webhooks::record_failure(c, id, 1, None, "connection refused", policy, t1))
        .unwrap();
    assert_eq!(state, DeliveryState::Pending);
    let t2 = t1 + Duration::seconds(60);
    assert!(
        claim(&store, t2 - Duration::seconds(1)).is_empty(),
        "the second wait is doubled"
    );
    assert_eq!(claim(&store, t2).len(), 1);
    let state = store
        .run(|c| webhooks::record_failure(c, id, 2, Some(500), "HTTP 500", policy, t2))
        .unwrap();
    assert_eq!(state, DeliveryState::Failed, "the third of three attempts");
    assert!(claim(&store, t2 + Duration::days(1)).is_empty(), "given up");

    // Another delivery succeeds on its first attempt.
    enqueue(&store, org, EventKind::ListingRejected, t2);
    let id = claim(&store, t2)[0].id;
    store
        .run(|c| webhooks::record_success(c, id, 0, 204, t2))
        .unwrap();
    let log = store
        .run(|c| webhooks::deliveries(c, hook.id, PageRequest::default()))
        .unwrap();
    assert_eq!(log.total, 2);
    let delivered = &log.items[0];
    assert_eq!(delivered.id, id, "newest first");
    assert_eq!(delivered.state, DeliveryState::Delivered);
    assert_eq!(delivered.attempts, 1);
    assert_eq!(delivered.last_status, Some(204));
    assert_eq!(delivered.delivered_at, Some(t2));
    assert_eq!(log.items[1].state, DeliveryState::Failed);
    assert_eq!(log.items[1].attempts, 3);
    assert!(claim(&store, t2 + Duration::days(1)).is_empty());
}

fn the_log_is_paged_newest_first(db: &TestDatabase) {
    let (store, org, user) = open(db);
    let hook = webhook(org, user, "https://a.example/", EventKind::ALL);
    store.run(|c| webhooks::insert(c, &hook)).unwrap();
    let t0 = now();
    for i in 0..5 {
        enqueue(
            &store,
            org,
            EventKind::ListingApproved,
            t0 + Duration::seconds(i),
        );
    }
    let page = |n| {
        store
            .run(|c| webhooks::deliveries(c, hook.id, PageRequest::new(Some(n), Some(2)).unwrap()))
            .unwrap()
    };
    let first = page(1);
    assert_eq!(first.total, 5);
    assert_eq!(first.items.len(), 2);
    assert_eq!(first.items[0].created_at, t0 + Duration::seconds(4));
    assert_eq!(first.items[1].created_at, t0 + Duration::seconds(3));
    assert_eq!(page(3).items.len(), 1);
    assert_eq!(page(3).items[0].created_at, t0);
}

#[test]
fn backoff_doubles_from_the_base_up_to_an_hour() {
    let policy = RetryPolicy {
        max_attempts: 20,
        base: Duration::seconds(30),
    };
    let waits: Vec<i64> = (1..=9).map(|n| policy.backoff(n).num_seconds()).collect();
    assert_eq!(waits, vec![30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    assert_eq!(policy.backoff(1000).num_seconds(), 3600, "no overflow");
}

techex_store::on_both_backends!(
    endpoints_round_trip_and_delete_with_their_deliveries,
    a_claim_is_leased_and_taken_once,
    concurrent_claimers_never_share_a_delivery,
    failures_back_off_then_give_up_and_success_is_final,
    the_log_is_paged_newest_first,
);
