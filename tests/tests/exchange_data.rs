//! Bulk import and export, end to end on both backends.

#![expect(clippy::unwrap_used, reason = "a failed step is a failed test")]

use serde_json::{Value, json};
use techex_e2e::{PASSWORD, Server, TestDatabase, listing_body, techex};

fn setup(db: &TestDatabase) -> (Server, String, String) {
    let server = Server::start(db);
    server.create_operator("op@techmart.vn");
    let org = server.register(
        "lan@iet.ac.vn",
        "Viện Công nghệ Môi trường",
        "research_institute",
    );
    let operator = server.login("op@techmart.vn");
    (
        server,
        operator,
        org["organisation"]["id"].as_str().unwrap().to_owned(),
    )
}

fn line(org: &str, n: usize) -> Value {
    let mut body = listing_body("offer", &format!("Công nghệ số {n}: xử lý nước thải"));
    body["owner_organisation_id"] = json!(org);
    body["external_ref"] = json!(format!("OLD-EXCHANGE-{n:03}"));
    body
}

fn jsonl(lines: &[Value]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// That an import answered, having created `created` listings and refused `failed`.
fn assert_counted(reply: &techex_e2e::Reply, created: u64, failed: u64) {
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        (
            reply.body["created"].as_u64(),
            reply.body["failed"].as_u64()
        ),
        (Some(created), Some(failed)),
        "{}",
        reply.text
    );
}

fn import(server: &Server, operator: &str, body: String, publish: bool) -> techex_e2e::Reply {
    server
        .post(&format!("/api/v1/listings/import?publish={publish}"))
        .bearer(operator)
        .raw("application/x-ndjson", body)
}

fn ten_lines_with_three_bad_import_seven_and_name_the_bad_lines(db: &TestDatabase) {
    let (server, operator, org) = setup(db);
    let mut lines: Vec<Value> = (1..=10).map(|n| line(&org, n)).collect();
    lines[2]["trl"] = json!(42); // line 3
    lines[5].as_object_mut().unwrap().remove("external_ref"); // line 6
    lines[8]["owner_organisation_id"] = json!(uuid::Uuid::now_v7().to_string()); // line 9
    let mut body = jsonl(&lines);
    body.push_str("\n   \n"); // blank lines are skipped

    let reply = import(&server, &operator, body.clone(), true);
    assert_counted(&reply, 7, 3);
    let errors = reply.body["errors"].as_array().unwrap();
    let lines_named: Vec<u64> = errors.iter().map(|e| e["line"].as_u64().unwrap()).collect();
    assert_eq!(lines_named, [3, 6, 9]);
    assert_eq!(errors[0]["errors"][0]["field"], "trl");
    assert_eq!(errors[0]["external_ref"], "OLD-EXCHANGE-003");
    assert_eq!(errors[1]["errors"][0]["field"], "external_ref");
    assert_eq!(errors[2]["errors"][0]["field"], "owner_organisation_id");

    let catalogue = server.get("/api/v1/listings?per_page=100").send();
    assert_eq!(catalogue.body["total"], 7, "the good lines are published");

    // Re-importing creates nothing new.
    let again = import(&server, &operator, body, true);
    assert_eq!(
        (
            again.body["created"].as_u64(),
            again.body["unchanged"].as_u64(),
            again.body["failed"].as_u64()
        ),
        (Some(0), Some(7), Some(3)),
        "{}",
        again.text
    );
    assert_eq!(
        server.get("/api/v1/listings?per_page=100").send().body["total"],
        7
    );

    // A changed line updates its listing in place.
    let mut changed = line(&org, 1);
    changed["title"] = json!("Công nghệ số 1: xử lý nước thải, phiên bản 2");
    let update = import(&server, &operator, jsonl(&[changed]), true);
    assert_eq!(update.body["updated"], 1, "{}", update.text);
    let titles: Vec<String> = server.get("/api/v1/listings?per_page=100").send().body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["title"].as_str().unwrap().to_owned())
        .collect();
    assert!(titles.contains(&"Công nghệ số 1: xử lý nước thải, phiên bản 2".to_owned()));
    assert_eq!(titles.len(), 7);
}

fn imports_are_for_operators_and_drafts_unless_published(db: &TestDatabase) {
    let (server, operator, org) = setup(db);
    let member = server.login("lan@iet.ac.vn");
    import(&server, &member, jsonl(&[line(&org, 1)]), true).assert_problem(403, "forbidden");
    let drafts = import(
        &server,
        &operator,
        jsonl(&[line(&org, 1), line(&org, 2)]),
        false,
    );
    assert_eq!(drafts.body["created"], 2);
    assert_eq!(
        server.get("/api/v1/listings").send().body["total"],
        0,
        "drafts are not public"
    );
    let mine = server
        .get("/api/v1/me/listings?status=draft")
        .bearer(&member)
        .send();
    assert_eq!(
        mine.body["total"], 2,
        "the organisation owns its imported drafts"
    );
    let garbage = import(&server, &operator, "{not json\n[1,2]\n".into(), false);
    assert_eq!(garbage.body["failed"], 2);
    // A file saved with a byte-order mark imports from its first line.
    let with_bom = format!("\u{FEFF}{}", jsonl(&[line(&org, 3)]));
    let bom = import(&server, &operator, with_bom, false);
    assert_eq!(
        (bom.body["created"].as_u64(), bom.body["failed"].as_u64()),
        (Some(1), Some(0)),
        "{}",
        bom.text
    );
    // A line may not turn an offer into a need.
    let mut turned = line(&org, 1);
    turned["kind"] = json!("need");
    let refused = import(&server, &operator, jsonl(&[turned]), false);
    assert_eq!(refused.body["failed"], 1, "{}", refused.text);
    assert_eq!(
        refused.body["errors"][0]["errors"][0]["message"],
        "the existing listing with this external_ref is an offer"
    );
    let audit = server
        .get("/api/v1/audit?action=listings_imported")
        .bearer(&operator)
        .send();
    assert_eq!(
        audit.body["total"], 4,
        "every import is audited (the refused one was not an import)"
    );
}

fn export_round_trips_through_import(db: &TestDatabase) {
    let (server, operator, org) = setup(db);
    let member = server.login("lan@iet.ac.vn");
    // One listing without an external_ref, made through the API.
    let mut own = listing_body("need", "Cần hệ thống quan trắc khí thải tự động");
    own.as_object_mut().unwrap().remove("external_ref");
    server.publish(&member, &operator, &own);
    import(
        &server,
        &operator,
        jsonl(&[line(&org, 1), line(&org, 2)]),
        true,
    );

    server
        .get("/api/v1/listings/export")
        .bearer(&member)
        .send()
        .assert_problem(403, "forbidden");
    let export = server
        .get("/api/v1/listings/export?format=jsonl")
        .bearer(&operator)
        .send();
    assert_eq!(export.status, 200);
    assert!(export.content_type().starts_with("application/x-ndjson"));
    let lines: Vec<Value> = export
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines
            .iter()
            .all(|l| l["owner_organisation_id"] == org.as_str() && l["external_ref"].is_string())
    );

    let reimport = import(&server, &operator, export.text.clone(), true);
    assert_eq!(
        (
            reimport.body["created"].as_u64(),
            reimport.body["unchanged"].as_u64(),
            reimport.body["failed"].as_u64()
        ),
        (Some(0), Some(3), Some(0)),
        "re-importing an export changes nothing (the listing without a reference is found by its id): {}",
        reimport.text
    );
    assert_eq!(
        server.get("/api/v1/listings").send().body["total"],
        3,
        "no duplicates"
    );

    // An owner's edit waiting for review is never overwritten by an import.
    let id = server.get("/api/v1/listings?kind=offer").send().body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = server
        .get(&format!("/api/v1/listings/{id}"))
        .bearer(&member)
        .send();
    let version = before.body["version"].clone();
    let listing = lines
        .iter()
        .find(|l| l["external_ref"] == before.body["external_ref"])
        .unwrap();
    let edit = server
        .request(reqwest::Method::PATCH, &format!("/api/v1/listings/{id}"))
        .bearer(&member)
        .json(&json!({"version": version, "trl": 9}));
    assert_eq!(
        edit.body["revision"]["status"], "pending_review",
        "{}",
        edit.text
    );
    let mut changed = listing.clone();
    changed["title"] = json!("Changed by an import");
    let refused = import(&server, &operator, jsonl(&[changed]), true);
    assert_eq!(refused.body["failed"], 1, "{}", refused.text);
    let same = import(&server, &operator, export.text.clone(), true);
    assert_eq!(
        same.body["unchanged"], 3,
        "an unchanged line leaves the pending edit alone: {}",
        same.text
    );
    let after = server
        .get(&format!("/api/v1/listings/{id}"))
        .bearer(&member)
        .send();
    assert_eq!(after.body["revision"]["content"]["trl"], 9);

    let csv = server
        .get("/api/v1/listings/export?format=csv")
        .bearer(&operator)
        .send();
    assert!(csv.content_type().starts_with("text/csv"));
    let mut rows = csv.text.lines();
    assert!(rows.next().unwrap().starts_with("id,kind,title,"));
    assert_eq!(rows.count(), 3);

    // A title that a spreadsheet would run as a formula is exported as text.
    let mut formula = listing_body("need", "=HYPERLINK(\"http://evil.example\",\"click\")");
    formula.as_object_mut().unwrap().remove("external_ref");
    server.publish(&member, &operator, &formula);
    let csv = server
        .get("/api/v1/listings/export?format=csv")
        .bearer(&operator)
        .send();
    assert!(csv.text.contains("'=HYPERLINK"), "{}", csv.text);
    assert!(!csv.text.contains(",=HYPERLINK") && !csv.text.contains(",\"=HYPERLINK"));
    server
        .get("/api/v1/listings/export?format=xml")
        .bearer(&operator)
        .send()
        .assert_problem(400, "validation");
}

fn the_command_line_imports_too(db: &TestDatabase) {
    let (server, operator, org) = setup(db);
    let file = server.data_dir().join("listings.jsonl");
    let mut lines: Vec<Value> = (1..=3).map(|n| line(&org, n)).collect();
    lines[1]["language"] = json!("Vietnamese");
    // Saved by a Windows editor: a byte-order mark first.
    std::fs::write(&file, format!("\u{FEFF}{}", jsonl(&lines))).unwrap();
    let mut command = techex_e2e::techex(db, server.data_dir());
    command.arg("import").arg(&file).arg("--publish");
    let output = techex_e2e::run_to_end(command, std::time::Duration::from_secs(60));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !output.status.success(),
        "a failed line makes the command fail"
    );
    assert!(stdout.contains("2 created"), "{stdout}");
    assert!(stdout.contains("line 2: language"), "{stdout}");
    assert_eq!(server.get("/api/v1/listings").send().body["total"], 2);
    let audit = server
        .get("/api/v1/audit?action=listings_imported")
        .bearer(&operator)
        .send();
    assert!(
        audit.body["items"][0]["actor"].is_null(),
        "a command-line import has no acting user"
    );
}

/// A line is refused when a key is given twice, or when it is owned by the importing
/// operator's own organisation (operators post no listings, and with `publish` would
/// approve their own). Another exchange's own services import like any listing.
fn a_repeated_key_or_the_importers_own_organisation_refuses_the_line(db: &TestDatabase) {
    let (server, operator, org) = setup(db);
    let organisation_of = |token: &str| {
        let me = server.get("/api/v1/me").bearer(token).send();
        me.body["organisation"]["id"].as_str().unwrap().to_owned()
    };
    let own = organisation_of(&operator);
    let output = techex(db, server.data_dir())
        .env("TECHEX_OPERATOR_PASSWORD", PASSWORD)
        .args(["create-operator", "--email", "op@sandanang.vn"])
        .args(["--organisation", "Sàn giao dịch công nghệ Đà Nẵng"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let partner = organisation_of(&server.login("op@sandanang.vn"));
    assert_ne!(partner, own);
    // Which title would count is up to the parser: the line is refused instead.
    let repeated = line(&org, 1).to_string().replacen(
        '{',
        r#"{"title":"Một tiêu đề khác hẳn cho dòng này","#,
        1,
    );
    let body = jsonl(&[line(&own, 2), line(&org, 3), line(&partner, 4)]);
    let reply = import(&server, &operator, format!("{repeated}\n{body}"), true);
    assert_counted(&reply, 2, 2);
    let errors = &reply.body["errors"];
    assert_eq!(errors[0]["line"], 1);
    assert_eq!(errors[0]["errors"][0]["field"], "title", "{}", reply.text);
    assert!(
        errors[0]["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("duplicate key"),
        "{}",
        reply.text
    );
    assert_eq!(errors[1]["line"], 2);
    assert_eq!(errors[1]["errors"][0]["field"], "owner_organisation_id");
    // Nothing of the importer's own, drafts included; the partner's is published.
    let listed = |organisation: &str| {
        server
            .get(&format!("/api/v1/listings?organisation_id={organisation}"))
            .send()
            .body["total"]
            .clone()
    };
    assert_eq!(listed(&own), 0);
    assert_eq!(listed(&partner), 1);
    assert_eq!(server.get("/api/v1/listings").send().body["total"], 2);
    let export = server
        .get("/api/v1/listings/export")
        .bearer(&operator)
        .send();
    assert_eq!(export.text.lines().count(), 2, "{}", export.text);
}

/// A body that is not labelled JSON Lines (a form, a spreadsheet) is refused with
/// 415 before any line is read.
fn a_body_not_labelled_json_lines_is_refused(db: &TestDatabase) {
    let (server, operator, org) = setup(db);
    let body = jsonl(&[line(&org, 1)]);
    for content_type in ["application/x-www-form-urlencoded", "text/csv"] {
        let reply = server
            .post("/api/v1/listings/import?publish=true")
            .bearer(&operator)
            .raw(content_type, body.clone());
        reply.assert_problem(415, "unsupported-media-type");
    }
    // Who may import is judged before the label.
    let member = server.login("lan@iet.ac.vn");
    let as_member = server
        .post("/api/v1/listings/import?publish=true")
        .bearer(&member)
        .raw("text/csv", body.clone());
    as_member.assert_problem(403, "forbidden");
    let anonymous = server
        .post("/api/v1/listings/import?publish=true")
        .raw("text/csv", body.clone());
    anonymous.assert_problem(401, "unauthenticated");
    let exported = || {
        let export = server
            .get("/api/v1/listings/export")
            .bearer(&operator)
            .send();
        export.text.lines().count()
    };
    assert_eq!(exported(), 0, "nothing stored");
    for content_type in ["application/jsonl", "application/json; charset=utf-8"] {
        let reply = server
            .post("/api/v1/listings/import?publish=true")
            .bearer(&operator)
            .raw(content_type, body.clone());
        assert_eq!(reply.status, 200, "{content_type}: {}", reply.text);
    }
    assert_eq!(exported(), 1, "imported once, then unchanged");
}

/// A body labelled `application/json` may be one JSON document, as most clients
/// write one: an array of listings, or one listing, pretty-printed; or objects one
/// after another, as `jq .` writes JSON Lines. Each is checked as a line is, and a
/// refused one is named by the line it starts on.
fn a_json_array_or_object_imports_as_its_items(db: &TestDatabase) {
    let (server, operator, org) = setup(db);
    let pretty = |value: &Value| serde_json::to_string_pretty(value).unwrap();
    let mut too_mature = line(&org, 2);
    too_mature["trl"] = json!(42);
    let repeated = pretty(&line(&org, 3)).replacen(
        '{',
        "{\n  \"title\": \"Một tiêu đề khác hẳn cho mục này\",",
        1,
    );
    let array = format!(
        "[\n{},\n{},\n{repeated},\n{}\n]\n",
        pretty(&line(&org, 1)),
        pretty(&too_mature),
        pretty(&line(&org, 4)),
    );
    let as_json = |body: String| {
        server
            .post("/api/v1/listings/import?publish=true")
            .bearer(&operator)
            .raw("application/json", body)
    };
    let reply = as_json(array.clone());
    assert_counted(&reply, 2, 2);
    let errors = &reply.body["errors"];
    let line_of = |item: &str| array[..array.find(item).unwrap()].matches('\n').count() + 1;
    assert_eq!(
        (errors[0]["line"].as_u64(), errors[1]["line"].as_u64()),
        (
            Some(line_of(&pretty(&too_mature)) as u64),
            Some(line_of(&repeated) as u64)
        ),
        "{}",
        reply.text
    );
    assert_eq!(errors[0]["errors"][0]["field"], "trl", "{}", reply.text);
    assert_eq!(errors[0]["external_ref"], "OLD-EXCHANGE-002");
    assert_eq!(errors[1]["errors"][0]["field"], "title", "{}", reply.text);

    let one = as_json(pretty(&line(&org, 5)));
    let stream = import(
        &server,
        &operator,
        format!("{}\n{}\n", pretty(&line(&org, 6)), pretty(&line(&org, 7))),
        true,
    );
    assert_eq!(stream.body["created"], 2, "{}", stream.text);
    assert_eq!(one.body["created"], 1, "{}", one.text);
    let refs: Vec<String> = server
        .get("/api/v1/listings/export")
        .bearer(&operator)
        .send()
        .text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["external_ref"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        refs.iter()
            .map(String::as_str)
            .collect::<std::collections::BTreeSet<_>>(),
        [
            "OLD-EXCHANGE-001",
            "OLD-EXCHANGE-004",
            "OLD-EXCHANGE-005",
            "OLD-EXCHANGE-006",
            "OLD-EXCHANGE-007"
        ]
        .into()
    );

    // A document cut short is no JSON: one error says where, and nothing is stored.
    let cut = pretty(&line(&org, 8));
    let broken = as_json(cut[..cut.len() - 2].to_owned());
    assert_counted(&broken, 0, 1);
    let message = broken.body["errors"][0]["errors"][0]["message"]
        .as_str()
        .unwrap();
    let last_line = cut.lines().count() - 1;
    assert!(
        message.contains("malformed JSON") && message.contains(&format!("line {last_line}")),
        "{message}"
    );
}

techex_store::on_both_backends!(
    a_json_array_or_object_imports_as_its_items,
    a_repeated_key_or_the_importers_own_organisation_refuses_the_line,
    a_body_not_labelled_json_lines_is_refused,
    ten_lines_with_three_bad_import_seven_and_name_the_bad_lines,
    imports_are_for_operators_and_drafts_unless_published,
    export_round_trips_through_import,
    the_command_line_imports_too,
);
