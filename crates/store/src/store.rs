//! The store: a connection pool over the URL's backend, migrations, transactions.

use std::path::Path;
use std::time::Duration;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::r2d2::{Pool, PooledConnection, R2D2Connection};

use crate::connection::{Backend, DatabaseUrl, DbConnection, DbConnectionManager};
use crate::error::{StoreError, StoreResult};
use crate::migrations;

#[derive(Clone, Debug)]
pub struct StoreOptions {
    pub pool_size: u32,
    pub busy_timeout: Duration,
    pub connect_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            pool_size: 8,
            busy_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// Cheap to clone: clones share one pool.
#[derive(Clone)]
pub struct Store {
    pool: Pool<DbConnectionManager>,
    backend: Backend,
}

pub type PooledDbConnection = PooledConnection<DbConnectionManager>;

impl Store {
    /// Opens the pool (creating a SQLite file's directory if needed). Fails fast when
    /// the database cannot be reached within the connect timeout.
    pub fn open(url: &DatabaseUrl, options: &StoreOptions) -> StoreResult<Self> {
        if let DatabaseUrl::Sqlite(path) = url {
            create_parent_dir(path)?;
            enable_wal(path, options.busy_timeout)?;
        }
        let pool = Pool::builder()
            .max_size(options.pool_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(options.connect_timeout)
            .build(DbConnectionManager::new(url.clone(), options.busy_timeout))?;
        Ok(Self {
            pool,
            backend: url.backend(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies pending migrations; returns the names of those applied.
    pub fn migrate(&self) -> StoreResult<Vec<String>> {
        let mut conn = self.conn()?;
        migrations::run_pending(&mut conn)
    }

    pub fn conn(&self) -> StoreResult<PooledDbConnection> {
        Ok(self.pool.get()?)
    }

    /// Runs `work` with a pooled connection.
    pub fn run<T>(&self, work: impl FnOnce(&mut DbConnection) -> StoreResult<T>) -> StoreResult<T> {
        let mut conn = self.conn()?;
        work(&mut conn)
    }

    /// Open and idle pooled connections, for metrics.
    pub fn pool_state(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }

    /// The database answers a trivial query.
    pub fn ping(&self) -> StoreResult<()> {
        Ok(self.conn()?.ping()?)
    }
}

/// WAL is a property of the database file: set it once, on one connection, before
/// the pool opens several. Switching modes needs an exclusive lock, which pooled
/// connections opening at the same moment would fight over.
fn enable_wal(path: &Path, busy_timeout: Duration) -> StoreResult<()> {
    let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())
        .map_err(|e| StoreError::InvalidUrl(format!("cannot open {}: {e}", path.display())))?;
    conn.batch_execute(&format!(
        "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL;",
        busy_timeout.as_millis()
    ))?;
    Ok(())
}

fn create_parent_dir(path: &Path) -> StoreResult<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::InvalidUrl(format!("cannot create directory {}: {e}", dir.display()))
        }),
        _ => Ok(()),
    }
}

/// A transaction for work that writes. On SQLite it starts with `BEGIN IMMEDIATE`, so
/// the write lock is taken (waiting up to busy_timeout) before anything is read: a
/// deferred transaction that reads first and writes later fails with "database is
/// locked" instead of waiting. PostgreSQL uses an ordinary transaction. Nested calls
/// become savepoints, so repository functions compose.
pub fn write_transaction<T, E>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    let DbConnection::Sqlite(sqlite) = conn else {
        return conn.transaction(work);
    };
    let nested = AnsiTransactionManager::transaction_manager_status_mut(sqlite)
        .transaction_depth()?
        .is_some();
    if nested {
        // Already inside a write transaction: the lock is held; use a savepoint.
        return conn.transaction(work);
    }
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    let outcome = work(conn);
    let DbConnection::Sqlite(sqlite) = conn else {
        unreachable!("the connection cannot change backend inside a transaction");
    };
    match outcome {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(sqlite)?;
            Ok(value)
        }
        Err(error) => {
            AnsiTransactionManager::rollback_transaction(sqlite)?;
            Err(error)
        }
    }
}
