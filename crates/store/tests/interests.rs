//! Interests, the inbox, once-only notices and job cursors, on SQLite and on
//! PostgreSQL, each test on a fresh database.

#![expect(clippy::unwrap_used, reason = "a failed step is a failed test")]

use chrono::{Duration, Utc};
use techex_domain::event::EventKind;
use techex_domain::interest::{Interest, InterestCommand, InterestState, Outcome, Party};
use techex_domain::listing::{Listing, ListingContent, ListingInput, ListingKind, ListingStatus};
use techex_domain::{Email, FullName, ListingId, NewUser, OrganisationId, Role, UserId};
use techex_store::repo::interests::{self, Scope, Thread};
use techex_store::repo::notifications::{self, NewNotification};
use techex_store::repo::{listings, users};
use techex_store::testing::{TestDatabase, register_account};
use techex_store::{PageRequest, Store, StoreError, StoreOptions};

fn organisation(store: &Store, name: &str, email: &str) -> (OrganisationId, UserId) {
    register_account(store, name, "enterprise", email, Role::Member)
}

fn published_listing(store: &Store, owner: OrganisationId, by: UserId) -> ListingId {
    let input = ListingInput {
        title: Some("Công nghệ xử lý nước thải".into()),
        language: Some("vi".into()),
        sectors: Some(vec!["2.7".into()]),
        ..Default::default()
    };
    let now = listings::now();
    let listing = Listing {
        status: ListingStatus::Published,
        published_at: Some(now),
        ..Listing::new_draft(
            ListingKind::Offer,
            owner,
            by,
            ListingContent::parse(&input, now.date_naive()).unwrap(),
            now,
        )
    };
    store.run(|conn| listings::insert(conn, &listing)).unwrap();
    listing.id
}

fn open(db: &TestDatabase) -> Store {
    let store = Store::open(db.url(), &StoreOptions::default()).unwrap();
    store.migrate().unwrap();
    store
}

fn interests_round_trip_and_refuse_stale_writes(db: &TestDatabase) {
    let store = open(db);
    let (owner, owner_user) = organisation(&store, "Viện A", "a@a.vn");
    let (requester, requester_user) = organisation(&store, "Công ty B", "b@b.vn");
    let listing = published_listing(&store, owner, owner_user);
    let now = listings::now();
    let mut interest = Interest::new(
        listing,
        owner,
        requester,
        None,
        requester_user,
        None,
        "Quan tâm".into(),
        now,
    );
    store
        .run(|conn| interests::insert(conn, &interest))
        .unwrap();
    let read = interest.version;
    interest
        .perform(Party::Owner, owner_user, InterestCommand::Accept, now)
        .unwrap();
    interest
        .perform(
            Party::Requester,
            requester_user,
            InterestCommand::Negotiate,
            now,
        )
        .unwrap();
    let outcome = Outcome {
        value: Some(1_000_000),
        currency: Some("VND".into()),
        contract_date: Some(now.date_naive()),
        transfer_mode: Some(techex_domain::listing::TransferMode::Licence),
    };
    interest
        .perform(
            Party::Owner,
            owner_user,
            InterestCommand::Conclude(outcome),
            now,
        )
        .unwrap();
    store
        .run(|conn| interests::save(conn, &interest, read))
        .unwrap();
    let loaded = store.run(|conn| interests::get(conn, interest.id)).unwrap();
    assert_eq!(loaded, interest);
    // A writer holding the old version is refused.
    let error = store
        .run(|conn| interests::save(conn, &interest, read))
        .unwrap_err();
    assert!(matches!(error, StoreError::Stale { current } if current == interest.version));

    let page = PageRequest::default();
    let count = |scope| {
        store
            .run(|conn| interests::list(conn, scope, None, page))
            .unwrap()
            .total
    };
    assert_eq!(count(Scope::Sent(requester)), 1);
    assert_eq!(count(Scope::Received(requester)), 0);
    assert_eq!(count(Scope::Received(owner)), 1);
    assert_eq!(count(Scope::Involving(owner)), 1);
    assert_eq!(count(Scope::All), 1);
    let sent_state = store
        .run(|conn| interests::list(conn, Scope::All, Some(InterestState::Sent), page))
        .unwrap();
    assert_eq!(sent_state.total, 0);
    // A concluded interest is not open, and counts toward today's quota only.
    assert!(
        store
            .run(|conn| interests::find_open(conn, listing, requester))
            .unwrap()
            .is_none()
    );
    let today = store
        .run(|conn| interests::count_expressed_since(conn, requester, now - Duration::hours(1)))
        .unwrap();
    let tomorrow = store
        .run(|conn| interests::count_expressed_since(conn, requester, now + Duration::hours(1)))
        .unwrap();
    assert_eq!((today, tomorrow), (1, 0));

    // Threads keep operators' notes apart.
    store
        .run(|conn| {
            interests::add_message(
                conn,
                interest.id,
                requester_user,
                requester,
                false,
                "Xin chào",
                now,
            )
        })
        .unwrap();
    store
        .run(|conn| interests::add_message(conn, interest.id, owner_user, owner, true, "note", now))
        .unwrap();
    let public = store
        .run(|conn| interests::messages(conn, interest.id, Thread::Messages))
        .unwrap();
    let notes = store
        .run(|conn| interests::messages(conn, interest.id, Thread::Notes))
        .unwrap();
    assert_eq!((public.len(), notes.len()), (1, 1));
    assert_eq!(notes[0].body, "note");
    assert_eq!(public[0].body, "Xin chào");
}

fn the_inbox_notices_and_cursors(db: &TestDatabase) {
    let store = open(db);
    let (org, first) = organisation(&store, "Viện A", "a@a.vn");
    let second = UserId::new();
    store
        .run(|conn| {
            users::insert(
                conn,
                &NewUser {
                    id: second,
                    email: Email::parse("c@a.vn").unwrap(),
                    password_hash: "x".into(),
                    full_name: FullName::parse("C").unwrap(),
                    role: Role::Member,
                    organisation_id: org,
                },
            )
        })
        .unwrap();
    let detail = serde_json::json!({"listing_id": "x"});
    let now = Utc::now();
    let told = store
        .run(|conn| {
            notifications::notify_organisation(
                conn,
                org,
                &NewNotification {
                    event: EventKind::ListingApproved,
                    title: "Approved",
                    detail: &detail,
                    object_type: "listing",
                    object_id: "x",
                },
                now,
            )
        })
        .unwrap();
    assert_eq!(told, 2, "every active member");
    let page = PageRequest::default();
    let (inbox, unread) = store
        .run(|conn| notifications::inbox(conn, second, false, page))
        .unwrap();
    assert_eq!((inbox.total, unread), (1, 1));
    assert_eq!(inbox.items[0].detail, detail);
    assert_eq!(inbox.items[0].event, EventKind::ListingApproved);
    let id = inbox.items[0].id.clone();
    // Only the addressee can mark it read.
    let (first_inbox, _) = store
        .run(|conn| notifications::inbox(conn, first, false, page))
        .unwrap();
    assert_ne!(
        first_inbox.items[0].id, id,
        "each member has their own copy"
    );
    assert!(matches!(
        store.run(|conn| notifications::mark_read(conn, first, &id, now)),
        Err(StoreError::NotFound)
    ));
    store
        .run(|conn| notifications::mark_read(conn, second, &id, now))
        .unwrap();
    let (_, unread) = store
        .run(|conn| notifications::inbox(conn, second, true, page))
        .unwrap();
    assert_eq!(unread, 0);

    assert!(
        store
            .run(|conn| notifications::claim_notice(conn, "match:a:b", now))
            .unwrap()
    );
    assert!(
        !store
            .run(|conn| notifications::claim_notice(conn, "match:a:b", now))
            .unwrap()
    );

    assert_eq!(
        store
            .run(|conn| notifications::cursor(conn, "match_alerts"))
            .unwrap(),
        0
    );
    assert!(
        store
            .run(|conn| notifications::advance_cursor(conn, "match_alerts", 0, 5))
            .unwrap()
    );
    assert!(
        !store
            .run(|conn| notifications::advance_cursor(conn, "match_alerts", 0, 7))
            .unwrap(),
        "a second process that read the old position loses"
    );
    assert_eq!(
        store
            .run(|conn| notifications::cursor(conn, "match_alerts"))
            .unwrap(),
        5
    );
    assert!(
        store
            .run(|conn| notifications::advance_cursor(conn, "new_job", 0, 3))
            .unwrap()
    );
    assert_eq!(
        store
            .run(|conn| notifications::cursor(conn, "new_job"))
            .unwrap(),
        3
    );
}

techex_store::on_both_backends!(
    interests_round_trip_and_refuse_stale_writes,
    the_inbox_notices_and_cursors,
);
