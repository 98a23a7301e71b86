//! The HMAC secret that signs access tokens. There is no built-in secret: it is
//! configured, or generated once per data directory and kept there.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use rand::RngCore;

use crate::settings::Settings;

pub const MIN_SECRET_BYTES: usize = 32;
const SECRET_FILE: &str = "jwt-secret";

/// The configured secret; else, outside production, the one kept in the data
/// directory (created with mode 0600 on first start). Production refuses to start
/// without a configured secret: replicas must share one, and a secret that appears
/// by itself on a server is one nobody manages.
pub fn resolve(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    let configured = settings.auth.jwt_secret.as_bytes();
    if !configured.is_empty() {
        if configured.len() < MIN_SECRET_BYTES {
            bail!("auth.jwt_secret (TECHEX_JWT_SECRET) must be at least {MIN_SECRET_BYTES} bytes");
        }
        return Ok(configured.to_vec());
    }
    if settings.is_production() {
        bail!(
            "refusing to start in production without a JWT secret: set TECHEX_JWT_SECRET \
             (or auth.jwt_secret) to at least {MIN_SECRET_BYTES} random bytes"
        );
    }
    load_or_create(&settings.data_dir().join(SECRET_FILE))
}

fn load_or_create(path: &Path) -> anyhow::Result<Vec<u8>> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let fresh: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    match create_private(path) {
        Ok(mut file) => {
            file.write_all(fresh.as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("cannot write {}", path.display()))?;
            tracing::info!(path = %path.display(), "generated a new JWT secret");
            Ok(fresh.into_bytes())
        }
        // Another process (or an earlier start) created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let kept = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let kept = kept.trim();
            if kept.len() < MIN_SECRET_BYTES {
                bail!(
                    "{} holds fewer than {MIN_SECRET_BYTES} bytes; delete it to generate a new one",
                    path.display()
                );
            }
            Ok(kept.as_bytes().to_vec())
        }
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::CliOverrides;

    fn settings(dir: &Path, env: &'static [(&'static str, &'static str)]) -> Settings {
        let cli = CliOverrides {
            data_dir: Some(dir.to_owned()),
            ..Default::default()
        };
        Settings::load_from(&cli, |name| {
            env.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
        .unwrap()
    }

    #[test]
    fn generates_once_and_keeps_it_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = resolve(&settings(dir.path(), &[])).unwrap();
        let second = resolve(&settings(dir.path(), &[])).unwrap();
        assert_eq!(first, second, "the kept secret is reused");
        assert!(first.len() >= MIN_SECRET_BYTES);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SECRET_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn production_needs_a_configured_secret() {
        let dir = tempfile::tempdir().unwrap();
        let error = resolve(&settings(dir.path(), &[("TECHEX_ENV", "production")])).unwrap_err();
        assert!(error.to_string().contains("TECHEX_JWT_SECRET"));
        assert!(
            !dir.path().join(SECRET_FILE).exists(),
            "nothing is generated in production"
        );
        let short = resolve(&settings(
            dir.path(),
            &[("TECHEX_ENV", "production"), ("TECHEX_JWT_SECRET", "short")],
        ));
        assert!(short.is_err());
        let good = resolve(&settings(
            dir.path(),
            &[
                ("TECHEX_ENV", "production"),
                ("TECHEX_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            ],
        ));
        assert!(good.is_ok());
    }
}
