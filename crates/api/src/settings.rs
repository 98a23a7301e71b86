//! Configuration: embedded defaults (`config/default.toml`) < `--config FILE` <
//! environment variables < command-line flags. Read once at start-up and passed
//! down; nothing reads the environment later.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use serde::Deserialize;
use techex_matching::glossary::Glossary;
use techex_store::DatabaseUrl;

const DEFAULTS: &str = include_str!("../../../config/default.toml");

/// Environment variable → configuration key. The README's configuration table
/// mirrors this list.
pub const ENV_OVERRIDES: &[(&str, &str)] = &[
    ("TECHEX_BIND", "server.bind"),
    ("TECHEX_DATA_DIR", "server.data_dir"),
    ("TECHEX_ENV", "server.environment"),
    ("TECHEX_JSON_BODY_LIMIT", "server.json_body_limit"),
    ("TECHEX_IMPORT_BODY_LIMIT", "server.import_body_limit"),
    ("TECHEX_WORKERS", "server.workers"),
    ("TECHEX_TRUST_PROXY_HEADERS", "server.trust_proxy_headers"),
    ("DATABASE_URL", "database.url"),
    ("TECHEX_DB_POOL_SIZE", "database.pool_size"),
    ("TECHEX_DB_BUSY_TIMEOUT_MS", "database.busy_timeout_ms"),
    (
        "TECHEX_DB_CONNECT_TIMEOUT_MS",
        "database.connect_timeout_ms",
    ),
    ("TECHEX_JWT_SECRET", "auth.jwt_secret"),
    ("TECHEX_JWT_ISSUER", "auth.issuer"),
    ("TECHEX_JWT_AUDIENCE", "auth.audience"),
    ("TECHEX_ACCESS_TOKEN_TTL_SECS", "auth.access_token_ttl_secs"),
    ("TECHEX_JWT_LEEWAY_SECS", "auth.leeway_secs"),
    ("TECHEX_MAX_CONCURRENT_HASHES", "auth.max_concurrent_hashes"),
    (
        "TECHEX_LOGIN_PER_ADDRESS_PER_MINUTE",
        "login_throttle.per_address_per_minute",
    ),
    (
        "TECHEX_LOGIN_PER_ACCOUNT_FAILURES",
        "login_throttle.per_account_failures",
    ),
    (
        "TECHEX_LOGIN_PER_ACCOUNT_FAILURES_ALL_ADDRESSES",
        "login_throttle.per_account_failures_all_addresses",
    ),
    (
        "TECHEX_LOGIN_PER_ACCOUNT_WINDOW_SECS",
        "login_throttle.per_account_window_secs",
    ),
    ("TECHEX_EXPIRY_SWEEP_SECS", "listings.expiry_sweep_secs"),
    ("TECHEX_INDEX_POLL_MS", "listings.index_poll_ms"),
    ("TECHEX_INTEREST_DAILY_QUOTA", "interests.daily_quota"),
    (
        "TECHEX_MATCH_ALERT_MIN_SCORE",
        "notifications.match_alert_min_score",
    ),
    (
        "TECHEX_EXPIRY_WARNING_DAYS",
        "notifications.expiry_warning_days",
    ),
    ("TECHEX_WEBHOOK_ALLOW_PRIVATE", "webhooks.allow_private"),
    ("TECHEX_WEBHOOK_MAX_ATTEMPTS", "webhooks.max_attempts"),
    ("TECHEX_WEBHOOK_RETRY_BASE_SECS", "webhooks.retry_base_secs"),
    ("TECHEX_WEBHOOK_TIMEOUT_SECS", "webhooks.timeout_secs"),
    ("TECHEX_WEBHOOK_POLL_MS", "webhooks.poll_ms"),
    ("TECHEX_GLOSSARY_FILE", "glossary.file"),
    ("TECHEX_CORS_ORIGINS", "server.cors_origins"),
    ("TECHEX_LOG_FORMAT", "log.format"),
    ("TECHEX_LOG", "log.level"),
];

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub login_throttle: LoginThrottleSettings,
    pub listings: ListingSettings,
    pub matching: techex_matching::MatchWeights,
    pub glossary: GlossarySettings,
    pub interests: InterestSettings,
    pub notifications: NotificationSettings,
    pub webhooks: WebhookSettings,
    pub log: LogSettings,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlossarySettings {
    /// An exchange's own Vietnamese–English pairs, added to the shipped glossary;
    /// empty for none.
    pub file: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterestSettings {
    /// New interests an organisation may express per UTC day.
    pub daily_quota: u32,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettings {
    /// A match scoring at least this alerts the other listing's organisation.
    pub match_alert_min_score: f32,
    /// Matches considered for alerts per published listing.
    pub match_alert_limit: usize,
    /// How many days ahead an owner is warned of expiry.
    pub expiry_warning_days: u32,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// Hosts, addresses or networks (CIDR) that webhooks may reach although they are
    /// loopback or private, and over plain HTTP.
    pub allow_private: Vec<String>,
    pub max_attempts: u32,
    pub retry_base_secs: u64,
    pub timeout_secs: u64,
    pub poll_ms: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListingSettings {
    pub expiry_sweep_secs: u64,
    pub index_poll_ms: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: String,
    pub data_dir: PathBuf,
    pub environment: Environment,
    pub json_body_limit: usize,
    pub import_body_limit: usize,
    pub workers: usize,
    pub trust_proxy_headers: bool,
    /// Origins whose pages may read the API's answers (`crate::cors`).
    pub cors_origins: Vec<String>,
}

impl ServerSettings {
    /// The body limit of a listing's creation and edit: `json_body_limit` plus room
    /// for the most text a valid listing holds, written the longest way a client
    /// may send it — decomposed (NFD: up to 4 code points per character) with every
    /// code point escaped (`\uXXXX`, 6 bytes; Python's `json.dumps` does this by
    /// default). About 600 KiB with the defaults.
    pub fn listing_body_limit(&self) -> usize {
        const BYTES_PER_CHARACTER: usize = 4 * 6;
        self.json_body_limit
            .saturating_add(techex_domain::listing::content::MAX_TEXT_CHARS * BYTES_PER_CHARACTER)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
    pub pool_size: u32,
    pub busy_timeout_ms: u64,
    pub connect_timeout_ms: u64,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub jwt_secret: String,
    pub issuer: String,
    pub audience: String,
    pub access_token_ttl_secs: u64,
    pub leeway_secs: u64,
    pub max_concurrent_hashes: usize,
}

/// Never prints the secret.
impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSettings")
            .field(
                "jwt_secret",
                &if self.jwt_secret.is_empty() {
                    "(generated)"
                } else {
                    "(set)"
                },
            )
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("access_token_ttl_secs", &self.access_token_ttl_secs)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginThrottleSettings {
    pub per_address_per_minute: u32,
    /// Per account and client address.
    pub per_account_failures: u32,
    /// Per account, from every address.
    pub per_account_failures_all_addresses: u32,
    pub per_account_window_secs: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Values given on the command line, applied last.
#[derive(Clone, Debug, Default)]
pub struct CliOverrides {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub bind: Option<String>,
}

impl Settings {
    /// Loads the layered configuration from the process environment.
    pub fn load(cli: &CliOverrides) -> anyhow::Result<Self> {
        Self::load_from(cli, |name| std::env::var(name).ok())
    }

    /// Loads with an explicit environment, so tests need not touch the process's.
    pub fn load_from(
        cli: &CliOverrides,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        let mut config: toml::Table = DEFAULTS.parse().context("embedded config/default.toml")?;
        if let Some(path) = &cli.config_file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read config file {}", path.display()))?;
            let file: toml::Table = text
                .parse()
                .with_context(|| format!("config file {} is not valid TOML", path.display()))?;
            merge(&mut config, file);
        }
        for (variable, key) in ENV_OVERRIDES {
            if let Some(value) = env(variable) {
                set_key(&mut config, key, &value)
                    .with_context(|| format!("environment variable {variable}"))?;
            }
        }
        if let Some(dir) = &cli.data_dir {
            set_key(&mut config, "server.data_dir", &dir.to_string_lossy())?;
        }
        if let Some(bind) = &cli.bind {
            set_key(&mut config, "server.bind", bind)?;
        }
        let settings: Settings = toml::Value::Table(config)
            .try_into()
            .context("invalid configuration")?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> anyhow::Result<()> {
        self.bind_addr()?;
        self.database_url()?;
        if self.server.json_body_limit < 1024 {
            bail!("server.json_body_limit must be at least 1024 bytes");
        }
        if self.auth.access_token_ttl_secs < 60 || self.auth.access_token_ttl_secs > 86_400 {
            bail!("auth.access_token_ttl_secs must be between 60 and 86400");
        }
        if self.auth.max_concurrent_hashes == 0 {
            bail!("auth.max_concurrent_hashes must be at least 1");
        }
        if self.login_throttle.per_address_per_minute == 0
            || self.login_throttle.per_account_failures == 0
            || self.login_throttle.per_account_failures_all_addresses == 0
        {
            bail!("login_throttle limits must be at least 1");
        }
        // Below the per-address limit, one address would lock the account everywhere.
        if self.login_throttle.per_account_failures_all_addresses
            < self.login_throttle.per_account_failures
        {
            bail!(
                "login_throttle.per_account_failures_all_addresses must be at least per_account_failures"
            );
        }
        if !(0.0..=1.0).contains(&self.notifications.match_alert_min_score) {
            bail!("notifications.match_alert_min_score must be between 0 and 1");
        }
        if !(1..=365).contains(&self.notifications.expiry_warning_days) {
            bail!("notifications.expiry_warning_days must be from 1 to 365");
        }
        if !(1..=100).contains(&self.notifications.match_alert_limit) {
            bail!("notifications.match_alert_limit must be from 1 to 100");
        }
        if self.webhooks.max_attempts == 0 || self.webhooks.timeout_secs == 0 {
            bail!("webhooks.max_attempts and webhooks.timeout_secs must be at least 1");
        }
        crate::webhooks::address::AddressPolicy::new(&self.webhooks.allow_private)
            .map_err(|e| anyhow::anyhow!(e))?;
        crate::cors::check_origins(&self.server.cors_origins)
            .map_err(|e| anyhow::anyhow!("server.cors_origins: {e}"))?;
        Ok(())
    }

    pub fn bind_addr(&self) -> anyhow::Result<SocketAddr> {
        self.server.bind.parse().with_context(|| {
            format!(
                "server.bind '{}' is not an address such as 127.0.0.1:8080",
                self.server.bind
            )
        })
    }

    /// `database.url`, or the SQLite file in the data directory when it is empty.
    pub fn database_url(&self) -> anyhow::Result<DatabaseUrl> {
        if self.database.url.trim().is_empty() {
            return Ok(DatabaseUrl::Sqlite(self.server.data_dir.join("techex.db")));
        }
        DatabaseUrl::parse(&self.database.url).map_err(|e| anyhow::anyhow!("database.url: {e}"))
    }

    /// The glossary searches and matches translate with: the shipped one, and the
    /// pairs of `glossary.file` when it is set, every line checked.
    pub fn glossary(&self) -> anyhow::Result<Arc<Glossary>> {
        let path = self.glossary.file.trim();
        if path.is_empty() {
            return Ok(Glossary::builtin());
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read glossary.file {path}"))?;
        let glossary =
            Glossary::builtin_and(&text).with_context(|| format!("glossary.file {path}"))?;
        Ok(Arc::new(glossary))
    }

    /// Where the search index lives.
    pub fn index_dir(&self) -> PathBuf {
        self.server.data_dir.join("index")
    }

    pub fn data_dir(&self) -> &Path {
        &self.server.data_dir
    }

    pub fn is_production(&self) -> bool {
        self.server.environment == Environment::Production
    }
}

fn merge(base: &mut toml::Table, overlay: toml::Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(base_table)), toml::Value::Table(overlay_table)) => {
                merge(base_table, overlay_table);
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Sets `section.key` from text, typed like the default it replaces.
fn set_key(config: &mut toml::Table, dotted: &str, raw: &str) -> anyhow::Result<()> {
    let (section, key) = dotted.split_once('.').context("keys are section.key")?;
    let table = config
        .get_mut(section)
        .and_then(toml::Value::as_table_mut)
        .with_context(|| format!("no section [{section}]"))?;
    let value = match table.get(key) {
        Some(toml::Value::Integer(_)) => toml::Value::Integer(
            raw.trim()
                .parse()
                .with_context(|| format!("{dotted} must be a whole number, got '{raw}'"))?,
        ),
        Some(toml::Value::Array(_)) => toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| toml::Value::String(item.to_owned()))
                .collect(),
        ),
        Some(toml::Value::Float(_)) => toml::Value::Float(
            raw.trim()
                .parse()
                .with_context(|| format!("{dotted} must be a number, got '{raw}'"))?,
        ),
        Some(toml::Value::Boolean(_)) => toml::Value::Boolean(
            raw.trim()
                .parse()
                .with_context(|| format!("{dotted} must be true or false, got '{raw}'"))?,
        ),
        _ => toml::Value::String(raw.to_owned()),
    };
    table.insert(key.to_owned(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn load(env: &[(&str, &str)], cli: CliOverrides) -> anyhow::Result<Settings> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::load_from(&cli, |name| env.get(name).cloned())
    }

    #[test]
    fn defaults_serve_sqlite_in_the_data_dir() {
        let settings = load(&[], CliOverrides::default()).unwrap();
        assert_eq!(settings.server.bind, "127.0.0.1:8080");
        assert_eq!(
            settings.database_url().unwrap(),
            DatabaseUrl::Sqlite("./data/techex.db".into())
        );
        assert_eq!(settings.server.json_body_limit, 65536);
        assert_eq!(
            settings.server.listing_body_limit(),
            619_936,
            "the figure docs/api.md gives"
        );
        assert!(!settings.is_production());
    }

    #[test]
    fn environment_overrides_defaults_and_flags_override_environment() {
        let settings = load(
            &[
                ("TECHEX_BIND", "0.0.0.0:9000"),
                ("TECHEX_DATA_DIR", "/env/dir"),
                ("TECHEX_JSON_BODY_LIMIT", "2048"),
                ("DATABASE_URL", "postgres://db/techex"),
                ("TECHEX_ENV", "production"),
            ],
            CliOverrides {
                data_dir: Some("/flag/dir".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(settings.server.bind, "0.0.0.0:9000");
        assert_eq!(settings.data_dir(), Path::new("/flag/dir"));
        assert_eq!(settings.server.json_body_limit, 2048);
        assert_eq!(
            settings.database_url().unwrap(),
            DatabaseUrl::Postgres("postgres://db/techex".into())
        );
        assert!(settings.is_production());
    }

    #[test]
    fn cors_origins_come_comma_separated_and_are_checked() {
        let settings = load(&[], CliOverrides::default()).unwrap();
        assert!(
            settings.server.cors_origins.is_empty(),
            "same-origin only by default"
        );
        let settings = load(
            &[(
                "TECHEX_CORS_ORIGINS",
                "https://portal.example.vn, http://localhost:5173",
            )],
            CliOverrides::default(),
        )
        .unwrap();
        assert_eq!(
            settings.server.cors_origins,
            ["https://portal.example.vn", "http://localhost:5173"]
        );
        for bad in [
            "https://portal.example.vn/",
            "portal.example.vn",
            "*, https://a.vn",
        ] {
            let error = load(&[("TECHEX_CORS_ORIGINS", bad)], CliOverrides::default())
                .expect_err(bad)
                .to_string();
            assert!(error.contains("server.cors_origins"), "{bad}: {error}");
        }
    }

    #[test]
    fn bad_values_are_refused_with_their_name() {
        let error = load(&[("TECHEX_DB_POOL_SIZE", "many")], CliOverrides::default()).unwrap_err();
        assert!(
            format!("{error:#}").contains("TECHEX_DB_POOL_SIZE"),
            "{error:#}"
        );
        assert!(load(&[("TECHEX_BIND", "localhost")], CliOverrides::default()).is_err());
        assert!(load(&[("DATABASE_URL", "mysql://x/y")], CliOverrides::default()).is_err());
        assert!(load(&[("TECHEX_ENV", "staging")], CliOverrides::default()).is_err());
        let below_one_address = [("TECHEX_LOGIN_PER_ACCOUNT_FAILURES_ALL_ADDRESSES", "4")];
        let error = load(&below_one_address, CliOverrides::default()).unwrap_err();
        assert!(
            format!("{error:#}").contains("per_account_failures_all_addresses"),
            "{error:#}"
        );
    }

    #[test]
    fn a_config_file_overrides_defaults_and_rejects_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("techex.toml");
        std::fs::write(&path, "[server]\nworkers = 3\n").unwrap();
        let cli = CliOverrides {
            config_file: Some(path.clone()),
            ..Default::default()
        };
        assert_eq!(load(&[], cli.clone()).unwrap().server.workers, 3);
        std::fs::write(&path, "[server]\nwokers = 3\n").unwrap();
        assert!(load(&[], cli).is_err());
    }
}
