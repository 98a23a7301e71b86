//! The listing repository, on SQLite and on PostgreSQL, each test on a fresh database.

#![expect(clippy::unwrap_used, reason = "a failed step is a failed test")]

use chrono::{Duration, NaiveDate, Utc};
use techex_domain::listing::{
    Command, Listing, ListingContent, ListingInput, ListingKind, ListingStatus,
};
use techex_domain::{
    Email, FullName, ListingId, NewOrganisation, NewUser, OrganisationInput, Role, UserId,
};
use techex_store::repo::listings::{self, PublicFilter};
use techex_store::repo::users;
use techex_store::testing::TestDatabase;
use techex_store::{PageRequest, Store, StoreError, StoreOptions};

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn open(db: &TestDatabase) -> (Store, techex_domain::OrganisationId, UserId) {
    let store = Store::open(db.url(), &StoreOptions::default()).unwrap();
    store.migrate().unwrap();
    let org = NewOrganisation::parse(OrganisationInput {
        name: Some("Viện Sinh học Nhiệt đới"),
        kind: Some("research_institute"),
        ..Default::default()
    })
    .unwrap();
    let user = NewUser {
        id: UserId::new(),
        email: Email::parse("a@itb.vast.vn").unwrap(),
        password_hash: "x".into(),
        full_name: FullName::parse("A").unwrap(),
        role: Role::Member,
        organisation_id: org.id,
    };
    store
        .run(|conn| users::register(conn, &org, &user))
        .unwrap();
    (store, org.id, user.id)
}

fn listing(
    owner: techex_domain::OrganisationId,
    by: UserId,
    title: &str,
    sectors: &[&str],
    trl: i64,
) -> Listing {
    let input = ListingInput {
        title: Some(title.into()),
        language: Some("vi".into()),
        sectors: Some(sectors.iter().map(|s| s.to_string()).collect()),
        trl: Some(trl),
        province: Some("Cần Thơ".into()),
        ..Default::default()
    };
    let now = listings::now();
    Listing {
        id: ListingId::new(),
        kind: ListingKind::Offer,
        status: ListingStatus::Draft,
        owner,
        created_by: by,
        content: ListingContent::parse(&input, today()).unwrap(),
        revision: None,
        rejection: None,
        version: 1,
        created_at: now,
        updated_at: now,
        submitted_at: None,
        published_at: None,
    }
}

fn publish(store: &Store, mut listing: Listing) -> Listing {
    let now = listings::now();
    store.run(|conn| listings::insert(conn, &listing)).unwrap();
    for command in [Command::Submit, Command::Approve] {
        let read = listing.version;
        listing.perform(command, now).unwrap();
        store
            .run(|conn| listings::save(conn, &listing, read))
            .unwrap();
    }
    listing
}

fn listings_round_trip_with_every_field(db: &TestDatabase) {
    let (store, org, user) = open(db);
    let mut original = listing(org, user, "Chế phẩm sinh học cho tôm", &["4.5", "2.7"], 6);
    original.content.keywords = vec!["tôm thẻ".into(), "vi sinh".into()];
    store.run(|conn| listings::insert(conn, &original)).unwrap();
    let loaded = store.run(|conn| listings::get(conn, original.id)).unwrap();
    assert_eq!(loaded, original);
}

fn saves_refuse_stale_versions(db: &TestDatabase) {
    let (store, org, user) = open(db);
    let mut listing = listing(org, user, "Máy bóc vỏ hạt điều", &["2.3"], 7);
    store.run(|conn| listings::insert(conn, &listing)).unwrap();
    listing.perform(Command::Submit, listings::now()).unwrap();
    store.run(|conn| listings::save(conn, &listing, 1)).unwrap();
    let mut stale = listing.clone();
    stale.perform(Command::Withdraw, listings::now()).unwrap();
    let error = store
        .run(|conn| listings::save(conn, &stale, 1))
        .unwrap_err();
    assert!(
        matches!(error, StoreError::Stale { current: 2 }),
        "{error:?}"
    );
    let stored = store.run(|conn| listings::get(conn, listing.id)).unwrap();
    assert_eq!(
        stored.status,
        ListingStatus::PendingReview,
        "the stale write changed nothing"
    );
}

fn the_catalogue_shows_only_valid_published_listings_filtered(db: &TestDatabase) {
    let (store, org, user) = open(db);
    let ai = publish(
        &store,
        listing(org, user, "Nhận dạng sâu bệnh bằng AI", &["1.2.ai"], 8),
    );
    let water = publish(
        &store,
        listing(org, user, "Lọc nước nhiễm mặn", &["2.7"], 4),
    );
    let draft = listing(org, user, "Bản nháp chưa gửi", &["2.7"], 4);
    store.run(|conn| listings::insert(conn, &draft)).unwrap();
    let mut old = publish(&store, listing(org, user, "Tin đã hết hạn", &["2.7"], 4));
    old.content.valid_until = today() - Duration::days(1);
    store
        .run(|conn| listings::save(conn, &old, old.version))
        .unwrap();

    let find = |filter: PublicFilter| {
        store
            .run(|conn| listings::list_public(conn, &filter, today(), PageRequest::default()))
            .unwrap()
            .items
            .into_iter()
            .map(|l| l.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        find(PublicFilter::default()),
        [water.id, ai.id],
        "newest first; no draft, nothing expired"
    );
    assert_eq!(
        find(PublicFilter {
            sector: Some("1".into()),
            ..Default::default()
        }),
        [ai.id]
    );
    assert_eq!(
        find(PublicFilter {
            sector: Some("1.2".into()),
            ..Default::default()
        }),
        [ai.id]
    );
    assert_eq!(
        find(PublicFilter {
            sector: Some("1.2.ai".into()),
            ..Default::default()
        }),
        [ai.id]
    );
    assert!(
        find(PublicFilter {
            sector: Some("1.2.a".into()),
            ..Default::default()
        })
        .is_empty(),
        "no prefix matches"
    );
    assert_eq!(
        find(PublicFilter {
            trl_min: Some(5),
            ..Default::default()
        }),
        [ai.id]
    );
    assert_eq!(
        find(PublicFilter {
            province: Some("can-tho".into()),
            ..Default::default()
        })
        .len(),
        2
    );

    let due = store
        .run(|conn| listings::due_for_expiry(conn, today(), 10))
        .unwrap();
    assert_eq!(due, [old.id]);
    let exported = store
        .run(|conn| listings::published_after(conn, None, today(), 1))
        .unwrap();
    let rest = store
        .run(|conn| listings::published_after(conn, Some(exported[0].id), today(), 10))
        .unwrap();
    assert_eq!(
        exported.len() + rest.len(),
        2,
        "keyset pages neither skip nor repeat"
    );
}

fn the_review_queue_is_oldest_first(db: &TestDatabase) {
    let (store, org, user) = open(db);
    let mut ids = Vec::new();
    for title in ["Thứ nhất gửi duyệt", "Thứ hai gửi duyệt"] {
        let mut listing = listing(org, user, title, &["2.7"], 5);
        store.run(|conn| listings::insert(conn, &listing)).unwrap();
        listing.perform(Command::Submit, listings::now()).unwrap();
        store.run(|conn| listings::save(conn, &listing, 1)).unwrap();
        ids.push(listing.id);
    }
    let queue = store
        .run(|conn| listings::review_queue(conn, PageRequest::default()))
        .unwrap();
    assert_eq!(queue.items.iter().map(|l| l.id).collect::<Vec<_>>(), ids);
    let titles = store
        .run(|conn| listings::sibling_titles(conn, org, ids[0]))
        .unwrap();
    assert_eq!(titles, [(ids[1], "Thứ hai gửi duyệt".to_owned())]);
}

fn deleting_a_listing_removes_its_sectors_and_history(db: &TestDatabase) {
    let (store, org, user) = open(db);
    let listing = listing(org, user, "Xóa bản nháp này", &["2.7"], 5);
    store.run(|conn| listings::insert(conn, &listing)).unwrap();
    store
        .run(|conn| listings::delete(conn, listing.id))
        .unwrap();
    assert!(matches!(
        store.run(|conn| listings::get(conn, listing.id)),
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.run(|conn| listings::delete(conn, listing.id)),
        Err(StoreError::NotFound)
    ));
}

techex_store::on_both_backends!(
    listings_round_trip_with_every_field,
    saves_refuse_stale_versions,
    the_catalogue_shows_only_valid_published_listings_filtered,
    the_review_queue_is_oldest_first,
    deleting_a_listing_removes_its_sectors_and_history,
);
