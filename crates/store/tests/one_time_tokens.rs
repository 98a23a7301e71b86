//! Invitations and password resets in the store, on SQLite and on PostgreSQL: only
//! pending ones (not used, revoked or expired) are listed, counted, found by token
//! or used, and a new one for the same address or user revokes the earlier one.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step is a failed test"
)]

use chrono::{DateTime, Duration, Utc};
use techex_domain::{Email, OrganisationId, Role, UserId};
use techex_store::repo::invitations::{self, NewInvitation};
use techex_store::repo::password_resets::{self, NewPasswordReset};
use techex_store::testing::{TestDatabase, register_account};
use techex_store::{Store, StoreError, StoreOptions};
use uuid::Uuid;

fn open(db: &TestDatabase) -> Store {
    let store = Store::open(db.url(), &StoreOptions::default()).unwrap();
    store.migrate().unwrap();
    store
}

fn invite(
    store: &Store,
    organisation: OrganisationId,
    by: UserId,
    email: &str,
    token_sha256: &str,
    at: DateTime<Utc>,
) -> (Uuid, usize) {
    let id = Uuid::now_v7();
    let email = Email::parse(email).unwrap();
    let replaced = store
        .run(|conn| {
            invitations::insert_replacing(
                conn,
                &NewInvitation {
                    id,
                    organisation,
                    email: &email,
                    token_sha256,
                    created_by: by,
                    created_at: at,
                    expires_at: at + Duration::days(14),
                },
            )
        })
        .unwrap();
    (id, replaced)
}

fn pending_ids(store: &Store, organisation: OrganisationId, now: DateTime<Utc>) -> Vec<Uuid> {
    store
        .run(|conn| invitations::list_pending(conn, organisation, now))
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect()
}

fn only_pending_invitations_are_listed_found_and_used(db: &TestDatabase) {
    let store = open(db);
    let (org, member) = register_account(&store, "Viện A", "university", "a@a.vn", Role::Member);
    let (other, _) = register_account(&store, "Công ty B", "enterprise", "b@b.vn", Role::Member);
    let t0 = techex_store::repo::listings::now();
    let (first, _) = invite(&store, org, member, "x@a.vn", "hash-x", t0);
    let (second, _) = invite(&store, org, member, "y@a.vn", "hash-y", t0);
    assert_eq!(pending_ids(&store, org, t0), [first, second]);
    assert!(pending_ids(&store, other, t0).is_empty());
    let count = |now| {
        store
            .run(|conn| invitations::count_pending(conn, org, now))
            .unwrap()
    };
    assert_eq!(count(t0), 2);

    // Found by its token while pending; past its expiry, nowhere.
    let found = store
        .run(|conn| invitations::find_pending_by_token(conn, "hash-x", t0))
        .unwrap()
        .expect("pending");
    assert_eq!((found.id, found.email.as_str()), (first, "x@a.vn"));
    let expired = t0 + Duration::days(14);
    assert!(
        store
            .run(|conn| invitations::find_pending_by_token(conn, "hash-x", expired))
            .unwrap()
            .is_none()
    );
    assert!(pending_ids(&store, org, expired).is_empty());
    assert_eq!(count(expired), 0);
    let too_late = store.run(|conn| invitations::accept(conn, first, member, expired));
    assert!(
        matches!(too_late, Err(StoreError::NotFound)),
        "{too_late:?}"
    );

    // Accepted once; then neither accepted again nor revoked.
    store
        .run(|conn| invitations::accept(conn, first, member, t0))
        .unwrap();
    let accepted = store.run(|conn| invitations::get(conn, first)).unwrap();
    assert_eq!(accepted.accepted_user, Some(member));
    assert!(!accepted.is_pending(t0));
    let again = store.run(|conn| invitations::accept(conn, first, member, t0));
    assert!(matches!(again, Err(StoreError::NotFound)), "{again:?}");
    let revoke_used = store.run(|conn| invitations::revoke(conn, first, t0));
    assert!(matches!(revoke_used, Err(StoreError::NotFound)));
    assert_eq!(pending_ids(&store, org, t0), [second]);

    // Revoked: no longer found by its token.
    store
        .run(|conn| invitations::revoke(conn, second, t0))
        .unwrap();
    assert!(
        store
            .run(|conn| invitations::find_pending_by_token(conn, "hash-y", t0))
            .unwrap()
            .is_none()
    );
    assert_eq!(count(t0), 0);
}

fn inviting_an_address_again_revokes_its_earlier_invitation(db: &TestDatabase) {
    let store = open(db);
    let (org, member) = register_account(&store, "Viện A", "university", "a@a.vn", Role::Member);
    let (other, other_member) =
        register_account(&store, "Công ty B", "enterprise", "b@b.vn", Role::Member);
    let t0 = techex_store::repo::listings::now();
    let (first, replaced) = invite(&store, org, member, "x@a.vn", "hash-1", t0);
    assert_eq!(replaced, 0);
    // Another organisation inviting the same address replaces nothing of this one's.
    let (elsewhere, replaced) = invite(&store, other, other_member, "x@a.vn", "hash-2", t0);
    assert_eq!(replaced, 0);
    let (second, replaced) = invite(&store, org, member, "x@a.vn", "hash-3", t0);
    assert_eq!(replaced, 1);
    assert_eq!(pending_ids(&store, org, t0), [second]);
    assert_eq!(pending_ids(&store, other, t0), [elsewhere]);
    let first = store.run(|conn| invitations::get(conn, first)).unwrap();
    assert_eq!(first.revoked_at, Some(t0));
    // A token hash is unique: a second invitation cannot reuse one.
    let id = Uuid::now_v7();
    let email = Email::parse("z@a.vn").unwrap();
    let reused = store.run(|conn| {
        invitations::insert_replacing(
            conn,
            &NewInvitation {
                id,
                organisation: org,
                email: &email,
                token_sha256: "hash-3",
                created_by: member,
                created_at: t0,
                expires_at: t0 + Duration::days(1),
            },
        )
    });
    assert!(matches!(reused, Err(StoreError::Conflict(_))), "{reused:?}");
}

fn a_password_reset_works_once_before_it_expires_or_is_replaced(db: &TestDatabase) {
    let store = open(db);
    let (_, operator) = register_account(&store, "Sàn", "exchange", "op@s.vn", Role::Operator);
    let (_, user) = register_account(&store, "Viện A", "university", "a@a.vn", Role::Member);
    let t0 = techex_store::repo::listings::now();
    let issue = |hash: &str| {
        let id = Uuid::now_v7();
        let reset = NewPasswordReset {
            id,
            user,
            token_sha256: hash,
            created_by: operator,
            created_at: t0,
            expires_at: t0 + Duration::hours(24),
        };
        let replaced = store
            .run(|conn| password_resets::issue_replacing(conn, &reset))
            .unwrap();
        (id, replaced)
    };
    let find = |hash: &str, now| {
        store
            .run(|conn| password_resets::find_pending_by_token(conn, hash, now))
            .unwrap()
    };
    let (first, replaced) = issue("hash-1");
    assert_eq!(replaced, 0);
    assert_eq!(find("hash-1", t0), Some((first, user)));
    assert_eq!(find("hash-1", t0 + Duration::hours(24)), None, "expired");
    assert_eq!(find("unknown", t0), None);

    let (second, replaced) = issue("hash-2");
    assert_eq!(replaced, 1);
    assert_eq!(find("hash-1", t0), None, "replaced");
    let late = store.run(|conn| password_resets::use_up(conn, second, t0 + Duration::days(2)));
    assert!(matches!(late, Err(StoreError::NotFound)), "{late:?}");
    store
        .run(|conn| password_resets::use_up(conn, second, t0))
        .unwrap();
    assert_eq!(find("hash-2", t0), None, "used");
    let again = store.run(|conn| password_resets::use_up(conn, second, t0));
    assert!(matches!(again, Err(StoreError::NotFound)), "{again:?}");

    let (_third, _) = issue("hash-3");
    let revoked = store
        .run(|conn| password_resets::revoke_for(conn, user, t0))
        .unwrap();
    assert_eq!(revoked, 1);
    assert_eq!(find("hash-3", t0), None, "revoked");
}

techex_store::on_both_backends!(
    a_password_reset_works_once_before_it_expires_or_is_replaced,
    only_pending_invitations_are_listed_found_and_used,
    inviting_an_address_again_revokes_its_earlier_invitation,
);
