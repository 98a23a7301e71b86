//! HTTP routes, one module per resource. [`configure`] is the single route table; the
//! OpenAPI document ([`crate::openapi`]) lists the same handlers.

pub mod audit;
pub mod auth;
pub mod exchange_data;
pub mod filters;
pub mod health;
pub mod interests;
pub mod invitations;
pub mod listings;
pub mod me;
pub mod moderation;
pub mod notifications;
pub mod organisations;
pub mod search;
pub mod stats;
pub mod taxonomy;
pub mod users;
pub mod webhooks;

use actix_web::web;
use serde::Deserialize;
use techex_domain::ValidationErrors;
use techex_store::PageRequest;
use utoipa::IntoParams;

use crate::extract::BodyLimit;
use crate::problem::ApiError;

/// The routes whose bodies may exceed `server.json_body_limit`.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimits {
    /// A listing's creation and edit ([`crate::settings::ServerSettings::listing_body_limit`]).
    pub listing: usize,
    /// A bulk import.
    pub import: usize,
}

pub fn configure(cfg: &mut web::ServiceConfig, limits: BodyLimits) {
    // Every path is one `web::resource` with all its methods: actix then answers a
    // method the path does not take with 405 and an `Allow` header listing those it
    // does (`cfg.route` would make a resource per method, and a 404 for the others).
    // Load balancers probe with GET or HEAD (HEAD answers the same, without a body).
    let healthz = web::resource("/healthz")
        .route(web::get().to(health::healthz))
        .route(web::head().to(health::healthz));
    let readyz = web::resource("/readyz")
        .route(web::get().to(health::readyz))
        .route(web::head().to(health::readyz));
    cfg.service(healthz)
        .service(readyz)
        .service(web::resource("/metrics").route(web::get().to(health::metrics)))
        .service(
            web::scope("/api/v1")
                .service(web::resource("/auth/register").route(web::post().to(auth::register)))
                .service(web::resource("/auth/login").route(web::post().to(auth::login)))
                .service(web::resource("/auth/join").route(web::post().to(auth::join)))
                .service(
                    web::resource("/auth/reset-password")
                        .route(web::post().to(auth::reset_password)),
                )
                .service(
                    web::resource("/invitations")
                        .route(web::get().to(invitations::list))
                        .route(web::post().to(invitations::create)),
                )
                .service(
                    web::resource("/invitations/{id}").route(web::delete().to(invitations::revoke)),
                )
                .service(
                    web::resource("/me")
                        .route(web::get().to(me::me))
                        .route(web::patch().to(me::update)),
                )
                .service(web::resource("/me/password").route(web::post().to(me::change_password)))
                .service(web::resource("/organisations").route(web::get().to(organisations::list)))
                .service(
                    web::resource("/organisations/{id}")
                        .route(web::get().to(organisations::get))
                        .route(web::patch().to(organisations::update)),
                )
                .service(
                    web::resource("/organisations/{id}/members")
                        .route(web::get().to(organisations::members)),
                )
                .service(
                    web::resource("/organisations/{id}/verify")
                        .route(web::post().to(organisations::verify)),
                )
                .service(web::resource("/users").route(web::get().to(users::list)))
                .service(web::resource("/users/{id}/disable").route(web::post().to(users::disable)))
                .service(web::resource("/users/{id}/enable").route(web::post().to(users::enable)))
                .service(web::resource("/users/{id}/role").route(web::post().to(users::set_role)))
                .service(
                    web::resource("/users/{id}/password-reset")
                        .route(web::post().to(users::password_reset)),
                )
                .service(web::resource("/audit").route(web::get().to(audit::list)))
                .service(
                    BodyLimit::apply(web::resource("/listings"), limits.listing)
                        .route(web::get().to(listings::catalogue))
                        .route(web::post().to(listings::create)),
                )
                .service(
                    BodyLimit::apply(web::resource("/listings/import"), limits.import)
                        .route(web::post().to(exchange_data::import)),
                )
                .service(
                    web::resource("/listings/export").route(web::get().to(exchange_data::export)),
                )
                .service(
                    BodyLimit::apply(web::resource("/listings/{id}"), limits.listing)
                        .route(web::get().to(listings::get))
                        .route(web::patch().to(listings::patch))
                        .route(web::delete().to(listings::delete)),
                )
                .service(
                    web::resource("/listings/{id}/submit").route(web::post().to(listings::submit)),
                )
                .service(
                    web::resource("/listings/{id}/withdraw")
                        .route(web::post().to(listings::withdraw)),
                )
                .service(
                    web::resource("/listings/{id}/approve")
                        .route(web::post().to(listings::approve)),
                )
                .service(
                    web::resource("/listings/{id}/reject").route(web::post().to(listings::reject)),
                )
                .service(
                    web::resource("/listings/{id}/archive")
                        .route(web::post().to(listings::archive)),
                )
                .service(
                    web::resource("/listings/{id}/renew").route(web::post().to(listings::renew)),
                )
                .service(
                    web::resource("/listings/{id}/history").route(web::get().to(listings::history)),
                )
                .service(
                    web::resource("/listings/{id}/matches").route(web::get().to(search::matches)),
                )
                .service(
                    web::resource("/listings/{id}/interests")
                        .route(web::post().to(interests::express)),
                )
                .service(web::resource("/interests").route(web::get().to(interests::list)))
                .service(
                    web::resource("/interests/broker").route(web::post().to(interests::broker)),
                )
                .service(web::resource("/interests/{id}").route(web::get().to(interests::get)))
                .service(
                    web::resource("/interests/{id}/accept")
                        .route(web::post().to(interests::accept)),
                )
                .service(
                    web::resource("/interests/{id}/decline")
                        .route(web::post().to(interests::decline)),
                )
                .service(
                    web::resource("/interests/{id}/negotiate")
                        .route(web::post().to(interests::negotiate)),
                )
                .service(
                    web::resource("/interests/{id}/conclude")
                        .route(web::post().to(interests::conclude)),
                )
                .service(
                    web::resource("/interests/{id}/close").route(web::post().to(interests::close)),
                )
                .service(
                    web::resource("/interests/{id}/messages")
                        .route(web::get().to(interests::messages))
                        .route(web::post().to(interests::post_message)),
                )
                .service(
                    web::resource("/interests/{id}/notes")
                        .route(web::get().to(interests::notes))
                        .route(web::post().to(interests::add_note)),
                )
                .service(web::resource("/notifications").route(web::get().to(notifications::inbox)))
                .service(
                    web::resource("/notifications/read-all")
                        .route(web::post().to(notifications::mark_all_read)),
                )
                .service(
                    web::resource("/notifications/{id}/read")
                        .route(web::post().to(notifications::mark_read)),
                )
                .service(web::resource("/search").route(web::get().to(search::search)))
                .service(web::resource("/me/listings").route(web::get().to(listings::mine)))
                .service(web::resource("/moderation/queue").route(web::get().to(moderation::queue)))
                .service(web::resource("/taxonomy/sectors").route(web::get().to(taxonomy::sectors)))
                .service(
                    web::resource("/taxonomy/provinces").route(web::get().to(taxonomy::provinces)),
                )
                // Statistics. Literal paths only: `/stats.csv` and `/stats/public` are
                // not captured by any `{id}` pattern.
                .service(web::resource("/stats").route(web::get().to(stats::report)))
                .service(web::resource("/stats.csv").route(web::get().to(stats::report_csv)))
                .service(web::resource("/stats/public").route(web::get().to(stats::public)))
                // Webhooks.
                .service(
                    web::resource("/webhooks")
                        .route(web::get().to(webhooks::list))
                        .route(web::post().to(webhooks::create)),
                )
                .service(
                    web::resource("/webhooks/{id}")
                        .route(web::get().to(webhooks::get))
                        .route(web::delete().to(webhooks::delete)),
                )
                .service(
                    web::resource("/webhooks/{id}/deliveries")
                        .route(web::get().to(webhooks::deliveries)),
                ),
        );
}

/// A query parameter naming one value of a vocabulary (`status=published`):
/// absent is `None`, and a value outside it a 400 naming the parameter.
pub fn choice<T: std::str::FromStr<Err = String>>(
    parameter: &str,
    raw: Option<&str>,
) -> Result<Option<T>, ApiError> {
    raw.map(str::parse::<T>)
        .transpose()
        .map_err(|e| ApiError::validation(parameter, e))
}

/// A field a PATCH body may name but not change there: any value sent is refused
/// with a reason (see [`refuse_unchangeable`]) rather than ignored, so a client
/// never believes it changed.
pub type Unchangeable = Option<serde_json::Value>;

/// Names each field that was sent but cannot be changed, with the reason why.
pub fn refuse_unchangeable(errors: &mut ValidationErrors, fields: &[(&str, &Unchangeable, &str)]) {
    for (field, sent, reason) in fields {
        if sent.is_some() {
            errors.add(*field, *reason);
        }
    }
}

/// `page` and `per_page`, shared by every list.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct Paging {
    /// 1-based page number (default 1).
    pub page: Option<u32>,
    /// Items per page, 1–100 (default 20).
    pub per_page: Option<u32>,
}

impl Paging {
    pub fn request(&self) -> Result<PageRequest, ApiError> {
        PageRequest::new(self.page, self.per_page)
            .map_err(|(field, message)| ApiError::validation(field, message))
    }
}
