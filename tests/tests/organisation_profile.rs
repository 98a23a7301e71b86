//! An organisation corrects its profile, end to end on both backends: its members
//! and operators change the province, country and website, each checked as at
//! registration; the name and kind operators verified are not changed; another
//! organisation's members see nothing.

#![expect(clippy::unwrap_used, reason = "a failed step is a failed test")]

use serde_json::{Value, json};
use techex_e2e::{Exchange, Reply, Server, TestDatabase};

fn patch(server: &Server, token: &str, id: &str, body: &Value) -> Reply {
    server
        .request(
            reqwest::Method::PATCH,
            &format!("/api/v1/organisations/{id}"),
        )
        .bearer(token)
        .json(body)
}

fn members_and_operators_correct_the_profile(db: &TestDatabase) {
    let x = Exchange::start(db, &[]);
    let s = &x.server;
    let me = s.get("/api/v1/me").bearer(&x.institute).send();
    let id = me.body["organisation"]["id"].as_str().unwrap().to_owned();

    let changed = patch(
        s,
        &x.institute,
        &id,
        &json!({"website": "https://iet.ac.vn", "province": "Đà Nẵng"}),
    );
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["website"], "https://iet.ac.vn");
    assert_eq!(changed.body["province"], "da-nang", "stored by its code");
    assert_eq!(changed.body["name"], "Viện Công nghệ Môi trường", "kept");
    // An absent field is kept; an empty one clears it. Operators may correct too.
    let cleared = patch(s, &x.operator, &id, &json!({"website": ""}));
    assert_eq!(cleared.status, 200, "{}", cleared.text);
    assert_eq!(cleared.body["website"], Value::Null);
    assert_eq!(cleared.body["province"], "da-nang");
    let read = s
        .get(&format!("/api/v1/organisations/{id}"))
        .bearer(&x.institute)
        .send();
    assert_eq!(read.body["website"], Value::Null);
    assert_eq!(read.body["province"], "da-nang");
    let audit = s
        .get("/api/v1/audit?action=organisation_updated")
        .bearer(&x.operator)
        .send();
    assert_eq!(audit.body["total"], 2, "{}", audit.text);
}

fn bad_corrections_are_refused_and_change_nothing(db: &TestDatabase) {
    let x = Exchange::start(db, &[]);
    let s = &x.server;
    let me = s.get("/api/v1/me").bearer(&x.institute).send();
    let id = me.body["organisation"]["id"].as_str().unwrap().to_owned();
    for (body, fields) in [
        (json!({"website": "ftp://iet"}), vec!["website"]),
        (json!({"province": "Atlantis"}), vec!["province"]),
        (json!({"country": "Vietnam"}), vec!["country"]),
        (
            json!({"name": "Another name", "kind": "university"}),
            vec!["name", "kind"],
        ),
    ] {
        let reply = patch(s, &x.institute, &id, &body);
        reply.assert_problem(400, "validation");
        assert_eq!(reply.error_fields(), fields, "{body}: {}", reply.text);
    }
    // Another organisation's member: no such organisation, and nothing changes.
    patch(
        s,
        &x.enterprise,
        &id,
        &json!({"website": "https://evil.example"}),
    )
    .assert_problem(404, "not-found");
    let read = s
        .get(&format!("/api/v1/organisations/{id}"))
        .bearer(&x.institute)
        .send();
    assert_eq!(read.body["province"], "ha-noi", "{}", read.text);
    assert_eq!(read.body["website"], Value::Null);
}

techex_store::on_both_backends!(
    members_and_operators_correct_the_profile,
    bad_corrections_are_refused_and_change_nothing,
);
