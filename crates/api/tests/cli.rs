//! The `techex` command line, run as a process.

use std::process::Command;

fn techex(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_techex"));
    for (name, _) in std::env::vars() {
        if name.starts_with("TECHEX_") || name == "DATABASE_URL" {
            command.env_remove(name);
        }
    }
    command
        .env("TECHEX_DATA_DIR", data_dir)
        .env("TECHEX_LOG", "warn");
    command
}

#[test]
fn help_lists_the_commands_and_global_options() {
    let dir = tempfile::tempdir().unwrap();
    let output = techex(dir.path()).arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for word in [
        "serve",
        "migrate",
        "create-operator",
        "--data-dir",
        "--bind",
        "--config",
    ] {
        assert!(
            help.contains(word),
            "--help does not mention {word}:\n{help}"
        );
    }
}

#[test]
fn migrate_creates_the_sqlite_database_in_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let first = techex(dir.path()).arg("migrate").output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains("applied"));
    assert!(dir.path().join("techex.db").exists());
    let second = techex(dir.path()).arg("migrate").output().unwrap();
    assert!(String::from_utf8_lossy(&second.stdout).contains("up to date"));
}

#[test]
fn create_operator_needs_a_password_from_a_file_or_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let missing = techex(dir.path())
        .args(["create-operator", "--email", "op@x.vn"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("TECHEX_OPERATOR_PASSWORD"));

    let short = techex(dir.path())
        .args(["create-operator", "--email", "op@x.vn"])
        .env("TECHEX_OPERATOR_PASSWORD", "short")
        .output()
        .unwrap();
    assert!(!short.status.success(), "a short password is refused");

    let file = dir.path().join("password");
    std::fs::write(&file, "a long enough password\n").unwrap();
    let created = techex(dir.path())
        .args(["create-operator", "--email", "Op@X.vn", "--password-file"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(String::from_utf8_lossy(&created.stdout).contains("operator op@x.vn"));

    let again = techex(dir.path())
        .args(["create-operator", "--email", "op@x.vn", "--password-file"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[test]
fn a_bad_database_url_is_refused_before_anything_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let output = techex(dir.path())
        .arg("migrate")
        .env("DATABASE_URL", "mysql://db/techex")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unsupported database URL scheme"));
    assert!(!dir.path().join("techex.db").exists());
}

/// A small `techex bench` end to end: a corpus stored, indexed, searched and
/// matched in-process and through the real server. The bench fails when any HTTP
/// request does, so a fast error can never pass for a fast search.
#[test]
fn bench_measures_search_and_matches_through_the_real_server() {
    let dir = tempfile::tempdir().unwrap();
    let output = techex(dir.path())
        .args([
            "bench",
            "--listings",
            "300",
            "--queries",
            "20",
            "--clients",
            "2",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["listings"], 300);
    for phase in [
        "search_in_process",
        "search_in_process_concurrent",
        "match_in_process",
        "match_in_process_concurrent",
        "search_http",
        "match_http",
    ] {
        let latency = &report[phase];
        let p50 = latency["p50_ms"].as_f64().unwrap();
        let p99 = latency["p99_ms"].as_f64().unwrap();
        assert!(p50 > 0.0 && p50 <= p99, "{phase}: {latency}");
        assert!(
            latency["throughput_per_s"].as_f64().unwrap() > 0.0,
            "{phase}"
        );
    }
    let matches = report["mean_matches_per_search"].as_f64().unwrap();
    assert!(matches > 0.0 && matches < 300.0, "{matches}");
    assert!(report["corpus_distinct_words"].as_u64().unwrap() > 500);
    assert!(report["peak_rss_mb"].as_f64().unwrap() > 0.0);
}
