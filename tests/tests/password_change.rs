//! Changing one's password, end to end on both backends: the current password is
//! required and its guesses are throttled with failed logins; a change signs out
//! every token issued before it, and only the new password signs in.

use serde_json::{Value, json};
use techex_e2e::{PASSWORD, Reply, Server, TestDatabase};

const NEW: &str = "một mật khẩu mới đủ dài";

fn change(server: &Server, token: &str, body: &Value) -> Reply {
    server.post("/api/v1/me/password").bearer(token).json(body)
}

fn login(server: &Server, password: &str) -> u16 {
    server
        .post("/api/v1/auth/login")
        .json(&json!({"email": "lan@iet.ac.vn", "password": password}))
        .status
}

fn a_changed_password_signs_out_old_tokens(db: &TestDatabase) {
    let s = Server::start(db);
    s.register(
        "lan@iet.ac.vn",
        "Viện Công nghệ Môi trường",
        "research_institute",
    );
    let token = s.login("lan@iet.ac.vn");
    let other_session = s.login("lan@iet.ac.vn");

    let changed = change(
        &s,
        &token,
        &json!({"current_password": PASSWORD, "new_password": NEW}),
    );
    assert_eq!(changed.status, 204, "{}", changed.text);
    for old in [&token, &other_session] {
        s.get("/api/v1/me")
            .bearer(old)
            .send()
            .assert_problem(401, "unauthenticated");
    }
    assert_eq!(login(&s, PASSWORD), 401, "the old password no longer works");
    let fresh = s.login_with("lan@iet.ac.vn", NEW);
    assert_eq!(s.get("/api/v1/me").bearer(&fresh).send().status, 200);

    s.create_operator("op@techmart.vn");
    let operator = s.login("op@techmart.vn");
    let audit = s
        .get("/api/v1/audit?action=password_changed")
        .bearer(&operator)
        .send();
    assert_eq!(audit.body["total"], 1, "{}", audit.text);
}

fn bad_changes_are_refused_and_change_nothing(db: &TestDatabase) {
    let s = Server::start(db);
    s.register(
        "lan@iet.ac.vn",
        "Viện Công nghệ Môi trường",
        "research_institute",
    );
    let token = s.login("lan@iet.ac.vn");
    s.post("/api/v1/me/password")
        .json(&json!({"current_password": PASSWORD, "new_password": NEW}))
        .assert_problem(401, "unauthenticated");
    for (body, field) in [
        (json!({"new_password": NEW}), "current_password"),
        (json!({"current_password": PASSWORD}), "new_password"),
        (
            json!({"current_password": PASSWORD, "new_password": "short"}),
            "new_password",
        ),
        (
            json!({"current_password": PASSWORD, "new_password": PASSWORD}),
            "new_password",
        ),
        (
            json!({"current_password": "not the password", "new_password": NEW}),
            "current_password",
        ),
    ] {
        let reply = change(&s, &token, &body);
        reply.assert_problem(400, "validation");
        assert_eq!(reply.error_fields(), [field], "{body}: {}", reply.text);
    }
    // Nothing changed: the token and the password still work.
    assert_eq!(s.get("/api/v1/me").bearer(&token).send().status, 200);
    assert_eq!(login(&s, PASSWORD), 200);
}

fn guessing_the_current_password_is_throttled_with_logins(db: &TestDatabase) {
    let s = Server::start(db);
    s.register(
        "lan@iet.ac.vn",
        "Viện Công nghệ Môi trường",
        "research_institute",
    );
    let token = s.login("lan@iet.ac.vn");
    for attempt in 1..=5 {
        let guess =
            json!({"current_password": format!("guess number {attempt}"), "new_password": NEW});
        let reply = change(&s, &token, &guess);
        assert_eq!(reply.status, 400, "attempt {attempt}: {}", reply.text);
    }
    // The right password now waits, here and at login: the account is throttled.
    change(
        &s,
        &token,
        &json!({"current_password": PASSWORD, "new_password": NEW}),
    )
    .assert_problem(429, "too-many-requests");
    assert_eq!(login(&s, PASSWORD), 429);
}

techex_store::on_both_backends!(
    a_changed_password_signs_out_old_tokens,
    bad_changes_are_refused_and_change_nothing,
    guessing_the_current_password_is_throttled_with_logins,
);
