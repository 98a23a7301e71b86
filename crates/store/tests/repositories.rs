//! The repository behaviour, run on SQLite and on PostgreSQL, each test on a fresh
//! database.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step is a failed test"
)]

use diesel::RunQueryDsl;
use techex_domain::{
    AuditAction, Email, FullName, NewAuditEntry, NewOrganisation, NewUser, OrganisationInput,
    OrganisationKind, Role,
};
use techex_store::repo::audit::AuditFilter;
use techex_store::repo::organisations::OrganisationFilter;
use techex_store::repo::users::UserFilter;
use techex_store::repo::{audit, organisations, users};
use techex_store::store::write_transaction;
use techex_store::testing::TestDatabase;
use techex_store::{PageRequest, Store, StoreError, StoreOptions};

fn open(db: &TestDatabase) -> Store {
    let store = Store::open(db.url(), &StoreOptions::default()).unwrap();
    store.migrate().unwrap();
    store
}

fn new_org(name: &str, kind: &str) -> NewOrganisation {
    NewOrganisation::parse(OrganisationInput {
        name: Some(name),
        kind: Some(kind),
        province: Some("Đà Nẵng"),
        country: Some("VN"),
        website: None,
    })
    .unwrap()
}

fn new_user(email: &str, organisation: &NewOrganisation) -> NewUser {
    NewUser {
        id: techex_domain::UserId::new(),
        email: Email::parse(email).unwrap(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        full_name: FullName::parse("Nguyễn Thị Lan").unwrap(),
        role: Role::Member,
        organisation_id: organisation.id,
    }
}

fn migrations_apply_once(db: &TestDatabase) {
    let store = Store::open(db.url(), &StoreOptions::default()).unwrap();
    let first = store.migrate().unwrap();
    assert!(!first.is_empty(), "a fresh database has pending migrations");
    assert!(
        store.migrate().unwrap().is_empty(),
        "the second run applies nothing"
    );
    store.ping().unwrap();
}

fn registration_round_trips(db: &TestDatabase) {
    let store = open(db);
    let org = new_org("Đại học Bách khoa Đà Nẵng", "university");
    let user = new_user("Lan@DUT.udn.vn", &org);
    let mut conn = store.conn().unwrap();
    let (stored_org, stored_user) = users::register(&mut conn, &org, &user).unwrap();
    assert!(!stored_org.verified, "new organisations are unverified");
    assert_eq!(stored_user.email.as_str(), "lan@dut.udn.vn");

    assert_eq!(organisations::get(&mut conn, org.id).unwrap(), stored_org);
    // Looked up by many ids, repeated ones (a page of one organisation's listings)
    // and unknown ones included.
    let unknown = techex_domain::OrganisationId::new();
    let many = organisations::get_many(&mut conn, &[org.id, unknown, org.id]).unwrap();
    assert_eq!(many.len(), 1);
    assert_eq!(many[&org.id], stored_org);
    assert_eq!(users::get(&mut conn, user.id).unwrap(), stored_user);
    let (found, hash) =
        users::find_credentials(&mut conn, &Email::parse("LAN@dut.udn.vn").unwrap())
            .unwrap()
            .expect("found by e-mail, whatever its case");
    assert_eq!(found, stored_user);
    assert_eq!(hash, user.password_hash);
    assert!(
        users::find_credentials(&mut conn, &Email::parse("nobody@dut.udn.vn").unwrap())
            .unwrap()
            .is_none()
    );
}

fn duplicate_email_conflicts_and_registration_is_atomic(db: &TestDatabase) {
    let store = open(db);
    let mut conn = store.conn().unwrap();
    let first = new_org("Viện Hóa học", "research_institute");
    users::register(&mut conn, &first, &new_user("a@ich.vast.vn", &first)).unwrap();

    let second = new_org("Công ty Nước sạch", "enterprise");
    let error =
        users::register(&mut conn, &second, &new_user("A@ICH.vast.vn", &second)).unwrap_err();
    assert!(matches!(error, StoreError::Conflict(_)), "got {error:?}");
    assert!(
        matches!(
            organisations::get(&mut conn, second.id),
            Err(StoreError::NotFound)
        ),
        "the organisation of a failed registration is rolled back"
    );
}

fn verification_records_the_operator_once(db: &TestDatabase) {
    let store = open(db);
    let mut conn = store.conn().unwrap();
    let exchange = new_org("Sàn giao dịch công nghệ", "exchange");
    let operator = NewUser {
        role: Role::Operator,
        ..new_user("op@techmart.vn", &exchange)
    };
    users::register(&mut conn, &exchange, &operator).unwrap();
    let org = new_org("Công ty Cơ khí", "enterprise");
    users::register(&mut conn, &org, &new_user("ceo@cokhi.vn", &org)).unwrap();

    let (verified, changed) = organisations::verify(&mut conn, org.id, operator.id).unwrap();
    assert!(changed);
    assert!(verified.verified);
    assert_eq!(verified.verified_by, Some(operator.id));
    let (again, changed) =
        organisations::verify(&mut conn, org.id, techex_domain::UserId::new()).unwrap();
    assert!(!changed);
    assert_eq!(
        again.verified_by,
        Some(operator.id),
        "a second verification changes nothing"
    );
    assert_eq!(again.verified_at, verified.verified_at);

    let unknown =
        organisations::verify(&mut conn, techex_domain::OrganisationId::new(), operator.id);
    assert!(matches!(unknown, Err(StoreError::NotFound)));
}

fn lists_are_filtered_paginated_and_newest_first(db: &TestDatabase) {
    let store = open(db);
    let mut conn = store.conn().unwrap();
    let mut ids = Vec::new();
    for i in 0..5 {
        let kind = if i % 2 == 0 {
            "enterprise"
        } else {
            "university"
        };
        let org = new_org(&format!("Organisation {i}"), kind);
        users::register(
            &mut conn,
            &org,
            &new_user(&format!("u{i}@example.vn"), &org),
        )
        .unwrap();
        ids.push(org.id);
    }
    let page = organisations::list(
        &mut conn,
        &OrganisationFilter::default(),
        PageRequest::new(Some(1), Some(2)).unwrap(),
    )
    .unwrap();
    assert_eq!(page.total, 5);
    assert_eq!(
        page.items.iter().map(|o| o.id).collect::<Vec<_>>(),
        [ids[4], ids[3]]
    );
    let last = organisations::list(
        &mut conn,
        &OrganisationFilter::default(),
        PageRequest::new(Some(3), Some(2)).unwrap(),
    )
    .unwrap();
    assert_eq!(
        last.items.iter().map(|o| o.id).collect::<Vec<_>>(),
        [ids[0]]
    );

    let filter = OrganisationFilter {
        kind: Some(OrganisationKind::University),
        ..Default::default()
    };
    let universities = organisations::list(&mut conn, &filter, PageRequest::default()).unwrap();
    assert_eq!(universities.total, 2);
    assert!(
        universities
            .items
            .iter()
            .all(|o| o.kind == OrganisationKind::University)
    );

    let members = users::list(
        &mut conn,
        &UserFilter {
            organisation_id: Some(ids[1]),
            ..Default::default()
        },
        PageRequest::default(),
    )
    .unwrap();
    assert_eq!(members.total, 1);
    assert_eq!(members.items[0].organisation_id, ids[1]);
}

fn roles_and_disabling(db: &TestDatabase) {
    let store = open(db);
    let mut conn = store.conn().unwrap();
    let org = new_org("Sàn công nghệ", "exchange");
    let user = new_user("x@san.vn", &org);
    users::register(&mut conn, &org, &user).unwrap();
    assert_eq!(users::count_operators(&mut conn).unwrap(), 0);
    assert_eq!(
        users::set_role(&mut conn, user.id, Role::Operator)
            .unwrap()
            .role,
        Role::Operator
    );
    assert_eq!(users::count_operators(&mut conn).unwrap(), 1);
    assert!(
        users::set_disabled(&mut conn, user.id, true)
            .unwrap()
            .disabled
    );
    assert_eq!(
        users::count_operators(&mut conn).unwrap(),
        0,
        "disabled operators do not count"
    );
    assert!(matches!(
        users::set_disabled(&mut conn, techex_domain::UserId::new(), true),
        Err(StoreError::NotFound)
    ));
}

fn audit_log_filters_and_refuses_changes(db: &TestDatabase) {
    let store = open(db);
    let mut conn = store.conn().unwrap();
    let actor = techex_domain::UserId::new();
    audit::append(
        &mut conn,
        &NewAuditEntry::new(AuditAction::LoginFailed)
            .detail("x@y.vn")
            .client_ip(Some("10.0.0.1".into())),
    )
    .unwrap();
    audit::append(
        &mut conn,
        &NewAuditEntry::new(AuditAction::RoleChanged)
            .actor(actor)
            .object("user", "u1")
            .detail("member -> operator"),
    )
    .unwrap();

    let all = audit::list(&mut conn, &AuditFilter::default(), PageRequest::default()).unwrap();
    assert_eq!(all.total, 2);
    assert_eq!(
        all.items[0].action,
        AuditAction::RoleChanged,
        "newest first"
    );
    let by_actor = audit::list(
        &mut conn,
        &AuditFilter {
            actor: Some(actor),
            ..Default::default()
        },
        PageRequest::default(),
    )
    .unwrap();
    assert_eq!(by_actor.total, 1);
    assert_eq!(by_actor.items[0].object_id.as_deref(), Some("u1"));
    let by_action = audit::list(
        &mut conn,
        &AuditFilter {
            action: Some(AuditAction::LoginFailed),
            ..Default::default()
        },
        PageRequest::default(),
    )
    .unwrap();
    assert_eq!(by_action.items[0].client_ip.as_deref(), Some("10.0.0.1"));
    let future = audit::list(
        &mut conn,
        &AuditFilter {
            from: Some(chrono::Utc::now() + chrono::Duration::hours(1)),
            ..Default::default()
        },
        PageRequest::default(),
    )
    .unwrap();
    assert_eq!(future.total, 0);

    assert!(
        diesel::sql_query("UPDATE audit_log SET detail = 'forged'")
            .execute(&mut *conn)
            .is_err()
    );
    assert!(
        diesel::sql_query("DELETE FROM audit_log")
            .execute(&mut *conn)
            .is_err()
    );
    assert_eq!(
        audit::list(&mut conn, &AuditFilter::default(), PageRequest::default())
            .unwrap()
            .total,
        2
    );
}

fn failed_write_transactions_roll_back(db: &TestDatabase) {
    let store = open(db);
    let mut conn = store.conn().unwrap();
    let org = new_org("Rolled back", "startup");
    let result: Result<(), StoreError> = write_transaction(&mut conn, |conn| {
        organisations::insert(conn, &org, false)?;
        Err(StoreError::NotFound)
    });
    assert!(result.is_err());
    assert!(matches!(
        organisations::get(&mut conn, org.id),
        Err(StoreError::NotFound)
    ));
}

fn concurrent_writers_all_commit(db: &TestDatabase) {
    let store = open(db);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    let org = new_org(&format!("Org {t}-{i}"), "enterprise");
                    let user = new_user(&format!("u{t}-{i}@example.vn"), &org);
                    store
                        .run(|conn| users::register(conn, &org, &user))
                        .unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let mut conn = store.conn().unwrap();
    let all = organisations::list(
        &mut conn,
        &OrganisationFilter::default(),
        PageRequest::default(),
    )
    .unwrap();
    assert_eq!(all.total, 100);
}

#[test]
fn every_pooled_sqlite_connection_is_configured() {
    #[derive(diesel::QueryableByName)]
    struct Pragmas {
        #[diesel(sql_type = diesel::sql_types::Text)]
        journal_mode: String,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        synchronous: i32,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        foreign_keys: i32,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        timeout: i32,
    }
    let db = TestDatabase::sqlite();
    let options = StoreOptions {
        pool_size: 3,
        ..StoreOptions::default()
    };
    let store = Store::open(db.url(), &options).unwrap();
    // Hold three connections at once so each is a distinct pooled connection.
    let mut held: Vec<_> = (0..3).map(|_| store.conn().unwrap()).collect();
    for conn in &mut held {
        let pragmas: Pragmas = diesel::sql_query(
            "SELECT (SELECT journal_mode FROM pragma_journal_mode) AS journal_mode, \
                    (SELECT synchronous FROM pragma_synchronous) AS synchronous, \
                    (SELECT foreign_keys FROM pragma_foreign_keys) AS foreign_keys, \
                    (SELECT timeout FROM pragma_busy_timeout) AS timeout",
        )
        .get_result(&mut **conn)
        .unwrap();
        assert_eq!(pragmas.journal_mode, "wal");
        assert_eq!(pragmas.synchronous, 2, "FULL");
        assert_eq!(pragmas.foreign_keys, 1);
        assert_eq!(pragmas.timeout, 5000);
    }
}

techex_store::on_both_backends!(
    migrations_apply_once,
    registration_round_trips,
    duplicate_email_conflicts_and_registration_is_atomic,
    verification_records_the_operator_once,
    lists_are_filtered_paginated_and_newest_first,
    roles_and_disabling,
    audit_log_filters_and_refuses_changes,
    failed_write_transactions_roll_back,
    concurrent_writers_all_commit,
);
