//! techex persistence: one diesel code base over SQLite (the embedded default) and
//! PostgreSQL (production).
//!
//! The backend is chosen from the database URL ([`DatabaseUrl`]), never by trying one
//! after the other. Every call here is blocking: the API runs it on a blocking thread
//! (`web::block`), never on an actix worker.

pub mod connection;
pub mod error;
pub mod migrations;
pub mod paging;
pub mod repo;
mod rows;
pub mod schema;
pub mod store;
pub mod testing;
mod time;

pub use connection::{Backend, DatabaseUrl, DbConnection};
pub use diesel::result::Error as DieselError;
pub use error::StoreError;
pub use paging::{Page, PageRequest};
pub use store::{Store, StoreOptions};
