//! From match to transfer through the real binary: match alerts, expressions of
//! interest, disclosure of contacts only after acceptance, the message thread,
//! operators' notes and brokered introductions, the daily quota, and who may see
//! what.

#![expect(clippy::unwrap_used, reason = "a failed step is a failed test")]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use techex_e2e::{Exchange, Server, TestDatabase, listing_body};

fn exchange(db: &TestDatabase, extra: &[(&str, &str)]) -> Exchange {
    let mut env = vec![("TECHEX_INDEX_POLL_MS", "50")];
    env.extend_from_slice(extra);
    Exchange::start(db, &env)
}

fn inbox(server: &Server, token: &str) -> Vec<Value> {
    let reply = server
        .get("/api/v1/notifications?per_page=100")
        .bearer(token)
        .send();
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["items"].as_array().unwrap().clone()
}

fn events_of(server: &Server, token: &str, event: &str) -> Vec<Value> {
    inbox(server, token)
        .into_iter()
        .filter(|n| n["event"] == event)
        .collect()
}

/// Polls the inbox until a notification of `event` arrives, for at most 10 s.
fn wait_for(server: &Server, token: &str, event: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(found) = events_of(server, token, event).into_iter().next() {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "no {event} notification within 10 s; inbox: {:?}\nserver log:\n{}",
            inbox(server, token),
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn wastewater_offer() -> Value {
    let mut body = listing_body(
        "offer",
        "Công nghệ xử lý nước thải dệt nhuộm bằng keo tụ điện hóa",
    );
    body["keywords"] = json!(["nước thải", "dệt nhuộm", "keo tụ điện hóa"]);
    body
}

fn wastewater_need() -> Value {
    let mut body = listing_body(
        "need",
        "Cần công nghệ xử lý nước thải dệt nhuộm giảm COD và độ màu",
    );
    body["summary"] = json!(
        "Nhà máy dệt nhuộm cần hệ thống xử lý nước thải giảm COD và độ màu, công suất 50 m3/ngày, \
         ưu tiên keo tụ điện hóa, chi phí vận hành thấp."
    );
    body["trl"] = json!(6);
    body["ip_status"] = json!("none");
    body.as_object_mut().unwrap().remove("patent_numbers");
    body
}

/// The values the served API document lists for the vocabulary `name`.
fn documented(server: &Server, name: &str) -> Vec<Value> {
    let document = server.get("/api/openapi.json").send().body;
    document["components"]["schemas"][name]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("{name} is not an enum of the document"))
        .clone()
}

fn express(server: &Server, token: &str, listing: &str, message: &str) -> Value {
    let reply = server
        .post(&format!("/api/v1/listings/{listing}/interests"))
        .bearer(token)
        .json(&json!({"message": message}));
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert!(
        reply
            .header("location")
            .unwrap()
            .ends_with(reply.body["id"].as_str().unwrap())
    );
    reply.body
}

fn step(
    server: &Server,
    token: &str,
    interest: &str,
    action: &str,
    body: &Value,
) -> techex_e2e::Reply {
    server
        .post(&format!("/api/v1/interests/{interest}/{action}"))
        .bearer(token)
        .json(body)
}

/// The whole path: need published → match alert to the offer's organisation →
/// interest → accept → contacts now visible → negotiating → concluded.
fn a_match_becomes_a_concluded_transfer(db: &TestDatabase) {
    let x = exchange(db, &[("TECHEX_MATCH_ALERT_MIN_SCORE", "0.3")]);
    let s = &x.server;
    let offer = s.publish(&x.institute, &x.operator, &wastewater_offer());
    let need = s.publish(&x.enterprise, &x.operator, &wastewater_need());

    // The offer's organisation is told of the new need, with the explanation.
    let alert = wait_for(s, &x.institute, "match.found");
    assert_eq!(alert["object_id"], need.as_str());
    assert_eq!(alert["detail"]["listing"]["id"], need.as_str());
    assert_eq!(alert["detail"]["your_listing"]["id"], offer.as_str());
    let score = alert["detail"]["score"].as_f64().unwrap();
    let components = alert["detail"]["explanation"]["components"]
        .as_array()
        .unwrap();
    let sum: f64 = components
        .iter()
        .map(|c| c["contribution"].as_f64().unwrap())
        .sum();
    assert!(
        (sum - score).abs() < 1e-3,
        "contributions add up to the score: {alert}"
    );
    assert!(
        !alert["detail"]["explanation"]["matched_terms"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // The need's own organisation is not alerted about its own publication.
    assert!(events_of(s, &x.enterprise, "match.found").is_empty());
    // Publishing the need again (a renewal) does not repeat the alert for the pair.
    let version = s
        .get(&format!("/api/v1/listings/{need}"))
        .bearer(&x.enterprise)
        .send()
        .body["version"]
        .clone();
    let renewed = s.act(
        &x.enterprise,
        &need,
        "renew",
        Some(&json!({"version": version})),
    );
    assert_eq!(renewed.status, 200, "{}", renewed.text);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        events_of(s, &x.institute, "match.found").len(),
        1,
        "once per pair"
    );

    // The owner cannot express interest in its own listing.
    s.post(&format!("/api/v1/listings/{need}/interests"))
        .bearer(&x.enterprise)
        .json(&json!({"message": "ours"}))
        .assert_problem(403, "forbidden");
    // A message is required.
    let empty = s
        .post(&format!("/api/v1/listings/{need}/interests"))
        .bearer(&x.institute)
        .json(&json!({}));
    empty.assert_problem(400, "validation");
    assert_eq!(empty.error_fields(), ["message"]);

    let interest = express(
        s,
        &x.institute,
        &need,
        "Công nghệ của chúng tôi đáp ứng đúng nhu cầu này.",
    );
    let id = interest["id"].as_str().unwrap().to_owned();
    assert_eq!(interest["state"], "sent");
    assert_eq!(interest["your_side"], "requester");
    assert!(
        interest["contacts"].is_null(),
        "no contacts before acceptance"
    );
    let told = wait_for(s, &x.enterprise, "interest.created");
    assert_eq!(told["object_id"], id.as_str());

    let seen = s
        .get(&format!("/api/v1/interests/{id}"))
        .bearer(&x.enterprise)
        .send();
    assert_eq!(seen.status, 200);
    assert_eq!(seen.body["your_side"], "owner");
    assert_eq!(seen.body["allowed_actions"], json!(["accept", "decline"]));
    let actions = documented(s, "InterestAction");
    for action in seen.body["allowed_actions"].as_array().unwrap() {
        assert!(actions.contains(action), "{action} is not documented");
    }
    assert!(seen.body["contacts"].is_null());
    assert!(
        !seen.text.contains("lan@iet.ac.vn"),
        "no e-mail before acceptance"
    );

    // A third organisation cannot see the interest or its thread.
    s.register("hoa@thirdparty.vn", "Công ty Bên Thứ Ba", "enterprise");
    let third = s.login("hoa@thirdparty.vn");
    s.get(&format!("/api/v1/interests/{id}"))
        .bearer(&third)
        .send()
        .assert_problem(404, "not-found");
    s.get(&format!("/api/v1/interests/{id}/messages"))
        .bearer(&third)
        .send()
        .assert_problem(404, "not-found");
    step(s, &third, &id, "accept", &json!({})).assert_problem(404, "not-found");
    let listed = s.get("/api/v1/interests").bearer(&third).send();
    assert_eq!(listed.body["total"], 0);

    // Only the listing's organisation answers; an illegal step is a conflict.
    step(s, &x.institute, &id, "accept", &json!({})).assert_problem(403, "forbidden");
    step(s, &x.enterprise, &id, "conclude", &json!({})).assert_problem(409, "conflict");

    let accepted = step(
        s,
        &x.enterprise,
        &id,
        "accept",
        &json!({"version": seen.body["version"]}),
    );
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    assert_eq!(accepted.body["state"], "accepted");
    let contacts = &accepted.body["contacts"];
    assert_eq!(contacts["owner"]["email"], "minh@detmay.vn");
    assert_eq!(contacts["requester"]["email"], "lan@iet.ac.vn");
    assert_eq!(
        contacts["requester"]["organisation"],
        "Viện Công nghệ Môi trường"
    );
    let requester_view = s
        .get(&format!("/api/v1/interests/{id}"))
        .bearer(&x.institute)
        .send();
    assert_eq!(
        requester_view.body["contacts"]["owner"]["email"],
        "minh@detmay.vn"
    );
    wait_for(s, &x.institute, "interest.changed");

    // The thread: the other side is told; operators' notes stay with operators.
    let posted = s
        .post(&format!("/api/v1/interests/{id}/messages"))
        .bearer(&x.institute)
        .json(&json!({"body": "Chúng tôi có thể đến khảo sát nhà máy tuần sau."}));
    assert_eq!(posted.status, 201, "{}", posted.text);
    wait_for(s, &x.enterprise, "interest.message");
    let note = s
        .post(&format!("/api/v1/interests/{id}/notes"))
        .bearer(&x.operator)
        .json(&json!({"body": "Theo dõi: hai bên đã liên hệ."}));
    assert_eq!(note.status, 201, "{}", note.text);
    let thread = s
        .get(&format!("/api/v1/interests/{id}/messages"))
        .bearer(&x.enterprise)
        .send();
    assert_eq!(thread.body.as_array().unwrap().len(), 1, "{}", thread.text);
    assert_eq!(thread.body[0]["organisation"], "Viện Công nghệ Môi trường");
    let notes = s
        .get(&format!("/api/v1/interests/{id}/notes"))
        .bearer(&x.operator)
        .send();
    assert_eq!(notes.body.as_array().unwrap().len(), 1);
    s.get(&format!("/api/v1/interests/{id}/notes"))
        .bearer(&x.enterprise)
        .send()
        .assert_problem(403, "forbidden");
    s.post(&format!("/api/v1/interests/{id}/messages"))
        .bearer(&x.operator)
        .json(&json!({"body": "x"}))
        .assert_problem(403, "forbidden");

    // Negotiation, then the transfer with its terms.
    assert_eq!(
        step(s, &x.institute, &id, "negotiate", &json!({})).status,
        200
    );
    let bad = step(
        s,
        &x.enterprise,
        &id,
        "conclude",
        &json!({"transfer_value": 750_000_000, "contract_date": "someday"}),
    );
    bad.assert_problem(400, "validation");
    assert_eq!(bad.error_fields(), ["currency", "contract_date"]);
    // A currency says nothing without a value.
    let no_value = step(
        s,
        &x.enterprise,
        &id,
        "conclude",
        &json!({"currency": "USD"}),
    );
    no_value.assert_problem(400, "validation");
    assert_eq!(no_value.error_fields(), ["currency"]);
    let today = chrono::Utc::now().date_naive().to_string();
    let concluded = step(
        s,
        &x.enterprise,
        &id,
        "conclude",
        &json!({"transfer_value": 750_000_000, "currency": "vnd", "contract_date": today, "transfer_mode": "licence"}),
    );
    assert_eq!(concluded.status, 200, "{}", concluded.text);
    assert_eq!(concluded.body["state"], "concluded");
    assert_eq!(concluded.body["outcome"]["currency"], "VND");
    assert_eq!(concluded.body["outcome"]["transfer_value"], 750_000_000);
    assert_eq!(concluded.body["allowed_actions"], json!([]));
    s.post(&format!("/api/v1/interests/{id}/messages"))
        .bearer(&x.institute)
        .json(&json!({"body": "one more"}))
        .assert_problem(409, "conflict");

    // The statistics count the transfer, for operators and in the public summary.
    let stats = s.get("/api/v1/stats").bearer(&x.operator).send();
    assert_eq!(stats.status, 200, "{}", stats.text);
    assert_eq!(stats.body["transfers"]["count"], 1);
    assert_eq!(
        stats.body["transfers"]["value_by_currency"]["VND"],
        750_000_000
    );
    assert_eq!(stats.body["interests"]["by_state"]["concluded"], 1);
    let public = s.get("/api/v1/stats/public").send();
    assert_eq!(public.body["concluded_transfers"], 1, "{}", public.text);

    // Lists by side, and the audit trail.
    let sent = s
        .get("/api/v1/interests?role=sent")
        .bearer(&x.institute)
        .send();
    assert_eq!(sent.body["total"], 1);
    let received = s
        .get("/api/v1/interests?role=received")
        .bearer(&x.institute)
        .send();
    assert_eq!(received.body["total"], 0);
    let all = s
        .get("/api/v1/interests?state=concluded")
        .bearer(&x.operator)
        .send();
    assert_eq!(all.body["total"], 1);
    s.get("/api/v1/interests?role=both")
        .bearer(&x.institute)
        .send()
        .assert_problem(400, "validation");
    let audit = s
        .get(&format!(
            "/api/v1/audit?object_type=interest&object_id={id}"
        ))
        .bearer(&x.operator)
        .send();
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "interest_expressed",
        "interest_accepted",
        "interest_message_posted",
        "interest_note_added",
        "interest_negotiating",
        "interest_concluded",
    ] {
        assert!(
            actions.contains(&action),
            "{action} missing from {actions:?}"
        );
    }
}

/// A declined interest carries a structured reason; a new interest in the same
/// listing while one is open is refused; the quota answers 429.
fn declines_duplicates_and_the_daily_quota(db: &TestDatabase) {
    let x = exchange(db, &[("TECHEX_INTEREST_DAILY_QUOTA", "2")]);
    let s = &x.server;
    let offers: Vec<String> = (1..=3)
        .map(|n| {
            let mut body = wastewater_offer();
            body["title"] = json!(format!("Công nghệ xử lý nước thải số {n}"));
            body["external_ref"] = json!(format!("ref-{n}"));
            s.publish(&x.institute, &x.operator, &body)
        })
        .collect();
    let first = express(s, &x.enterprise, &offers[0], "Chúng tôi quan tâm.");
    let first = first["id"].as_str().unwrap();
    // Before acceptance the thread names organisations, not people.
    let early = s
        .post(&format!("/api/v1/interests/{first}/messages"))
        .bearer(&x.enterprise)
        .json(&json!({"body": "Xin gửi thêm thông tin về nhà máy."}));
    assert_eq!(early.status, 201, "{}", early.text);
    let thread = s
        .get(&format!("/api/v1/interests/{first}/messages"))
        .bearer(&x.institute)
        .send();
    assert_eq!(thread.body[0]["organisation"], "Công ty Dệt may Hòa Bình");
    assert!(thread.body[0]["author_name"].is_null(), "{}", thread.text);
    s.post(&format!("/api/v1/listings/{}/interests", offers[0]))
        .bearer(&x.enterprise)
        .json(&json!({"message": "again"}))
        .assert_problem(409, "conflict");

    let missing = step(
        s,
        &x.institute,
        first,
        "decline",
        &json!({"message": "không phù hợp"}),
    );
    missing.assert_problem(400, "validation");
    assert_eq!(missing.error_fields(), ["reason"]);
    let wrong = step(
        s,
        &x.institute,
        first,
        "decline",
        &json!({"reason": "boring", "message": "x"}),
    );
    assert_eq!(wrong.error_fields(), ["reason"]);
    let declined = step(
        s,
        &x.institute,
        first,
        "decline",
        &json!({"reason": "too_early_stage", "message": "Công nghệ cần thêm thử nghiệm."}),
    );
    assert_eq!(declined.status, 200, "{}", declined.text);
    assert_eq!(declined.body["decline_reason"], "too_early_stage");
    assert!(documented(s, "DeclineReason").contains(&declined.body["decline_reason"]));
    assert!(
        declined.body["contacts"].is_null(),
        "a declined interest discloses nothing"
    );
    let changed = wait_for(s, &x.enterprise, "interest.changed");
    assert_eq!(changed["detail"]["decline_reason"], "too_early_stage");

    let second = express(s, &x.enterprise, &offers[1], "Chúng tôi quan tâm.");
    // The closing message is optional: one that shows nothing is left out.
    let closed = step(
        s,
        &x.enterprise,
        second["id"].as_str().unwrap(),
        "close",
        &json!({"reason": "withdrawn", "message": "\u{200B} "}),
    );
    assert_eq!(closed.status, 200, "{}", closed.text);
    assert!(closed.body["closing_message"].is_null(), "{}", closed.text);
    let over = s
        .post(&format!("/api/v1/listings/{}/interests", offers[2]))
        .bearer(&x.enterprise)
        .json(&json!({"message": "Chúng tôi quan tâm."}));
    over.assert_problem(429, "too-many-requests");
    let wait: u64 = over.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&wait));
    // Unpublished or unknown listings are not found; operators broker instead.
    s.post("/api/v1/listings/0193a5b2-7c1d-7e4f-9a0b-123456789abc/interests")
        .bearer(&x.institute)
        .json(&json!({"message": "x"}))
        .assert_problem(404, "not-found");
    s.post(&format!("/api/v1/listings/{}/interests", offers[2]))
        .bearer(&x.operator)
        .json(&json!({"message": "x"}))
        .assert_problem(403, "forbidden");
}

/// An operator introduces a need to an offer: both organisations are told, the
/// offer's organisation answers, and the need's author is the requester's contact.
fn operators_broker_introductions(db: &TestDatabase) {
    let x = exchange(db, &[]);
    let s = &x.server;
    let offer = s.publish(&x.institute, &x.operator, &wastewater_offer());
    let need = s.publish(&x.enterprise, &x.operator, &wastewater_need());
    s.post("/api/v1/interests/broker")
        .bearer(&x.enterprise)
        .json(&json!({"offer_id": offer, "need_id": need, "message": "x"}))
        .assert_problem(403, "forbidden");
    let invalid = s
        .post("/api/v1/interests/broker")
        .bearer(&x.operator)
        .json(&json!({"offer_id": need, "need_id": offer, "message": "Giới thiệu"}));
    invalid.assert_problem(400, "validation");
    assert_eq!(invalid.error_fields(), ["offer_id", "need_id"]);
    let brokered = s
        .post("/api/v1/interests/broker")
        .bearer(&x.operator)
        .json(&json!({"offer_id": offer, "need_id": need, "message": "Sàn giới thiệu hai bên."}));
    assert_eq!(brokered.status, 201, "{}", brokered.text);
    assert_eq!(brokered.body["brokered"], true);
    assert_eq!(brokered.body["your_side"], Value::Null);
    let id = brokered.body["id"].as_str().unwrap();
    for token in [&x.institute, &x.enterprise] {
        let told = wait_for(s, token, "interest.created");
        assert_eq!(told["object_id"], id);
    }
    step(s, &x.operator, id, "accept", &json!({})).assert_problem(403, "forbidden");
    let accepted = step(s, &x.institute, id, "accept", &json!({}));
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    assert_eq!(
        accepted.body["contacts"]["requester"]["email"],
        "minh@detmay.vn"
    );
    assert_eq!(accepted.body["requester_listing"]["id"], need.as_str());
    // Reading marks: one notification, then all of them. The match alert for the
    // two listings comes from a background job; once it is in, nothing more is
    // due to the institute, so the counts below cannot change under the test.
    wait_for(s, &x.institute, "match.found");
    let first = &inbox(s, &x.institute)[0];
    let path = format!(
        "/api/v1/notifications/{}/read",
        first["id"].as_str().unwrap()
    );
    assert_eq!(s.post(&path).bearer(&x.institute).send().status, 204);
    s.post(&path)
        .bearer(&x.enterprise)
        .send()
        .assert_problem(404, "not-found");
    let unread = s
        .get("/api/v1/notifications?unread=true")
        .bearer(&x.institute)
        .send();
    let before = unread.body["unread"].as_i64().unwrap();
    assert_eq!(unread.body["total"], before);
    let marked = s
        .post("/api/v1/notifications/read-all")
        .bearer(&x.institute)
        .send();
    assert_eq!(marked.body["marked"], before);
    let after = s.get("/api/v1/notifications").bearer(&x.institute).send();
    assert_eq!(after.body["unread"], 0);
    assert!(after.body["total"].as_i64().unwrap() > before);
}

/// Parameters are checked alike on every route: an empty value is a parameter left
/// out (as a form sends a blank choice), a value that is not one of the choices is
/// refused naming it, and a malformed id in a path is a 400 naming `id`, as on
/// listings and interests, while a well-formed unknown one is 404.
fn parameters_are_checked_alike(db: &TestDatabase) {
    let x = Exchange::start(db, &[]);
    let s = &x.server;
    for token in [&x.institute, &x.operator] {
        let left_out = s.get("/api/v1/interests").bearer(token).send();
        let empty = s.get("/api/v1/interests?role=&page=").bearer(token).send();
        assert_eq!(empty.status, 200, "{}", empty.text);
        assert_eq!(empty.body, left_out.body);
        let unknown = s.get("/api/v1/interests?role=both").bearer(token).send();
        unknown.assert_problem(400, "validation");
        assert_eq!(unknown.error_fields(), ["role"], "{}", unknown.text);
    }
    for path in [
        "/api/v1/notifications/bad/read",
        "/api/v1/interests/bad/accept",
        "/api/v1/listings/bad/submit",
    ] {
        let malformed = s.post(path).bearer(&x.institute).send();
        malformed.assert_problem(400, "validation");
        assert_eq!(
            malformed.error_fields(),
            ["id"],
            "{path}: {}",
            malformed.text
        );
    }
    // A query parameter a route does not take is refused, naming it and the ones it
    // takes, by every route that takes parameters (the delivery log ignored it).
    for path in [
        format!(
            "/api/v1/webhooks/{}/deliveries?page=1&colour=red",
            uuid::Uuid::now_v7()
        ),
        "/api/v1/interests?colour=red".to_owned(),
        "/api/v1/search?colour=red".to_owned(),
    ] {
        let unknown = s.get(&path).bearer(&x.institute).send();
        unknown.assert_problem_saying(400, "validation", "unknown parameter: this route takes");
        assert_eq!(
            unknown.error_fields(),
            ["colour"],
            "{path}: {}",
            unknown.text
        );
    }
    s.post(&format!(
        "/api/v1/notifications/{}/read",
        uuid::Uuid::now_v7()
    ))
    .bearer(&x.institute)
    .send()
    .assert_problem(404, "not-found");
}

techex_store::on_both_backends!(
    a_match_becomes_a_concluded_transfer,
    declines_duplicates_and_the_daily_quota,
    operators_broker_introductions,
    parameters_are_checked_alike,
);
