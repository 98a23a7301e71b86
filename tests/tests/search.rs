//! Search and matches through the real binary: the outbox feeds the index, text
//! typed without diacritics finds Vietnamese listings, and matches are explained.

#![expect(clippy::unwrap_used, reason = "a failed step is a failed test")]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use techex_e2e::{Exchange, Server, TestDatabase, listing_body};

fn exchange(db: &TestDatabase) -> Exchange {
    Exchange::start(db, &[("TECHEX_INDEX_POLL_MS", "50")])
}

/// Polls the search until `ids(result)` satisfies `done`, for at most 10 s.
fn search_until(server: &Server, query: &str, done: impl Fn(&[String]) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = server.get(&format!("/api/v1/search?{query}")).send();
        assert_eq!(reply.status, 200, "{}", reply.text);
        let ids: Vec<String> = reply.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_owned())
            .collect();
        if done(&ids) || Instant::now() > deadline {
            return reply.body;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn offer(title: &str, summary: &str, sectors: &[&str]) -> Value {
    let mut body = listing_body("offer", title);
    body["summary"] = json!(summary);
    body["sectors"] = json!(sectors);
    body
}

fn approved_listings_become_searchable_and_archived_ones_leave(db: &TestDatabase) {
    let x = exchange(db);
    let s = &x.server;
    let id = s.publish(
        &x.institute,
        &x.operator,
        &offer(
            "Công nghệ xử lý nước thải dệt nhuộm",
            "Keo tụ điện hóa giảm 90% COD và độ màu nước thải nhà máy nhuộm.",
            &["2.7"],
        ),
    );
    let other = s.publish(
        &x.institute,
        &x.operator,
        &offer(
            "Máy sấy nông sản bằng bơm nhiệt",
            "Sấy cà phê và hồ tiêu tiết kiệm 40% điện năng.",
            &["2.3"],
        ),
    );
    let found = search_until(s, "q=cong+nghe+xu+ly+nuoc+thai", |ids| {
        ids.first() == Some(&id)
    });
    assert_eq!(
        found["items"][0]["id"],
        id.as_str(),
        "typed without diacritics: {found}"
    );
    let snippet = found["items"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<b>"), "{snippet}");
    assert!(found["facets"]["kind"]["offer"].as_u64().unwrap() >= 1);
    assert_eq!(found["items"][0]["partial"], false, "{found}");
    assert!(found.get("partial_from").is_none(), "{found}");
    // No listing has three of these four words (`keo tụ`, `cà phê`); each has
    // two, and is listed as partial rather than not at all.
    let partial = search_until(s, "q=keo+t%E1%BB%A5+c%C3%A0+ph%C3%AA", |ids| ids.len() == 2);
    assert_eq!(partial["partial_from"], 0, "{partial}");
    assert_eq!(partial["total"], 2, "{partial}");
    assert!(
        partial["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["partial"] == true),
        "{partial}"
    );

    // A draft is never in the index.
    s.create_listing(
        &x.institute,
        &offer("Bản nháp về nước thải", "nước thải", &["2.7"]),
    );
    let browse = search_until(s, "kind=offer", |ids| ids.len() == 2);
    assert_eq!(browse["total"], 2);
    assert_eq!(browse["facets"]["sector"]["2"], 2, "{browse}");

    s.act(&x.institute, &id, "archive", None);
    let gone = search_until(s, "q=nuoc+thai+det+nhuom", |ids| !ids.contains(&id));
    assert!(
        !gone["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["id"] == id.as_str()),
        "archived listings leave the index"
    );
    let kept = search_until(s, "q=may+say", |ids| ids.contains(&other));
    assert_eq!(kept["items"][0]["id"], other.as_str());
    // In English, through the glossary: heat pump is bơm nhiệt, dryer máy sấy.
    let english = search_until(s, "q=heat+pump+dryer", |ids| ids.contains(&other));
    assert_eq!(english["items"][0]["id"], other.as_str(), "{english}");
    assert_eq!(english["total"], 1);

    let ready = s.get("/readyz").send();
    assert_eq!(ready.body["index_lag"], 0, "{}", ready.text);
    assert_eq!(ready.body["indexed_listings"], 1);
}

fn any_query_text_is_accepted(db: &TestDatabase) {
    let x = exchange(db);
    for q in [
        "%22unclosed",
        "title%3A(",
        "AND+OR+NOT",
        "*",
        "-",
        "(((",
        "%F0%9F%92%A7",
        "a%5Cb",
    ] {
        let reply = x.server.get(&format!("/api/v1/search?q={q}")).send();
        assert_eq!(reply.status, 200, "q={q}: {}", reply.text);
    }
    let bad = x
        .server
        .get("/api/v1/search?kind=gift&trl_min=12&sector=x")
        .send();
    bad.assert_problem(400, "validation");
    assert_eq!(bad.error_fields().len(), 3);
    // Deep pages are refused rather than ranking the whole index for one request.
    let deep = x.server.get("/api/v1/search?page=1000&per_page=100").send();
    deep.assert_problem(400, "validation");
    assert_eq!(deep.error_fields(), ["page"]);
    assert_eq!(
        x.server
            .get("/api/v1/search?page=100&per_page=100")
            .send()
            .status,
        200
    );
}

fn matches_rank_offers_for_a_need_and_explain_them(db: &TestDatabase) {
    let x = exchange(db);
    let s = &x.server;
    let best = s.publish(
        &x.institute,
        &x.operator,
        &offer(
            "Công nghệ xử lý nước thải dệt nhuộm",
            "Keo tụ điện hóa giảm 90% COD và độ màu nước thải nhà máy nhuộm, 50 m3/ngày.",
            &["2.7"],
        ),
    );
    let weak = s.publish(
        &x.institute,
        &x.operator,
        &offer(
            "Máy sấy nông sản bằng bơm nhiệt",
            "Sấy cà phê và hồ tiêu tiết kiệm 40% điện năng.",
            &["2.3"],
        ),
    );
    let mut need = listing_body("need", "Can cong nghe xu ly nuoc thai nhuom");
    need["summary"] =
        json!("Nuoc thai nha may nhuom co mau va COD cao, can giai phap cong suat 200 m3/ngay.");
    // Its own description and keywords, as a real need has: with the offers'
    // (the shared test body), those words tied with `nuoc thai` for the rarest,
    // and deleted copies of re-indexed listings, which count until a merge,
    // decided which were shown.
    need["description"] = json!("Nha may nhuom vai cotton, can dat QCVN 13:2015 cot A.");
    need["keywords"] = json!(["nhuom", "COD"]);
    need["trl"] = json!(8);
    let need_id = s.publish(&x.enterprise, &x.operator, &need);
    // The enterprise's own offer must never be proposed to it.
    let own = s.publish(
        &x.enterprise,
        &x.operator,
        &offer(
            "Xử lý nước thải dệt nhuộm của chính công ty",
            "nước thải dệt nhuộm",
            &["2.7"],
        ),
    );
    search_until(s, "kind=offer", |ids| ids.len() == 3);

    let reply = s
        .get(&format!("/api/v1/listings/{need_id}/matches?limit=5"))
        .bearer(&x.enterprise)
        .send();
    assert_eq!(reply.status, 200, "{}", reply.text);
    let matches = reply.body.as_array().unwrap();
    let ids: Vec<&str> = matches.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids.first(), Some(&best.as_str()), "{}", reply.text);
    assert!(
        !ids.contains(&own.as_str()),
        "never the listing's own organisation"
    );
    let top = &matches[0];
    let total: f64 = top["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["contribution"].as_f64().unwrap())
        .sum();
    assert!(
        (total - top["score"].as_f64().unwrap()).abs() < 1e-4,
        "contributions add up to the score"
    );
    // The phrase both titles use is shown whole, not pair by pair.
    let terms: Vec<&str> = top["matched_terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(terms.iter().any(|t| t.contains("xu ly nuoc thai")), "{top}");
    assert!(
        !terms.iter().any(|t| ["ly nuoc", "nuoc thai"].contains(t)),
        "{top}"
    );
    let trl = top["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "trl")
        .unwrap();
    assert_eq!(trl["note"], "TRL 7, the need asks for 8");
    if let Some(position) = ids.iter().position(|id| *id == weak) {
        assert!(position > 0);
    }

    // The reverse: needs for an offer.
    let reverse = s
        .get(&format!("/api/v1/listings/{best}/matches"))
        .bearer(&x.institute)
        .send();
    assert_eq!(reverse.body[0]["id"], need_id.as_str(), "{}", reverse.text);

    // Matches are for the listing's organisation and operators only.
    s.get(&format!("/api/v1/listings/{need_id}/matches"))
        .bearer(&x.institute)
        .send()
        .assert_problem(404, "not-found");
    assert_eq!(
        s.get(&format!("/api/v1/listings/{need_id}/matches"))
            .bearer(&x.operator)
            .send()
            .status,
        200
    );
    s.get(&format!("/api/v1/listings/{need_id}/matches"))
        .send()
        .assert_problem(401, "unauthenticated");
    s.get(&format!("/api/v1/listings/{need_id}/matches?limit=500"))
        .bearer(&x.enterprise)
        .send()
        .assert_problem(400, "validation");
}

fn reindex_rebuilds_the_index_from_the_database(db: &TestDatabase) {
    let x = exchange(db);
    let id = x.server.publish(
        &x.institute,
        &x.operator,
        &offer(
            "Vật liệu nano bạc kháng khuẩn",
            "Nano bạc cho dệt may kháng khuẩn.",
            &["2.10"],
        ),
    );
    search_until(&x.server, "q=nano+bac", |ids| ids.contains(&id));
    let data_dir = x.server.data_dir().to_owned();
    drop(x.server);
    let mut command = techex_e2e::techex(db, &data_dir);
    command.arg("reindex");
    let output = techex_e2e::run_to_end(command, Duration::from_secs(60));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("reindexed 1 published listings"));
}

techex_store::on_both_backends!(
    approved_listings_become_searchable_and_archived_ones_leave,
    any_query_text_is_accepted,
    matches_rank_offers_for_a_need_and_explain_them,
    reindex_rebuilds_the_index_from_the_database,
);

/// An exchange adds its own names to the glossary in a file, and searches
/// translate with them; a bad line stops the start, naming the line.
#[test]
fn an_exchanges_own_glossary_translates_its_searches() {
    let db = TestDatabase::sqlite();
    let files = tempfile::tempdir().unwrap();
    let glossary = files.path().join("glossary.tsv");
    std::fs::write(&glossary, "# Our specialty\nnước mắm\tfish sauce\n").unwrap();
    let x = Exchange::start(
        &db,
        &[
            ("TECHEX_INDEX_POLL_MS", "50"),
            ("TECHEX_GLOSSARY_FILE", glossary.to_str().unwrap()),
        ],
    );
    let id = x.server.publish(
        &x.institute,
        &x.operator,
        &offer(
            "Rút ngắn thời gian ủ chượp nước mắm",
            "Chế phẩm enzyme giúp ủ chượp nước mắm nhanh gấp đôi và giảm histamin.",
            &["2.3"],
        ),
    );
    let found = search_until(&x.server, "q=fish+sauce", |ids| ids.contains(&id));
    assert_eq!(found["items"][0]["id"], id.as_str(), "{found}");

    std::fs::write(&glossary, "nước mắm\tfish sauce\ntôm\tshrimp\n").unwrap();
    let mut command = techex_e2e::techex(&db, files.path());
    command
        .arg("serve")
        .env("TECHEX_BIND", "127.0.0.1:0")
        .env("TECHEX_GLOSSARY_FILE", &glossary);
    let output = techex_e2e::run_to_end(command, Duration::from_secs(30));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("glossary.file")
            && stderr.contains("line 2: the Vietnamese name must have at least two syllables"),
        "{stderr}"
    );
}

/// `techex demo` gives a newcomer a working exchange: published listings, demo
/// accounts, and explained matches for the enterprise's needs.
#[test]
fn the_demo_exchange_works_out_of_the_box() {
    let db = TestDatabase::sqlite();
    let server = Server::start_demo(&db);
    // Ready means searchable: until the index has applied the demo listings,
    // /readyz answers 503, and its first 200 finds them at once.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = server.get("/readyz").send();
        if ready.status == 200 {
            assert_eq!(ready.body["index_lag"], 0, "{}", ready.text);
            break;
        }
        assert_eq!(ready.status, 503, "{}", ready.text);
        assert_eq!(ready.content_type(), "application/problem+json");
        assert!(
            ready.body["detail"]
                .as_str()
                .unwrap()
                .contains("catching up")
        );
        assert!(Instant::now() < deadline, "not ready in 60 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    let first = server.get("/api/v1/search?q=xu+ly+nuoc+thai").send();
    assert!(first.body["total"].as_u64().unwrap() > 0, "{}", first.text);
    let login = |email: &str| {
        let reply = server
            .post("/api/v1/auth/login")
            .json(&json!({"email": email, "password": "demo-password-2026"}));
        assert_eq!(reply.status, 200, "{email}: {}", reply.text);
        reply.body["access_token"].as_str().unwrap().to_owned()
    };
    let catalogue = server.get("/api/v1/listings?per_page=1").send();
    assert_eq!(
        catalogue.body["total"], 205,
        "160 offers and 45 needs are published"
    );
    let operator = login("operator@demo.techex.vn");
    assert_eq!(
        server
            .get("/api/v1/moderation/queue")
            .bearer(&operator)
            .send()
            .status,
        200
    );
    login("institute@demo.techex.vn");
    let enterprise = login("enterprise@demo.techex.vn");
    let found = search_until(&server, "q=xu+ly+nuoc+thai+det+nhuom", |ids| {
        !ids.is_empty()
    });
    assert!(found["total"].as_u64().unwrap() > 0);
    let mine = server.get("/api/v1/me/listings").bearer(&enterprise).send();
    let need = mine.body["items"][0]["id"].as_str().unwrap().to_owned();
    let matches = server
        .get(&format!("/api/v1/listings/{need}/matches"))
        .bearer(&enterprise)
        .send();
    assert_eq!(matches.status, 200, "{}", matches.text);
    let top = &matches.body[0];
    assert_eq!(top["kind"], "offer");
    assert!(top["score"].as_f64().unwrap() > 0.5, "{top}");
}
