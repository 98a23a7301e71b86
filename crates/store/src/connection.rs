//! Connections: one enum over both backends, and a pool manager that opens exactly
//! the backend the URL names.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use diesel::connection::{Connection, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{ManageConnection, R2D2Connection};
use diesel::result::ConnectionError;
use diesel::sqlite::SqliteConnection;

/// A connection to either backend. Queries written against it run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        })
    }
}

/// Where the database is, parsed from `DATABASE_URL` or the data directory.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    /// `postgres://…`/`postgresql://…` select PostgreSQL; `sqlite://PATH`,
    /// `sqlite:PATH` or a plain path select SQLite. Any other scheme is an error,
    /// so a typo never silently becomes a SQLite file named like a URL.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .unwrap_or(raw);
        if path.contains("://") {
            return Err(format!(
                "unsupported database URL scheme in '{}': use postgres://… or sqlite://PATH",
                raw.split("://").next().unwrap_or_default()
            ));
        }
        if path.is_empty() || path == ":memory:" {
            // Each pooled connection would get its own empty in-memory database.
            return Err("a SQLite database needs a file path".into());
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Postgres(_) => Backend::Postgres,
            Self::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// Never prints a PostgreSQL password.
impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Postgres(url) => {
                let host = url.rsplit('@').next().unwrap_or(url);
                let host = host
                    .trim_start_matches("postgresql://")
                    .trim_start_matches("postgres://");
                write!(f, "postgres://{host}")
            }
            Self::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
        }
    }
}

/// r2d2 manager that opens the URL's own backend and prepares each SQLite
/// connection (the pool's connection hook).
#[derive(Debug)]
pub struct DbConnectionManager {
    url: DatabaseUrl,
    busy_timeout: Duration,
}

impl DbConnectionManager {
    pub fn new(url: DatabaseUrl, busy_timeout: Duration) -> Self {
        Self { url, busy_timeout }
    }
}

impl ManageConnection for DbConnectionManager {
    type Connection = DbConnection;
    type Error = ConnectionError;

    fn connect(&self) -> Result<DbConnection, ConnectionError> {
        match &self.url {
            DatabaseUrl::Postgres(url) => {
                PgConnection::establish(url).map(DbConnection::Postgresql)
            }
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                // busy_timeout first, so the rest waits for locks instead of failing.
                // WAL was switched on once by `Store::open`; here it is a no-op that
                // guards against a file opened behind our back in another mode.
                // synchronous=FULL: a committed transaction survives power loss.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {};
                     PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = FULL;
                     PRAGMA foreign_keys = ON;",
                    self.busy_timeout.as_millis()
                ))
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), ConnectionError> {
        conn.ping()
            .map_err(ConnectionError::CouldntSetupConfiguration)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        // A connection left inside a transaction (a panic mid-unit-of-work) must not
        // go back to the pool.
        std::thread::panicking()
            || conn.is_broken()
            || <DbConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_chooses_the_backend() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u:p@db/techex")
                .unwrap()
                .backend(),
            Backend::Postgres
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://db/techex")
                .unwrap()
                .backend(),
            Backend::Postgres
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://./data/techex.db").unwrap(),
            DatabaseUrl::Sqlite("./data/techex.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("data/techex.db").unwrap(),
            DatabaseUrl::Sqlite("data/techex.db".into())
        );
    }

    #[test]
    fn unknown_schemes_and_memory_are_refused() {
        assert!(DatabaseUrl::parse("mysql://db/techex").is_err());
        assert!(DatabaseUrl::parse("postgress://db/techex").is_err());
        assert!(DatabaseUrl::parse("sqlite://:memory:").is_err());
        assert!(DatabaseUrl::parse("").is_err());
    }

    #[test]
    fn display_hides_credentials() {
        let url = DatabaseUrl::parse("postgres://techex:s3cret@db:5432/techex").unwrap();
        assert_eq!(url.to_string(), "postgres://db:5432/techex");
        assert!(!format!("{url:?}").contains("s3cret"));
    }
}
