//! The command line: `techex [serve] | migrate | import FILE | create-operator`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use techex_domain::{
    AuditAction, Email, FullName, NewAuditEntry, NewOrganisation, NewUser, OrganisationInput,
    OrganisationKind, Password, Role, UserId,
};
use techex_store::repo::{audit, organisations, users};
use techex_store::store::write_transaction;

use crate::auth::passwords;
use crate::settings::{CliOverrides, Settings};
use crate::{logging, server};

#[derive(Parser)]
#[command(
    name = "techex",
    version,
    about = "Technology exchange: offers, needs, matching and transfers"
)]
struct Cli {
    /// Data directory: SQLite database, search index, generated secret [env: TECHEX_DATA_DIR] [default: ./data]
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Listen address; port 0 picks a free port [env: TECHEX_BIND] [default: 127.0.0.1:8080]
    #[arg(long, global = true, value_name = "ADDR")]
    bind: Option<String>,
    /// A TOML file overriding config/default.toml
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (the default)
    Serve,
    /// Apply pending database migrations and exit
    Migrate,
    /// Rebuild the search index from the database into a fresh directory and swap
    /// it in (run while the server is stopped)
    Reindex,
    /// Measure ranking quality on a labelled set in the BEIR layout (corpus.jsonl,
    /// queries.jsonl, qrels.tsv); prints nDCG@10, MAP@100 and recall@100 as JSON
    Eval {
        dir: PathBuf,
        /// Also print each query's scores
        #[arg(long)]
        per_query: bool,
    },
    /// Benchmark indexing, search and matching on a generated bilingual corpus, in
    /// process and through HTTP (in a temporary directory; prints JSON)
    Bench {
        #[arg(long, default_value_t = 100_000)]
        listings: usize,
        #[arg(long, default_value_t = 2_000)]
        queries: usize,
        #[arg(long, default_value_t = 8)]
        clients: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Serve a demo exchange: the labelled set published, an account for each role
    /// (its own SQLite database under <data-dir>/demo)
    Demo,
    /// Import listings from a JSON Lines or JSON array file (`-` for standard input), as
    /// POST /api/v1/listings/import does, as the deployment's administrator: any
    /// organisation's listings load, the exchange's own included
    Import {
        file: PathBuf,
        /// Publish every imported listing (the data was vetted by its exchange)
        #[arg(long)]
        publish: bool,
    },
    /// Create an operator account (the password comes from --password-file or
    /// TECHEX_OPERATOR_PASSWORD, never from the command line)
    CreateOperator {
        #[arg(long)]
        email: String,
        /// A file whose first line is the password
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
        #[arg(long, default_value = "Exchange operator")]
        full_name: String,
        /// The exchange organisation the operator belongs to (created, verified, if new)
        #[arg(long, default_value = "Technology exchange")]
        organisation: String,
        /// operator, or admin (who may also manage operators)
        #[arg(long, default_value = "operator")]
        role: String,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = CliOverrides {
        config_file: cli.config.clone(),
        data_dir: cli.data_dir.clone(),
        bind: cli.bind.clone(),
    };
    let settings = match Settings::load(&overrides) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("techex: configuration error: {error:#}");
            return ExitCode::from(2);
        }
    };
    let mut log = settings.log.clone();
    if matches!(cli.command, Some(Command::Bench { .. })) {
        // The benchmark's server would otherwise log every one of its requests.
        log.level = "warn".into();
    }
    logging::init(&log);
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings),
        Command::Migrate => migrate(&settings),
        Command::Reindex => reindex(&settings),
        Command::Demo => demo(settings),
        Command::Bench {
            listings,
            queries,
            clients,
            seed,
        } => crate::bench::run(&crate::bench::BenchOptions {
            listings,
            queries,
            clients: clients.max(1),
            seed,
        }),
        Command::Eval { dir, per_query } => eval(&settings, &dir, per_query),
        Command::Import { file, publish } => import(&settings, &file, publish),
        Command::CreateOperator {
            email,
            password_file,
            full_name,
            organisation,
            role,
        } => create_operator(
            &settings,
            &email,
            password_file.as_deref(),
            &full_name,
            &organisation,
            &role,
        ),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("techex: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    let state = server::prepare(settings)?;
    actix_web::rt::System::new().block_on(server::serve(state))
}

fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let store = server::open_store(settings)?;
    let applied = store.migrate()?;
    if applied.is_empty() {
        println!("the database is up to date");
    }
    for name in applied {
        println!("applied {name}");
    }
    Ok(())
}

fn demo(settings: Settings) -> anyhow::Result<()> {
    let settings = crate::demo::settings(settings);
    std::fs::create_dir_all(settings.data_dir())?;
    let store = server::open_store(&settings)?;
    store.migrate()?;
    let accounts = crate::demo::load(&store)?;
    let state = server::prepare(settings)?;
    println!(
        "Demo exchange: 160 offers and 45 needs published. Accounts (password {}):",
        crate::demo::DEMO_PASSWORD
    );
    for account in &accounts {
        println!(
            "  {:<28} {:<28} {}",
            account.role, account.email, account.organisation
        );
    }
    println!(
        "Try: GET /api/v1/search?q=xu+ly+nuoc+thai and, signed in as the enterprise, GET /api/v1/me/listings then /api/v1/listings/{{id}}/matches"
    );
    actix_web::rt::System::new().block_on(server::serve(state))
}

fn eval(settings: &Settings, dir: &std::path::Path, per_query: bool) -> anyhow::Result<()> {
    use techex_matching::eval;

    let dataset = eval::Dataset::load(dir)?;
    let glossary = settings.glossary()?;
    let report = eval::evaluate(&dataset, &settings.matching, &glossary)?;
    let mut json = serde_json::to_value(&report)?;
    if per_query {
        json["per_query"] = serde_json::to_value(&report.per_query.matches)?;
        json["search_per_query"] = serde_json::to_value(&report.per_query.search)?;
    }
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}

fn reindex(settings: &Settings) -> anyhow::Result<()> {
    use std::io::{IsTerminal, Write};

    let store = server::open_store(settings)?;
    store.migrate()?;
    let started = std::time::Instant::now();
    let terminal = std::io::stderr().is_terminal();
    let count = crate::indexer::rebuild(&store, &settings.index_dir(), |done, total| {
        if terminal {
            eprint!("\rindexed {done}/{total} listings");
            let _ = std::io::stderr().flush();
        }
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    if terminal {
        eprintln!();
    }
    println!(
        "reindexed {count} published listings in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn import(settings: &Settings, file: &std::path::Path, publish: bool) -> anyhow::Result<()> {
    use std::io::{IsTerminal, Read, Write};

    let mut text = String::new();
    if file.as_os_str() == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read standard input")?;
    } else {
        text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
    }
    let store = server::open_store(settings)?;
    store.migrate()?;
    let options = crate::import::ImportOptions {
        publish,
        actor: None,
        client_ip: None,
    };
    let terminal = std::io::stderr().is_terminal();
    let report = crate::import::import(&store, &text, &options, |done, total| {
        // A progress line on a terminal, redrawn in place; nothing in a pipe or log.
        if terminal && (done == total || done % 25 == 0) {
            let width = 30;
            let filled = (done * width).checked_div(total).unwrap_or(width);
            eprint!(
                "\r[{}{}] {done}/{total} lines",
                "#".repeat(filled),
                " ".repeat(width - filled)
            );
            let _ = std::io::stderr().flush();
            if done == total {
                eprintln!();
            }
        }
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "imported: {} created, {} updated, {} unchanged, {} failed",
        report.created, report.updated, report.unchanged, report.failed
    );
    for error in &report.errors {
        let problems: Vec<String> = error
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        println!("line {}: {}", error.line, problems.join("; "));
    }
    if report.failed > 0 {
        bail!("{} listing(s) were not imported", report.failed);
    }
    Ok(())
}

fn create_operator(
    settings: &Settings,
    email: &str,
    password_file: Option<&std::path::Path>,
    full_name: &str,
    organisation_name: &str,
    role: &str,
) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("--email {e}"))?;
    let full_name = FullName::parse(full_name).map_err(|e| anyhow::anyhow!("--full-name {e}"))?;
    let role: Role = role.parse().map_err(|e| anyhow::anyhow!("--role {e}"))?;
    if !role.is_operator() {
        bail!("--role must be operator or admin");
    }
    let raw_password = match password_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned(),
        None => std::env::var("TECHEX_OPERATOR_PASSWORD")
            .context("give the password with --password-file FILE or TECHEX_OPERATOR_PASSWORD")?,
    };
    let password =
        Password::parse(&raw_password).map_err(|e| anyhow::anyhow!("the password {e}"))?;
    let organisation = NewOrganisation::parse(OrganisationInput {
        name: Some(organisation_name),
        kind: Some(OrganisationKind::Exchange.as_str()),
        ..Default::default()
    })
    .map_err(|e| anyhow::anyhow!("--organisation {e}"))?;

    std::fs::create_dir_all(settings.data_dir())
        .with_context(|| format!("cannot create {}", settings.data_dir().display()))?;
    let store = server::open_store(settings)?;
    store.migrate()?;
    let password_hash = passwords::hash_blocking(&password)?;
    let user = store.run(|conn| {
        write_transaction(conn, |conn| {
            if users::exists_with_email(conn, &email)? {
                return Ok(None);
            }
            let organisation = match organisations::find_by_name(
                conn,
                &organisation.name,
                Some(OrganisationKind::Exchange),
            )? {
                Some(existing) => existing,
                None => organisations::insert(conn, &organisation, true)?,
            };
            let user = users::insert(
                conn,
                &NewUser {
                    id: UserId::new(),
                    email: email.clone(),
                    password_hash,
                    full_name,
                    role,
                    organisation_id: organisation.id,
                },
            )?;
            audit::append(
                conn,
                &NewAuditEntry::new(AuditAction::OperatorCreated)
                    .object("user", user.id)
                    .detail(format!(
                        "{role} {} created from the command line",
                        user.email
                    )),
            )?;
            Ok(Some((user, organisation)))
        })
    })?;
    let Some((user, organisation)) = user else {
        bail!("an account with e-mail {email} already exists");
    };
    println!(
        "created {} {} in {} ({})",
        user.role, user.email, organisation.name, organisation.id
    );
    Ok(())
}
