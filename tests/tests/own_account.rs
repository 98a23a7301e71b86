//! A user corrects their own name, end to end on both backends; the address and
//! the role are not theirs to change, and nobody else's account moves.

#![expect(clippy::unwrap_used, reason = "a failed step is a failed test")]

use serde_json::{Value, json};
use techex_e2e::{Exchange, Reply, Server, TestDatabase};

fn patch_me(server: &Server, token: &str, body: &Value) -> Reply {
    server
        .request(reqwest::Method::PATCH, "/api/v1/me")
        .bearer(token)
        .json(body)
}

fn a_user_corrects_their_name(db: &TestDatabase) {
    let x = Exchange::start(db, &[]);
    let s = &x.server;
    let changed = patch_me(s, &x.institute, &json!({"full_name": "Nguyễn Thị Lan"}));
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["user"]["full_name"], "Nguyễn Thị Lan");
    assert_eq!(changed.body["user"]["email"], "lan@iet.ac.vn");
    assert_eq!(
        changed.body["organisation"]["name"],
        "Viện Công nghệ Môi trường"
    );
    let me = s.get("/api/v1/me").bearer(&x.institute).send();
    assert_eq!(me.body["user"]["full_name"], "Nguyễn Thị Lan");
    // Operators see the new name among the organisation's members.
    let organisation = me.body["organisation"]["id"].as_str().unwrap();
    let members = s
        .get(&format!("/api/v1/organisations/{organisation}/members"))
        .bearer(&x.operator)
        .send();
    assert_eq!(
        members.body["items"][0]["full_name"], "Nguyễn Thị Lan",
        "{}",
        members.text
    );
    let audit = s
        .get("/api/v1/audit?action=profile_updated")
        .bearer(&x.operator)
        .send();
    assert_eq!(audit.body["total"], 1, "{}", audit.text);
    // The enterprise's account did not move.
    let other = s.get("/api/v1/me").bearer(&x.enterprise).send();
    assert_ne!(other.body["user"]["full_name"], "Nguyễn Thị Lan");
}

fn bad_corrections_are_refused_and_change_nothing(db: &TestDatabase) {
    let x = Exchange::start(db, &[]);
    let s = &x.server;
    let before = s.get("/api/v1/me").bearer(&x.institute).send().body;
    for (body, fields) in [
        (json!({}), vec!["full_name"]),
        (json!({"full_name": "   "}), vec!["full_name"]),
        (json!({"full_name": "x".repeat(201)}), vec!["full_name"]),
        (
            json!({"full_name": "Lan", "email": "lan@else.vn", "role": "admin"}),
            vec!["email", "role"],
        ),
    ] {
        let reply = patch_me(s, &x.institute, &body);
        reply.assert_problem(400, "validation");
        assert_eq!(reply.error_fields(), fields, "{body}: {}", reply.text);
    }
    patch_me(
        s,
        &x.institute,
        &json!({"full_name": "Lan", "nickname": "L"}),
    )
    .assert_problem(400, "validation");
    s.request(reqwest::Method::PATCH, "/api/v1/me")
        .json(&json!({"full_name": "Lan"}))
        .assert_problem(401, "unauthenticated");
    let after = s.get("/api/v1/me").bearer(&x.institute).send().body;
    assert_eq!(after, before);
}

techex_store::on_both_backends!(
    a_user_corrects_their_name,
    bad_corrections_are_refused_and_change_nothing,
);
