//! Passwords end to end on both backends. Changing one's own needs the current
//! password, whose guesses are throttled with failed logins. A forgotten one is
//! reset with a token an operator issues, which works once, for a day, and not
//! after a newer reset or a change. Either signs out every earlier token.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step is a failed test"
)]

use serde_json::{Value, json};
use techex_e2e::{PASSWORD, Reply, Server, TestDatabase};

const NEW: &str = "một mật khẩu mới đủ dài";

/// A server with one institute member, lan@iet.ac.vn, whose password is [`PASSWORD`].
fn with_lan(db: &TestDatabase) -> Server {
    let server = Server::start(db);
    server.register(
        "lan@iet.ac.vn",
        "Viện Công nghệ Môi trường",
        "research_institute",
    );
    server
}

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
    let s = with_lan(db);
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
    let s = with_lan(db);
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
    let s = with_lan(db);
    let token = s.login("lan@iet.ac.vn");
    for attempt in 1..=5 {
        let guess =
            json!({"current_password": format!("guess number {attempt}"), "new_password": NEW});
        let reply = change(&s, &token, &guess);
        assert_eq!(reply.status, 400, "attempt {attempt}: {}", reply.text);
    }
    // The right password now waits, here and at login: the account is throttled
    // for this address.
    change(
        &s,
        &token,
        &json!({"current_password": PASSWORD, "new_password": NEW}),
    )
    .assert_problem(429, "too-many-requests");
    assert_eq!(login(&s, PASSWORD), 429);
}

fn user_id(server: &Server, token: &str) -> String {
    let me = server.get("/api/v1/me").bearer(token).send();
    me.body["user"]["id"].as_str().expect("user id").to_owned()
}

fn issue_reset(server: &Server, operator: &str, user: &str) -> Reply {
    server
        .post(&format!("/api/v1/users/{user}/password-reset"))
        .bearer(operator)
        .json(&json!({"reason": "telephoned; identity checked"}))
}

fn reset(server: &Server, token: &str, password: &str) -> Reply {
    server
        .post("/api/v1/auth/reset-password")
        .json(&json!({"token": token, "new_password": password}))
}

fn an_operator_issued_reset_lets_a_locked_out_user_back_in(db: &TestDatabase) {
    let s = with_lan(db);
    let old_session = s.login("lan@iet.ac.vn");
    let lan = user_id(&s, &old_session);
    for _ in 0..5 {
        assert_eq!(login(&s, "a forgotten password"), 401);
    }
    assert_eq!(login(&s, PASSWORD), 429, "locked out");

    s.create_operator("op@techmart.vn");
    let operator = s.login("op@techmart.vn");
    let issued = issue_reset(&s, &operator, &lan);
    assert_eq!(issued.status, 201, "{}", issued.text);
    assert_eq!(issued.body["user_id"], lan.as_str());
    let token = issued.body["token"]
        .as_str()
        .expect("the token, shown once");
    assert!(token.starts_with("pwr_"), "{token}");
    // Until the token is used, the old password stands.
    assert_eq!(s.get("/api/v1/me").bearer(&old_session).send().status, 200);

    let short = reset(&s, token, "short");
    short.assert_problem(400, "validation");
    assert_eq!(short.error_fields(), ["new_password"]);
    let made_up = reset(&s, "pwr_0000", NEW);
    made_up.assert_problem(400, "validation");
    assert_eq!(made_up.error_fields(), ["token"]);

    let done = reset(&s, token, NEW);
    assert_eq!(done.status, 204, "{}", done.text);
    s.get("/api/v1/me")
        .bearer(&old_session)
        .send()
        .assert_problem(401, "unauthenticated");
    assert_eq!(
        login(&s, NEW),
        200,
        "signed in at once, no longer throttled"
    );
    assert_eq!(login(&s, PASSWORD), 401);
    reset(&s, token, "yet another password").assert_problem(400, "validation");
    for action in ["password_reset_issued", "password_reset"] {
        let audit = s
            .get(&format!("/api/v1/audit?action={action}"))
            .bearer(&operator)
            .send();
        assert_eq!(audit.body["total"], 1, "{action}: {}", audit.text);
    }
}

fn a_newer_reset_or_a_password_change_voids_a_reset(db: &TestDatabase) {
    let s = with_lan(db);
    let session = s.login("lan@iet.ac.vn");
    let lan = user_id(&s, &session);
    s.create_operator("op@techmart.vn");
    let operator = s.login("op@techmart.vn");
    let first = issue_reset(&s, &operator, &lan).body["token"].clone();
    let second = issue_reset(&s, &operator, &lan).body["token"].clone();
    reset(&s, first.as_str().unwrap(), NEW).assert_problem(400, "validation");
    let changed = change(
        &s,
        &session,
        &json!({"current_password": PASSWORD, "new_password": NEW}),
    );
    assert_eq!(changed.status, 204, "{}", changed.text);
    reset(&s, second.as_str().unwrap(), "yet another password").assert_problem(400, "validation");
    assert_eq!(login(&s, NEW), 200);
}

fn only_operators_issue_resets_and_not_for_themselves(db: &TestDatabase) {
    let s = with_lan(db);
    s.register("minh@detmay.vn", "Công ty Dệt may Hòa Bình", "enterprise");
    let lan_session = s.login("lan@iet.ac.vn");
    let lan = user_id(&s, &lan_session);
    let minh = s.login("minh@detmay.vn");
    issue_reset(&s, &minh, &lan).assert_problem(403, "forbidden");
    issue_reset(&s, &lan_session, &lan).assert_problem(403, "forbidden");
    let (operator, operator_id) = s.operator_account("op@techmart.vn");
    issue_reset(&s, &operator, &operator_id).assert_problem(403, "forbidden");
    issue_reset(&s, &operator, "0190f5d5-0000-7000-8000-000000000000")
        .assert_problem(404, "not-found");
    let bad_id = issue_reset(&s, &operator, "nope");
    bad_id.assert_problem(400, "validation");
    assert_eq!(bad_id.error_fields(), ["id"]);
    let no_reason = s
        .post(&format!("/api/v1/users/{lan}/password-reset"))
        .bearer(&operator)
        .json(&json!({"reason": ""}));
    no_reason.assert_problem(400, "validation");
    assert_eq!(no_reason.error_fields(), ["reason"]);
    // Nothing was issued: the password stands.
    assert_eq!(login(&s, PASSWORD), 200);
}

techex_store::on_both_backends!(
    an_operator_issued_reset_lets_a_locked_out_user_back_in,
    a_newer_reset_or_a_password_change_voids_a_reset,
    only_operators_issue_resets_and_not_for_themselves,
    a_changed_password_signs_out_old_tokens,
    bad_changes_are_refused_and_change_nothing,
    guessing_the_current_password_is_throttled_with_logins,
);
