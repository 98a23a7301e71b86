//! Repositories: one module per table, plain functions over a connection so a caller
//! can compose several in one transaction.

pub mod audit;
pub mod interests;
pub mod invitations;
pub mod listings;
pub mod notifications;
pub mod organisations;
pub mod password_resets;
pub mod stats;
pub mod users;
pub mod webhooks;
