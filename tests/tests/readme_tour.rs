//! The README's quick tour is a script: run it, as written, against `techex demo`,
//! so the commands a newcomer copies keep working.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step is a failed test"
)]

use std::process::Command;

use techex_e2e::{Server, TestDatabase};

/// The bash block under "A quick tour on the demo exchange".
fn tour() -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let section = readme
        .split_once("### A quick tour on the demo exchange")
        .expect("the README has a quick tour")
        .1;
    let script = section.split_once("```bash\n").unwrap().1;
    script.split_once("```").unwrap().0.to_owned()
}

#[test]
fn the_readme_tour_runs_against_the_demo() {
    let missing: Vec<&str> = ["bash", "curl", "jq"]
        .into_iter()
        .filter(|tool| {
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .map(|o| !o.status.success())
                .unwrap_or(true)
        })
        .collect();
    if !missing.is_empty() {
        eprintln!("SKIPPED the_readme_tour_runs_against_the_demo: {missing:?} not installed");
        return;
    }
    let db = TestDatabase::sqlite();
    let server = Server::start_demo(&db);
    // A newcomer reads the README first: by then the demo listings are searchable.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while server.get("/readyz").send().body["index_lag"] != 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the demo was not indexed in 60 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // … and the match alerts for the demo listings have gone out.
    let institute = server.login_with("institute@demo.techex.vn", "demo-password-2026");
    while !server
        .get("/api/v1/notifications?per_page=100")
        .bearer(&institute)
        .send()
        .text
        .contains("match.found")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no match alert in 60 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let output = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &tour()])
        .env("B", server.url("/api/v1"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the tour failed: {stderr}\n{stdout}"
    );
    assert!(
        !stdout.contains("urn:techex:problem"),
        "a step of the tour failed:\n{stdout}"
    );
    for expected in [
        "\"state\": \"accepted\"",
        "\"email\": \"institute@demo.techex.vn\"",
        "\"state\": \"concluded\"",
        "\"transfer_value\": 850000000",
        "\"verified\": true",
        "\"status\": \"published\"",
        "\"brokered\": true",
        "match.found",
        "interest.created",
        "\"VND\": 850000000",
        "\"concluded_transfers\": 1",
        "section,key,subkey,value",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected} missing from the tour's output:\n{stdout}"
        );
    }
}
