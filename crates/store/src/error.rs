//! Store errors, with enough context for the API to map them to a status.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; names the constraint (e.g. `users_email`).
    #[error("conflict on {0}")]
    Conflict(String),
    /// Optimistic concurrency: the row changed since the caller read it.
    #[error("stale version: the row is now at version {current}")]
    Stale { current: i64 },
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    #[error("database connection pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("migrations failed: {0}")]
    Migration(String),
    /// A stored value that the domain cannot read: a bug or a hand-edited row.
    #[error("corrupt row in {table}: {detail}")]
    Corrupt { table: &'static str, detail: String },
    #[error("database: {0}")]
    Database(DieselError),
}

impl From<DieselError> for StoreError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => Self::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                // PostgreSQL names the constraint; SQLite names the columns in the message.
                let name = info
                    .constraint_name()
                    .map(str::to_owned)
                    .unwrap_or_else(|| info.message().to_owned());
                Self::Conflict(name)
            }
            other => Self::Database(other),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
