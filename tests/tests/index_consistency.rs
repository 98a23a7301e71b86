//! The search index follows the database through crashes and across replicas.

#![expect(clippy::unwrap_used, reason = "a failed step is a failed test")]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::json;
use techex_e2e::{Server, TestDatabase, listing_body};

const FAST_INDEX: (&str, &str) = ("TECHEX_INDEX_POLL_MS", "50");

/// Every id, page by page, from a paginated listing route.
fn all_ids(server: &Server, path: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for page in 1.. {
        let separator = if path.contains('?') { '&' } else { '?' };
        let reply = server
            .get(&format!("{path}{separator}per_page=100&page={page}"))
            .send();
        assert_eq!(reply.status, 200, "{}", reply.text);
        let items = reply.body["items"].as_array().unwrap();
        ids.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
        if items.len() < 100 {
            return ids;
        }
    }
    ids
}

fn wait_for_index(server: &Server) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.get("/readyz").send().body["index_lag"] != 0 {
        assert!(Instant::now() < deadline, "the index did not catch up");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn a_crash_during_a_bulk_import_loses_and_duplicates_nothing(db: &TestDatabase) {
    let server = Server::start_with(db, &[FAST_INDEX]);
    server.create_operator("op@techmart.vn");
    let org = server.register(
        "lan@iet.ac.vn",
        "Viện Công nghệ Môi trường",
        "research_institute",
    );
    let org = org["organisation"]["id"].as_str().unwrap().to_owned();
    let operator = server.login("op@techmart.vn");
    let body: String = (0..400)
        .map(|n| {
            let mut line = listing_body("offer", &format!("Công nghệ số {n} xử lý chất thải"));
            line["owner_organisation_id"] = json!(org);
            line["external_ref"] = json!(format!("CRASH-{n:04}"));
            format!("{line}\n")
        })
        .collect();
    let url = server.url("/api/v1/listings/import?publish=true");
    let import = std::thread::spawn(move || {
        let client = reqwest::blocking::Client::new();
        // The server dies mid-request: the error is expected.
        let _ = client
            .post(url)
            .bearer_auth(operator)
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send();
    });
    // Kill once some, but not all, listings are committed.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let published = server.get("/api/v1/listings?per_page=1").send().body["total"]
            .as_u64()
            .unwrap_or(0);
        if published >= 20 || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let data_dir = server.kill();
    import.join().unwrap();

    let server = Server::start_in(db, data_dir, &[FAST_INDEX]);
    wait_for_index(&server);
    let committed = all_ids(&server, "/api/v1/listings");
    assert!(
        !committed.is_empty() && committed.len() < 400,
        "the crash came mid-import ({} committed)",
        committed.len()
    );
    let indexed = all_ids(&server, "/api/v1/search?q=");
    let unique: BTreeSet<&String> = indexed.iter().collect();
    assert_eq!(unique.len(), indexed.len(), "no listing is indexed twice");
    assert_eq!(
        unique,
        committed.iter().collect::<BTreeSet<_>>(),
        "every committed listing is found, and nothing else"
    );
}

techex_store::on_both_backends!(a_crash_during_a_bulk_import_loses_and_duplicates_nothing);

/// Two replicas on one PostgreSQL database, each with its own index: a listing
/// approved through one is found through the other.
#[test]
fn replicas_share_listings_through_the_outbox() {
    let Some(db) = TestDatabase::postgres("replicas_share_listings_through_the_outbox") else {
        return;
    };
    let first = Server::start_with(&db, &[FAST_INDEX]);
    let second = Server::start_with(&db, &[FAST_INDEX]);
    first.create_operator("op@techmart.vn");
    first.register(
        "lan@iet.ac.vn",
        "Viện Công nghệ Môi trường",
        "research_institute",
    );
    let operator = first.login("op@techmart.vn");
    let member = second.login("lan@iet.ac.vn");
    let id = second.create_listing(
        &member,
        &listing_body("offer", "Cảm biến đo độ mặn cho ruộng lúa"),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let submitted = second.act(&member, &id, "submit", None);
    assert_eq!(submitted.status, 200);
    let approved_at = Instant::now();
    let version = json!({"version": submitted.body["version"]});
    assert_eq!(
        first.act(&operator, &id, "approve", Some(&version)).status,
        200
    );
    loop {
        let hits = second.get("/api/v1/search?q=cam+bien+do+man").send();
        if hits.body["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|h| h["id"] == id.as_str()))
        {
            break;
        }
        assert!(
            approved_at.elapsed() < Duration::from_secs(2),
            "not found through the other replica within 2 s"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}
