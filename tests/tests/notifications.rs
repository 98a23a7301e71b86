//! The inbox through the real binary: owners are told of review decisions (with
//! the reason), of a coming expiry (once per date) and of the expiry itself.

#![expect(clippy::unwrap_used, reason = "a failed step is a failed test")]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use techex_e2e::{Exchange, Server, TestDatabase, listing_body};

fn events(server: &Server, token: &str, event: &str) -> Vec<Value> {
    let reply = server
        .get("/api/v1/notifications?per_page=100")
        .bearer(token)
        .send();
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["event"] == event)
        .cloned()
        .collect()
}

fn wait_for(server: &Server, token: &str, event: &str, object: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(found) = events(server, token, event)
            .into_iter()
            .find(|n| n["object_id"] == object)
        {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "no {event} for {object} within 15 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn owners_are_told_of_decisions_and_expiry(db: &TestDatabase) {
    let x = Exchange::start(db, &[("TECHEX_EXPIRY_SWEEP_SECS", "1")]);
    let s = &x.server;
    let approved = s.publish(
        &x.institute,
        &x.operator,
        &listing_body("offer", "Cảm biến IoT đo chất lượng nước"),
    );
    let told = wait_for(s, &x.institute, "listing.approved", &approved);
    assert_eq!(told["detail"]["status"], "published");
    assert!(told["read_at"].is_null());

    let draft = s.create_listing(
        &x.institute,
        &listing_body("offer", "Phần mềm dự báo lũ sông Hồng"),
    );
    let id = draft["id"].as_str().unwrap();
    let submitted = s.act(&x.institute, id, "submit", None);
    let rejected = s.act(
        &x.operator,
        id,
        "reject",
        Some(&json!({"version": submitted.body["version"], "reason_code": "incomplete", "message": "Thiếu kết quả thử nghiệm."})),
    );
    assert_eq!(rejected.status, 200, "{}", rejected.text);
    let told = wait_for(s, &x.institute, "listing.rejected", id);
    assert_eq!(told["detail"]["reason_code"], "incomplete");
    assert_eq!(told["detail"]["message"], "Thiếu kết quả thử nghiệm.");

    // Expiring within 14 days: warned once for that date, however often the sweep runs.
    let soon = s.publish(
        &x.institute,
        &x.operator,
        &listing_body("offer", "Máy sấy nông sản bằng bơm nhiệt"),
    );
    let in_five_days = chrono::Utc::now().date_naive() + chrono::Duration::days(5);
    db.backdate_listing(&soon, in_five_days);
    let warned = wait_for(s, &x.institute, "listing.expiring", &soon);
    assert_eq!(warned["detail"]["valid_until"], in_five_days.to_string());
    assert_eq!(warned["detail"]["days_left"], 5);
    std::thread::sleep(Duration::from_millis(2500));
    let warnings: Vec<Value> = events(s, &x.institute, "listing.expiring")
        .into_iter()
        .filter(|n| n["object_id"] == soon.as_str())
        .collect();
    assert_eq!(warnings.len(), 1, "one warning per valid-until date");

    // Expired: the owner is told; nobody else's inbox hears of it.
    db.backdate_listing(
        &approved,
        chrono::Utc::now().date_naive() - chrono::Duration::days(1),
    );
    wait_for(s, &x.institute, "listing.expired", &approved);
    let enterprise_inbox = s.get("/api/v1/notifications").bearer(&x.enterprise).send();
    assert_eq!(
        enterprise_inbox.body["total"], 0,
        "{}",
        enterprise_inbox.text
    );
    s.get("/api/v1/notifications")
        .send()
        .assert_problem(401, "unauthenticated");
}

techex_store::on_both_backends!(owners_are_told_of_decisions_and_expiry);
