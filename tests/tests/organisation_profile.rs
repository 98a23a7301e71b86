//! An organisation corrects its profile, end to end on both backends: its members
//! and operators change the province, country and website, each checked as at
//! registration; only operators rename it, never to another verified
//! organisation's name; its kind is not changed; another organisation's members
//! see nothing.

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

fn operators_rename_an_organisation_and_members_cannot(db: &TestDatabase) {
    let x = Exchange::start(db, &[]);
    let s = &x.server;
    let org_of = |token: &str| {
        let me = s.get("/api/v1/me").bearer(token).send();
        me.body["organisation"]["id"].as_str().unwrap().to_owned()
    };
    let institute = org_of(&x.institute);
    let enterprise = org_of(&x.enterprise);
    // The note is optional: a `null` body is none, as the OpenAPI document says.
    let verified = s
        .post(&format!("/api/v1/organisations/{enterprise}/verify"))
        .bearer(&x.operator)
        .raw("application/json", "null");
    assert_eq!(verified.status, 200, "{}", verified.text);
    assert_eq!(verified.body["verified"], true, "{}", verified.text);

    // A member may not rename its own organisation, even alone.
    let refused = patch(s, &x.institute, &institute, &json!({"name": "Viện Mới"}));
    refused.assert_problem(400, "validation");
    assert_eq!(refused.error_fields(), ["name"], "{}", refused.text);
    // An operator may not give it another verified organisation's name, nor a
    // blank one, nor change its kind; none of these changes anything.
    patch(
        s,
        &x.operator,
        &institute,
        &json!({"name": "Công ty Dệt may Hòa Bình", "website": "https://iet.ac.vn"}),
    )
    .assert_problem(409, "conflict");
    for (body, field) in [
        (json!({"name": "   "}), "name"),
        (json!({"name": "x".repeat(500)}), "name"),
        (json!({"name": "Viện Mới", "kind": "enterprise"}), "kind"),
    ] {
        let reply = patch(s, &x.operator, &institute, &body);
        reply.assert_problem(400, "validation");
        assert_eq!(reply.error_fields(), [field], "{body}: {}", reply.text);
    }
    let unchanged = s
        .get(&format!("/api/v1/organisations/{institute}"))
        .bearer(&x.institute)
        .send();
    assert_eq!(unchanged.body["name"], "Viện Công nghệ Môi trường");
    assert_eq!(unchanged.body["website"], Value::Null);

    // The operator renames it: its members see the new name, and the audit log
    // keeps the old one.
    let renamed = patch(
        s,
        &x.operator,
        &institute,
        &json!({"name": "  Viện Công nghệ Môi trường và Tài nguyên  "}),
    );
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    assert_eq!(
        renamed.body["name"], "Viện Công nghệ Môi trường và Tài nguyên",
        "trimmed as at registration"
    );
    assert_eq!(renamed.body["kind"], "research_institute");
    let me = s.get("/api/v1/me").bearer(&x.institute).send();
    assert_eq!(
        me.body["organisation"]["name"],
        "Viện Công nghệ Môi trường và Tài nguyên"
    );
    let audit = s
        .get("/api/v1/audit?action=organisation_updated")
        .bearer(&x.operator)
        .send();
    assert_eq!(audit.body["total"], 1, "{}", audit.text);
    let detail = audit.body["items"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("renamed from \"Viện Công nghệ Môi trường\""),
        "{detail}"
    );
    // The same name again is no rename, and no conflict with itself.
    let again = patch(
        s,
        &x.operator,
        &institute,
        &json!({"name": "Viện Công nghệ Môi trường và Tài nguyên"}),
    );
    assert_eq!(again.status, 200, "{}", again.text);
}

techex_store::on_both_backends!(
    members_and_operators_correct_the_profile,
    bad_corrections_are_refused_and_change_nothing,
    operators_rename_an_organisation_and_members_cannot,
);
