//! Fresh databases for tests: a temporary SQLite file, or a new PostgreSQL database on
//! the server named by `TEST_DATABASE_URL`, dropped afterwards. Used by this crate's
//! repository tests and by the end-to-end tests.

use std::io::Write;
use std::path::PathBuf;

use diesel::{Connection, RunQueryDsl, pg::PgConnection};
use uuid::Uuid;

use crate::connection::DatabaseUrl;

pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";

/// A database that exists for one test.
pub struct TestDatabase {
    url: DatabaseUrl,
    cleanup: Cleanup,
}

enum Cleanup {
    Directory(PathBuf),
    PostgresDatabase { server_url: String, name: String },
}

impl TestDatabase {
    /// A SQLite file in a new temporary directory.
    pub fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(format!("techex-test-{}", Uuid::new_v4().simple()));
        #[expect(
            clippy::expect_used,
            reason = "test set-up: nothing can run without it"
        )]
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        Self {
            url: DatabaseUrl::Sqlite(dir.join("techex.db")),
            cleanup: Cleanup::Directory(dir),
        }
    }

    /// A new, empty PostgreSQL database, or `None` (with a notice on stderr that the
    /// calling test was skipped) when `TEST_DATABASE_URL` is not set.
    pub fn postgres(test_name: &str) -> Option<Self> {
        let Ok(server_url) = std::env::var(TEST_DATABASE_URL) else {
            // Written to the real stderr, past the test harness's output capture, so a
            // skip is never mistaken for a pass.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test_name} on PostgreSQL: {TEST_DATABASE_URL} is not set"
            );
            return None;
        };
        let name = format!("techex_test_{}", Uuid::new_v4().simple());
        #[expect(
            clippy::expect_used,
            reason = "test set-up: a configured server must be reachable"
        )]
        let mut admin = PgConnection::establish(&server_url)
            .expect("connect to the PostgreSQL server named by TEST_DATABASE_URL");
        #[expect(clippy::expect_used, reason = "test set-up")]
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .expect("create a test database");
        Some(Self {
            url: DatabaseUrl::Postgres(with_database(&server_url, &name)),
            cleanup: Cleanup::PostgresDatabase { server_url, name },
        })
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The URL as the binary's `DATABASE_URL` takes it.
    pub fn url_string(&self) -> String {
        match &self.url {
            DatabaseUrl::Postgres(url) => url.clone(),
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Directory(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::PostgresDatabase { server_url, name } => {
                if let Ok(mut admin) = PgConnection::establish(server_url) {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut admin);
                }
            }
        }
    }
}

impl TestDatabase {
    /// Moves a listing's valid-until date into the past, as if time had passed: the
    /// API refuses such dates, so expiry tests set them here.
    pub fn backdate_listing(&self, listing_id: &str, valid_until: chrono::NaiveDate) {
        #[expect(clippy::expect_used, reason = "test set-up")]
        let store = crate::Store::open(&self.url, &crate::StoreOptions::default())
            .expect("open the test database");
        #[expect(clippy::expect_used, reason = "test set-up")]
        let id = listing_id.parse().expect("a listing id");
        #[expect(clippy::expect_used, reason = "test set-up")]
        store
            .run(|conn| {
                let mut listing = crate::repo::listings::get(conn, id)?;
                listing.content.valid_until = valid_until;
                crate::repo::listings::save(conn, &listing, listing.version)
            })
            .expect("backdate the listing");
    }
}

/// Registers an organisation of `kind` with one user of `role`; returns both ids.
/// Test set-up shared by the repository suites.
pub fn register_account(
    store: &crate::Store,
    name: &str,
    kind: &str,
    email: &str,
    role: techex_domain::Role,
) -> (techex_domain::OrganisationId, techex_domain::UserId) {
    use techex_domain::{Email, FullName, NewOrganisation, NewUser, OrganisationInput, UserId};
    #[expect(clippy::expect_used, reason = "test set-up")]
    let organisation = NewOrganisation::parse(OrganisationInput {
        name: Some(name),
        kind: Some(kind),
        ..Default::default()
    })
    .expect("a valid test organisation");
    #[expect(clippy::expect_used, reason = "test set-up")]
    let user = NewUser {
        id: UserId::new(),
        email: Email::parse(email).expect("a valid test e-mail"),
        password_hash: "x".into(),
        full_name: FullName::parse("A").expect("a valid name"),
        role,
        organisation_id: organisation.id,
    };
    #[expect(clippy::expect_used, reason = "test set-up")]
    store
        .run(|conn| crate::repo::users::register(conn, &organisation, &user))
        .expect("register the test account");
    (organisation.id, user.id)
}

/// Replaces the database name in a PostgreSQL URL, keeping any query string.
fn with_database(server_url: &str, name: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server_url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut url = format!("{}/{name}", &base[..authority_end]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// Runs each named test function (taking `&TestDatabase`) once on SQLite and once on
/// PostgreSQL, as `sqlite::NAME` and `postgres::NAME`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name(&$crate::testing::TestDatabase::sqlite());
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    if let Some(db) = $crate::testing::TestDatabase::postgres(stringify!($name)) {
                        super::$name(&db);
                    }
                }
            )*
        }
    };
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_only_the_database_name() {
        assert_eq!(
            with_database("postgres://u@h:5432/ci", "t1"),
            "postgres://u@h:5432/t1"
        );
        assert_eq!(with_database("postgres://h", "t1"), "postgres://h/t1");
        assert_eq!(
            with_database("postgresql://u:p@h/ci?sslmode=disable", "t1"),
            "postgresql://u:p@h/t1?sslmode=disable"
        );
    }
}
