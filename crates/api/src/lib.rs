//! techex HTTP API: actix-web routes over the store, and the `techex` command line.
//!
//! Layout: [`routes`] (one module per resource) use [`auth`] extractors and return
//! [`problem::ApiError`]; [`server::create_app`] wires them with [`middleware`];
//! [`cli`] is the binary's entry point.

pub mod alerts;
pub mod auth;
pub mod bench;
pub mod cli;
pub mod cors;
pub mod demo;
pub mod events;
pub mod expiry;
pub mod extract;
pub mod import;
pub mod indexer;
pub mod interest_flow;
pub mod interest_views;
pub mod listing_views;
pub mod logging;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod problem;
pub mod request_limits;
pub mod routes;
pub mod server;
pub mod settings;
pub mod state;
pub mod stats_views;
pub mod views;
pub mod vocabularies;
pub mod webhooks;
pub mod workflow;
