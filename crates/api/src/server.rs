//! Building and running the HTTP server. [`create_app`] is used by `main` and by
//! tests alike, so what is tested is what runs.

use std::net::SocketAddr;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use techex_store::repo::users;
use techex_store::{Store, StoreOptions};
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::passwords::Passwords;
use crate::auth::secret;
use crate::auth::throttle::LoginThrottle;
use crate::auth::tokens::TokenService;
use crate::extract::BodyLimit;
use crate::metrics::Metrics;
use crate::problem::ApiError;
use crate::settings::Settings;
use crate::state::AppState;
use crate::{cors, middleware, openapi, routes};

/// Opens the store (running migrations) and builds the shared state.
pub fn prepare(settings: Settings) -> anyhow::Result<AppState> {
    // A mistake in the exchange's glossary stops the start before anything is touched.
    let glossary = settings.glossary()?;
    std::fs::create_dir_all(settings.data_dir()).with_context(|| {
        format!(
            "cannot create the data directory {}",
            settings.data_dir().display()
        )
    })?;
    let jwt_secret = secret::resolve(&settings)?;
    let store = open_store(&settings)?;
    let applied = store.migrate().context("running database migrations")?;
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, "applied database migrations");
    }
    let index_dir = settings.index_dir();
    let index = techex_matching::ListingIndex::open_or_create(&index_dir)
        .with_context(|| format!("cannot open the search index in {}", index_dir.display()))?
        .with_glossary(glossary);
    Ok(AppState {
        index: std::sync::Arc::new(index),
        index_caught_up: Default::default(),
        tokens: TokenService::new(&jwt_secret, &settings.auth),
        passwords: Passwords::new(settings.auth.max_concurrent_hashes)?,
        throttle: LoginThrottle::new(&settings.login_throttle),
        metrics: Metrics::default(),
        store,
        settings,
    })
}

pub fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let url = settings.database_url()?;
    let options = StoreOptions {
        pool_size: settings.database.pool_size,
        busy_timeout: std::time::Duration::from_millis(settings.database.busy_timeout_ms),
        connect_timeout: std::time::Duration::from_millis(settings.database.connect_timeout_ms),
    };
    tracing::info!(database = %url, "opening the database");
    Store::open(&url, &options).with_context(|| format!("cannot open the database {url}"))
}

/// The application: routes, limits, error format and the observing middleware.
pub fn create_app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let server = &state.settings.server;
    let body_limit = server.json_body_limit;
    let cors = cors::middleware(&server.cors_origins);
    let limits = routes::BodyLimits {
        listing: server.listing_body_limit(),
        import: server.import_body_limit,
    };
    App::new()
        .app_data(state)
        .app_data(web::PayloadConfig::new(body_limit))
        .app_data(BodyLimit(body_limit))
        .configure(|cfg| routes::configure(cfg, limits))
        .service(SwaggerUi::new("/api/docs/{_:.*}").url("/api/openapi.json", openapi::document()))
        .default_service(web::to(|| async {
            Err::<actix_web::HttpResponse, _>(ApiError::NotFound("no such route".into()))
        }))
        // Inside `observe`, so that preflights are logged and counted and a refused
        // one is a problem like any other answer.
        .wrap(cors)
        .wrap(from_fn(middleware::observe))
}

/// Binds and runs until a shutdown signal. Prints the bound address first, since
/// with port 0 only the log tells which port was picked.
pub async fn serve(state: AppState) -> anyhow::Result<()> {
    let operators = {
        let store = state.store.clone();
        web::block(move || store.run(users::count_operators)).await??
    };
    let (server, addrs) = start(state).await?;
    for addr in &addrs {
        // A plain line on stdout: scripts and tests read the port from it.
        println!("techex listening on http://{addr}");
    }
    if operators == 0 {
        println!(
            "No operator account yet. Create the first one with:\n  \
             TECHEX_OPERATOR_PASSWORD='at least 10 characters' techex create-operator --email you@example.org"
        );
    }
    server
        .await
        .context("the HTTP server stopped with an error")
}

/// Starts the background work (indexer, expiry, webhook deliveries) and binds;
/// returns the running server and the addresses it listens on.
pub async fn start(state: AppState) -> anyhow::Result<(actix_web::dev::Server, Vec<SocketAddr>)> {
    let bind = state.settings.bind_addr()?;
    let workers = state.settings.server.workers;
    crate::indexer::spawn(
        state.store.clone(),
        state.index.clone(),
        state.index_caught_up.clone(),
        std::time::Duration::from_millis(state.settings.listings.index_poll_ms.max(10)),
    );
    crate::webhooks::worker::spawn(state.store.clone(), &state.settings.webhooks)
        .map_err(|e| anyhow::anyhow!(e))?;
    let state = web::Data::new(state);
    crate::expiry::spawn(
        state.clone(),
        std::time::Duration::from_secs(state.settings.listings.expiry_sweep_secs.max(1)),
    );
    crate::alerts::spawn(
        state.clone(),
        std::time::Duration::from_millis(state.settings.listings.index_poll_ms.max(10) * 2),
    );
    let mut server = HttpServer::new({
        let state = state.clone();
        move || create_app(state.clone())
    });
    if workers > 0 {
        server = server.workers(workers);
    }
    let server = server
        .bind(bind)
        .with_context(|| format!("cannot listen on {bind}"))?;
    let addrs: Vec<SocketAddr> = server.addrs();
    for addr in &addrs {
        tracing::info!(%addr, docs = %format!("http://{addr}/api/docs/"), "listening");
    }
    Ok((server.run(), addrs))
}
