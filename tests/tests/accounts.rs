//! Accounts, authentication and authorisation, end to end: the real binary over
//! HTTP, on SQLite and on PostgreSQL.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step is a failed test"
)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use techex_e2e::{JWT_SECRET, PASSWORD, Server, TestDatabase};

fn register_login_and_me(db: &TestDatabase) {
    let server = Server::start(db);
    let account = server.register(
        "Lan.Nguyen@VAST.vn",
        "Viện Công nghệ Môi trường",
        "research_institute",
    );
    assert_eq!(
        account["user"]["email"], "lan.nguyen@vast.vn",
        "e-mails are stored lower-cased"
    );
    assert_eq!(account["user"]["role"], "member");
    assert_eq!(account["organisation"]["verified"], false);
    assert_eq!(account["organisation"]["name"], "Viện Công nghệ Môi trường");
    assert!(
        account["user"].get("password_hash").is_none(),
        "the hash never leaves the server"
    );

    let login = server
        .post("/api/v1/auth/login")
        .json(&json!({"email": "LAN.NGUYEN@vast.vn", "password": PASSWORD}));
    assert_eq!(login.status, 200, "{}", login.text);
    assert_eq!(login.body["token_type"], "Bearer");
    assert_eq!(login.body["expires_in"], 900);
    let token = login.body["access_token"].as_str().unwrap();

    let me = server.get("/api/v1/me").bearer(token).send();
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["user"]["id"], account["user"]["id"]);
    assert_eq!(me.body["organisation"]["id"], account["organisation"]["id"]);
    assert_eq!(
        me.body["organisation"]["province"], "ha-noi",
        "stored by its code"
    );
}

fn validation_errors_name_every_field_and_store_nothing(db: &TestDatabase) {
    let server = Server::start(db);
    let reply = server.post("/api/v1/auth/register").json(&json!({
        "organisation": {"name": "X", "kind": "ministry", "country": "Vietnam", "website": "not a url"},
        "user": {"email": "lan-at-vast.vn", "password": "short"}
    }));
    reply.assert_problem(400, "validation");
    let mut fields = reply.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "organisation.country",
            "organisation.kind",
            "organisation.name",
            "organisation.website",
            "user.email",
            "user.full_name",
            "user.password"
        ]
    );

    // A wrongly typed field is named too, with its path.
    let typed = server.post("/api/v1/auth/register").json(&json!({
        "organisation": {"name": 42, "kind": "university"},
        "user": {"email": "a@b.vn", "password": PASSWORD, "full_name": "A"}
    }));
    typed.assert_problem(400, "validation");
    assert_eq!(typed.error_fields(), ["organisation.name"]);

    // An exchange is set up by its operators, not claimed through the form.
    let exchange = server.post("/api/v1/auth/register").json(&json!({
        "organisation": {"name": "Sàn giao dịch công nghệ", "kind": "exchange", "province": "Hà Nội"},
        "user": {"email": "a@b.vn", "password": PASSWORD, "full_name": "Nguyễn Văn A"}
    }));
    exchange.assert_problem(400, "validation");
    assert_eq!(exchange.error_fields(), ["organisation.kind"]);
    // An unknown kind is answered with the kinds that may register, only.
    let unknown = server.post("/api/v1/auth/register").json(&json!({
        "organisation": {"name": "Công ty ZZZ", "kind": "zzz", "province": "Hà Nội"},
        "user": {"email": "a@b.vn", "password": PASSWORD, "full_name": "Nguyễn Văn A"}
    }));
    unknown.assert_problem(400, "validation");
    assert_eq!(unknown.error_fields(), ["organisation.kind"]);
    assert_eq!(
        unknown.body["errors"][0]["message"],
        "must be one of: research_institute, university, enterprise, startup"
    );

    // Nothing was stored: the e-mail of the refused registration is still free.
    server.register("a@b.vn", "Trường Đại học Bách khoa", "university");
}

fn duplicate_email_is_a_conflict(db: &TestDatabase) {
    let server = Server::start(db);
    server.register("an@hust.edu.vn", "Đại học Bách khoa Hà Nội", "university");
    let again = server.post("/api/v1/auth/register").json(&json!({
        "organisation": {"name": "Công ty Khác", "kind": "enterprise"},
        "user": {"email": "AN@hust.edu.vn", "password": PASSWORD, "full_name": "An"}
    }));
    let problem = again.assert_problem(409, "conflict");
    assert!(problem["detail"].as_str().unwrap().contains("e-mail"));
    // Nor does a full-width look-alike of it pass for a different address.
    let look_alike = server.post("/api/v1/auth/register").json(&json!({
        "organisation": {"name": "Công ty Khác", "kind": "enterprise"},
        "user": {"email": "\u{ff41}\u{ff4e}@hust.edu.vn", "password": PASSWORD, "full_name": "An"}
    }));
    look_alike.assert_problem(400, "validation");
    assert_eq!(look_alike.error_fields(), ["user.email"]);
    let message = look_alike.body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("did you mean an@hust.edu.vn?"),
        "{message}"
    );
}

fn wrong_password_and_unknown_email_get_the_same_answer(db: &TestDatabase) {
    let server = Server::start(db);
    server.register("binh@vinachem.vn", "Tập đoàn Hóa chất", "enterprise");
    let wrong = server
        .post("/api/v1/auth/login")
        .json(&json!({"email": "binh@vinachem.vn", "password": "not the password"}));
    let unknown = server
        .post("/api/v1/auth/login")
        .json(&json!({"email": "nobody@vinachem.vn", "password": "not the password"}));
    wrong.assert_problem(401, "invalid-credentials");
    unknown.assert_problem(401, "invalid-credentials");
    let strip = |body: &Value| {
        let mut body = body.clone();
        body.as_object_mut().unwrap().remove("request_id");
        body
    };
    assert_eq!(strip(&wrong.body), strip(&unknown.body));
    assert_eq!(
        wrong.header("www-authenticate"),
        unknown.header("www-authenticate")
    );
}

fn claims(sub: &str, iat: i64, exp: i64) -> Value {
    json!({"sub": sub, "iss": "techex", "aud": "techex-api", "iat": iat, "exp": exp, "jti": "t"})
}

fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn tampered_expired_and_unsigned_tokens_are_refused(db: &TestDatabase) {
    let server = Server::start(db);
    let account = server.register("chi@iop.vast.vn", "Viện Vật lý", "research_institute");
    let user_id = account["user"]["id"].as_str().unwrap();
    let now = chrono::Utc::now().timestamp();

    // Sanity: a token forged with the real secret and valid claims is accepted, so
    // the refusals below are about what was changed.
    let valid = sign(&claims(user_id, now, now + 600), JWT_SECRET);
    assert_eq!(server.get("/api/v1/me").bearer(&valid).send().status, 200);

    let good = server.login("chi@iop.vast.vn");
    let (head, rest) = good.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let escalated = URL_SAFE_NO_PAD
        .encode(claims(&uuid::Uuid::now_v7().to_string(), now, now + 600).to_string());
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims(user_id, now, now + 600).to_string());
    let mut wrong_audience = claims(user_id, now, now + 600);
    wrong_audience["aud"] = json!("another-service");

    let refused = [
        (
            "tampered payload",
            format!("{head}.{escalated}.{signature}"),
        ),
        (
            "expired",
            sign(&claims(user_id, now - 3600, now - 1800), JWT_SECRET),
        ),
        ("alg none", format!("{none_header}.{payload}.")),
        (
            "other secret",
            sign(
                &claims(user_id, now, now + 600),
                "another-secret-0123456789abcdef-0123",
            ),
        ),
        ("wrong audience", sign(&wrong_audience, JWT_SECRET)),
        (
            "issued in the future",
            sign(&claims(user_id, now + 3600, now + 7200), JWT_SECRET),
        ),
        ("garbage", "not.a.token".to_owned()),
    ];
    for (what, token) in refused {
        let reply = server.get("/api/v1/me").bearer(&token).send();
        assert_eq!(
            reply.status, 401,
            "{what} token was not refused: {}",
            reply.text
        );
        reply.assert_problem(401, "unauthenticated");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    }
    server
        .get("/api/v1/me")
        .send()
        .assert_problem(401, "unauthenticated");
}

fn members_are_refused_operator_routes_and_refusals_are_audited(db: &TestDatabase) {
    let server = Server::start(db);
    let account = server.register("dung@thaco.vn", "Công ty Cơ khí", "enterprise");
    let member = server.login("dung@thaco.vn");
    let organisation = account["organisation"]["id"].as_str().unwrap();
    let user = account["user"]["id"].as_str().unwrap();

    let attempts = [
        server.get("/api/v1/organisations").bearer(&member).send(),
        server.get("/api/v1/users").bearer(&member).send(),
        server.get("/api/v1/audit").bearer(&member).send(),
        server
            .post(&format!("/api/v1/organisations/{organisation}/verify"))
            .bearer(&member)
            .send(),
        server
            .post(&format!("/api/v1/users/{user}/role"))
            .bearer(&member)
            .json(&json!({"role": "operator", "reason": "I want it"})),
    ];
    for reply in &attempts {
        reply.assert_problem(403, "forbidden");
    }
    // A member cannot read another organisation either.
    let other = server.register("em@vnu.edu.vn", "Đại học Quốc gia", "university");
    let other_id = other["organisation"]["id"].as_str().unwrap();
    server
        .get(&format!("/api/v1/organisations/{other_id}"))
        .bearer(&member)
        .send()
        .assert_problem(404, "not-found");
    let own = server
        .get(&format!("/api/v1/organisations/{organisation}"))
        .bearer(&member)
        .send();
    assert_eq!(own.status, 200);

    server.create_operator("op@techmart.vn");
    let operator = server.login("op@techmart.vn");
    let denied = server
        .get(&format!("/api/v1/audit?action=access_denied&actor={user}"))
        .bearer(&operator)
        .send();
    assert_eq!(denied.status, 200, "{}", denied.text);
    assert_eq!(
        denied.body["total"], 6,
        "every refusal is in the audit log: {}",
        denied.text
    );
    let role_refusal = denied.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["object_id"]
                .as_str()
                .is_some_and(|r| r.ends_with("/role"))
        })
        .expect("the role change attempt is audited");
    assert_eq!(role_refusal["actor"], user);
}

fn operators_verify_organisations_and_manage_users(db: &TestDatabase) {
    let server = Server::start(db);
    server.create_operator("op@techmart.vn");
    let operator = server.login("op@techmart.vn");
    let account = server.register("giang@sabeco.vn", "Tổng công ty Bia", "enterprise");
    let organisation = account["organisation"]["id"].as_str().unwrap();
    let user = account["user"]["id"].as_str().unwrap();
    let member = server.login("giang@sabeco.vn");

    let unverified = server
        .get("/api/v1/organisations?verified=false&kind=enterprise")
        .bearer(&operator)
        .send();
    assert_eq!(unverified.status, 200, "{}", unverified.text);
    assert_eq!(unverified.body["total"], 1);
    assert_eq!(unverified.body["items"][0]["id"], organisation);

    let verified = server
        .post(&format!("/api/v1/organisations/{organisation}/verify"))
        .bearer(&operator)
        .json(&json!({"note": "business registration 0301234567 checked"}));
    assert_eq!(verified.status, 200, "{}", verified.text);
    assert_eq!(verified.body["verified"], true);
    let me = server.get("/api/v1/me").bearer(&member).send();
    assert_eq!(
        me.body["organisation"]["verified"], true,
        "the member sees the verification"
    );
    let audit = server
        .get(&format!(
            "/api/v1/audit?action=organisation_verified&object_id={organisation}"
        ))
        .bearer(&operator)
        .send();
    assert_eq!(audit.body["total"], 1);
    assert_eq!(
        audit.body["items"][0]["detail"],
        "business registration 0301234567 checked"
    );
    // The period may be given as plain dates, the last one included whole.
    let today = chrono::Utc::now().date_naive();
    let by_day = server
        .get(&format!(
            "/api/v1/audit?action=organisation_verified&from={today}&to={today}"
        ))
        .bearer(&operator)
        .send();
    assert_eq!(by_day.body["total"], 1, "{}", by_day.text);
    let half_a_date = server
        .get("/api/v1/audit?from=2026-12")
        .bearer(&operator)
        .send();
    half_a_date.assert_problem(400, "validation");
    assert_eq!(half_a_date.error_fields(), ["from"]);
    let message = half_a_date.body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("YYYY-MM-DD"), "{message}");

    // Disabling cuts off the account's existing token and its logins at once.
    let no_reason = server
        .post(&format!("/api/v1/users/{user}/disable"))
        .bearer(&operator)
        .json(&json!({"reason": " "}));
    no_reason.assert_problem(400, "validation");
    assert_eq!(no_reason.error_fields(), ["reason"]);
    let disabled = server
        .post(&format!("/api/v1/users/{user}/disable"))
        .bearer(&operator)
        .json(&json!({"reason": "left the company"}));
    assert_eq!(disabled.status, 200, "{}", disabled.text);
    assert_eq!(disabled.body["disabled"], true);
    server
        .get("/api/v1/me")
        .bearer(&member)
        .send()
        .assert_problem(401, "unauthenticated");
    server
        .post("/api/v1/auth/login")
        .json(&json!({"email": "giang@sabeco.vn", "password": PASSWORD}))
        .assert_problem(401, "invalid-credentials");
    let enabled = server
        .post(&format!("/api/v1/users/{user}/enable"))
        .bearer(&operator)
        .json(&json!({"reason": "rejoined"}));
    assert_eq!(enabled.body["disabled"], false);
    // Enabling does not bring back the tokens the disabling revoked: the account
    // returns through a new login.
    let revoked = server.get("/api/v1/me").bearer(&member).send();
    revoked.assert_problem(401, "unauthenticated");
    assert!(
        revoked.body["detail"]
            .as_str()
            .unwrap()
            .contains("log in again"),
        "{}",
        revoked.text
    );
    let again = server.login("giang@sabeco.vn");
    assert_eq!(server.get("/api/v1/me").bearer(&again).send().status, 200);

    // The operator role stays within the exchange: an enterprise's member made
    // operator would review their own organisation's listings.
    let outsider = server
        .post(&format!("/api/v1/users/{user}/role"))
        .bearer(&operator)
        .json(&json!({"role": "operator", "reason": "helpful member"}));
    outsider.assert_problem_saying(403, "forbidden", "own organisation");
    assert_eq!(
        server.get("/api/v1/users").bearer(&again).send().status,
        403,
        "still a member"
    );
    // Exchange staff change roles: a colleague made member loses the operator
    // routes at once, and granted the role again has them back.
    let (colleague, colleague_id) = server.operator_account("hoa@techmart.vn");
    for (role, users_status) in [("member", 403), ("operator", 200)] {
        let changed = server
            .post(&format!("/api/v1/users/{colleague_id}/role"))
            .bearer(&operator)
            .json(&json!({"role": role, "reason": "staff change"}));
        assert_eq!(changed.body["role"], role, "{}", changed.text);
        assert_eq!(
            server.get("/api/v1/users").bearer(&colleague).send().status,
            users_status
        );
    }
    // An operator cannot make anyone an admin, nor change their own account.
    server
        .post(&format!("/api/v1/users/{user}/role"))
        .bearer(&operator)
        .json(&json!({"role": "admin", "reason": "x"}))
        .assert_problem(403, "forbidden");
    let me_operator = server.get("/api/v1/me").bearer(&operator).send();
    let operator_id = me_operator.body["user"]["id"].as_str().unwrap();
    server
        .post(&format!("/api/v1/users/{operator_id}/disable"))
        .bearer(&operator)
        .json(&json!({"reason": "oops"}))
        .assert_problem(403, "forbidden");

    let unknown = uuid::Uuid::now_v7();
    server
        .post(&format!("/api/v1/organisations/{unknown}/verify"))
        .bearer(&operator)
        .send()
        .assert_problem(404, "not-found");
    let bad_id = server
        .post("/api/v1/organisations/42/verify")
        .bearer(&operator)
        .send();
    bad_id.assert_problem(400, "validation");
    assert_eq!(bad_id.error_fields(), ["id"]);
}

fn repeated_failed_logins_are_throttled(db: &TestDatabase) {
    let server = Server::start(db);
    server.register("hoa@viettel.vn", "Viettel", "enterprise");
    for attempt in 1..=5 {
        let reply = server
            .post("/api/v1/auth/login")
            .json(&json!({"email": "hoa@viettel.vn", "password": "guess number x"}));
        assert_eq!(reply.status, 401, "attempt {attempt}");
    }
    // Now even the right password waits: the account is throttled for this address.
    let throttled = server
        .post("/api/v1/auth/login")
        .json(&json!({"email": "HOA@viettel.vn", "password": PASSWORD}));
    throttled.assert_problem(429, "too-many-requests");
    let retry_after: u64 = throttled
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!(
        (1..=900).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    // Other accounts are not affected by this account's failures.
    server.register("khanh@fpt.vn", "FPT", "enterprise");
    server.login("khanh@fpt.vn");

    server.create_operator("op@techmart.vn");
    let operator = server.login("op@techmart.vn");
    let failed = server
        .get("/api/v1/audit?action=login_failed")
        .bearer(&operator)
        .send();
    assert_eq!(failed.body["total"], 5, "every failed attempt is audited");
    let throttled = server
        .get("/api/v1/audit?action=login_throttled")
        .bearer(&operator)
        .send();
    assert_eq!(throttled.body["total"], 1);
}

/// A guesser at one address locks only itself out of the account; its owner signs
/// in from elsewhere. Failures from many addresses together lock the account.
fn a_guesser_locks_out_its_own_address_not_the_owner(db: &TestDatabase) {
    let server = Server::start_with(
        db,
        &[
            ("TECHEX_TRUST_PROXY_HEADERS", "true"),
            ("TECHEX_LOGIN_PER_ACCOUNT_FAILURES_ALL_ADDRESSES", "8"),
        ],
    );
    server.register("hoa@viettel.vn", "Viettel", "enterprise");
    let login_from = |address: &str, password: &str| {
        server
            .post("/api/v1/auth/login")
            .header("x-forwarded-for", address)
            .json(&json!({"email": "hoa@viettel.vn", "password": password}))
            .status
    };
    for attempt in 1..=5 {
        assert_eq!(
            login_from("203.0.113.7", "guess number x"),
            401,
            "attempt {attempt}"
        );
    }
    assert_eq!(
        login_from("203.0.113.7", PASSWORD),
        429,
        "the guesser waits"
    );
    assert_eq!(
        login_from("198.51.100.2", PASSWORD),
        200,
        "the owner does not"
    );
    // Three more failures from a second address make eight on the account.
    for attempt in 1..=3 {
        assert_eq!(
            login_from("203.0.113.8", "guess number y"),
            401,
            "attempt {attempt}"
        );
    }
    assert_eq!(
        login_from("198.51.100.2", PASSWORD),
        429,
        "the account is throttled everywhere"
    );
}

fn logins_are_throttled_per_client_address(db: &TestDatabase) {
    let server = Server::start_with(db, &[("TECHEX_LOGIN_PER_ADDRESS_PER_MINUTE", "3")]);
    for i in 0..3 {
        let reply = server
            .post("/api/v1/auth/login")
            .json(&json!({"email": format!("u{i}@x.vn"), "password": "whatever123"}));
        assert_eq!(reply.status, 401);
    }
    let reply = server
        .post("/api/v1/auth/login")
        .json(&json!({"email": "u9@x.vn", "password": "whatever123"}));
    reply.assert_problem(429, "too-many-requests");
    assert!(reply.header("retry-after").is_some());
}

fn malformed_oversized_and_misrouted_requests_get_problems(db: &TestDatabase) {
    let server = Server::start_with(db, &[("TECHEX_JSON_BODY_LIMIT", "2048")]);
    let malformed = server
        .post("/api/v1/auth/login")
        .raw("application/json", "{\"email\": ");
    malformed.assert_problem(400, "bad-request");
    assert!(
        malformed.body["detail"]
            .as_str()
            .unwrap()
            .contains("malformed JSON")
    );

    let big = json!({"email": "a".repeat(4000), "password": "x"}).to_string();
    let oversized = server
        .post("/api/v1/auth/login")
        .raw("application/json", big);
    oversized.assert_problem(413, "payload-too-large");
    assert!(oversized.body["detail"].as_str().unwrap().contains("2048"));

    // A body that is not in the encoding it claims is described in plain words.
    let not_gzip = server
        .post("/api/v1/auth/login")
        .header("content-encoding", "gzip")
        .raw("application/json", "{\"email\": \"a@b.vn\"}");
    not_gzip.assert_problem(400, "bad-request");
    let detail = not_gzip.body["detail"].as_str().unwrap();
    assert!(detail.contains("Content-Encoding"), "{detail}");
    assert!(
        !detail.contains("Some(") && !detail.contains("Custom"),
        "{detail}"
    );

    server
        .post("/api/v1/auth/login")
        .raw("text/plain", "hello")
        .assert_problem(415, "unsupported-media-type");
    let unknown = server.get("/api/v1/no-such-thing").send();
    unknown.assert_problem(404, "not-found");
    assert_eq!(unknown.body["instance"], "/api/v1/no-such-thing");
    server
        .request(reqwest::Method::DELETE, "/api/v1/auth/login")
        .send()
        .assert_problem(405, "method-not-allowed");
    // The server is still healthy and nothing was stored by any of it.
    assert_eq!(server.get("/healthz").send().status, 200);
}

/// A method a path does not take is 405, and `Allow` lists the methods it does
/// (RFC 9110 §15.5.6), from the route table itself.
fn a_method_a_path_does_not_take_is_405_listing_the_allowed_ones(db: &TestDatabase) {
    use reqwest::Method;
    let server = Server::start(db);
    let some_id = uuid::Uuid::now_v7();
    let cases: [(Method, String, &[&str]); 6] = [
        (Method::DELETE, "/api/v1/search".into(), &["GET"]),
        (Method::PUT, "/healthz".into(), &["GET", "HEAD"]),
        (Method::POST, "/metrics".into(), &["GET"]),
        (Method::DELETE, "/api/v1/listings".into(), &["GET", "POST"]),
        (
            Method::PUT,
            format!("/api/v1/listings/{some_id}"),
            &["DELETE", "GET", "PATCH"],
        ),
        (
            Method::PATCH,
            format!("/api/v1/webhooks/{some_id}"),
            &["DELETE", "GET"],
        ),
    ];
    for (method, path, allowed) in cases {
        let reply = server.request(method.clone(), &path).send();
        reply.assert_problem(405, "method-not-allowed");
        let allow = reply
            .header("allow")
            .unwrap_or_else(|| panic!("{method} {path}: no Allow header"));
        let mut listed: Vec<&str> = allow.split(',').map(str::trim).collect();
        listed.sort_unstable();
        assert_eq!(listed, allowed, "{method} {path}: Allow: {allow}");
    }
    // The methods listed are really taken.
    assert_eq!(server.get("/api/v1/search").send().status, 200);
    assert_eq!(server.request(Method::HEAD, "/healthz").send().status, 200);
}

/// A request target over 8 KiB is refused with a 414 problem; a shorter one is read
/// (here, a search text over its 500 characters is a validation problem).
fn an_over_long_request_target_is_414(db: &TestDatabase) {
    let server = Server::start(db);
    let long = server
        .get(&format!("/api/v1/search?q={}", "a".repeat(10_000)))
        .send();
    long.assert_problem_saying(414, "uri-too-long", "the limit is 8192");
    assert_eq!(long.body["instance"], "/api/v1/search");
    // Just under the limit: the application reads the request and names the field.
    let path = "/api/v1/search?q=";
    let under = server
        .get(&format!("{path}{}", "a".repeat(8192 - path.len())))
        .send();
    under.assert_problem(400, "validation");
    assert_eq!(under.error_fields(), ["q"]);
    // The limit is on the whole target, before routing or authentication.
    server
        .get(&format!("/api/v1/me?{}", "x".repeat(9_000)))
        .send()
        .assert_problem(414, "uri-too-long");
}

/// Who is asking is settled before what was asked is judged: a caller without a
/// valid token gets 401, and a member on an operator route 403, whatever is wrong
/// with the body or the query string; only a caller who may ask learns that.
fn callers_are_refused_before_their_requests_are_judged(db: &TestDatabase) {
    let server = Server::start(db);
    let account = server.register("dung@thaco.vn", "Công ty Cơ khí", "enterprise");
    let member = server.login("dung@thaco.vn");
    let user = account["user"]["id"].as_str().unwrap();
    let nobody = "00000000-0000-0000-0000-000000000000";
    let bodies = [
        format!("/api/v1/users/{user}/disable"),
        format!("/api/v1/users/{user}/role"),
        format!("/api/v1/listings/{nobody}/reject"),
        format!("/api/v1/listings/{nobody}/approve"),
        "/api/v1/interests/broker".to_owned(),
        format!("/api/v1/interests/{nobody}/notes"),
        "/api/v1/listings".to_owned(),
        format!("/api/v1/interests/{nobody}/messages"),
        "/api/v1/webhooks".to_owned(),
    ];
    let operator_routes = &bodies[..6];
    for path in &bodies {
        for token in [None, Some("x")] {
            let call = server.post(path);
            let call = match token {
                Some(token) => call.bearer(token),
                None => call,
            };
            call.raw("application/json", "{bad")
                .assert_problem(401, "unauthenticated");
        }
        server
            .post(path)
            .raw("text/plain", "hello")
            .assert_problem(401, "unauthenticated");
    }
    // A token that is sent must be valid on public routes too.
    for path in [
        "/api/v1/organisations?page=zero",
        &format!("/api/v1/listings/{nobody}/matches?limit=many"),
        "/api/v1/listings?per_page=many",
        "/api/v1/search?q=water",
        "/api/v1/stats/public",
    ] {
        server
            .get(path)
            .bearer("x")
            .send()
            .assert_problem(401, "unauthenticated");
    }

    // A member on an operator route is refused as such, and the refusal audited,
    // whatever is wrong with the body.
    for path in operator_routes {
        server
            .post(path)
            .bearer(&member)
            .raw("application/json", "{bad")
            .assert_problem(403, "forbidden");
    }
    server
        .post(&bodies[3])
        .bearer(&member)
        .json(&json!({"version": "x"}))
        .assert_problem(403, "forbidden");
    server
        .get("/api/v1/organisations?page=zero")
        .bearer(&member)
        .send()
        .assert_problem(403, "forbidden");

    // A caller who may ask is told what is wrong with the request.
    server
        .post("/api/v1/listings")
        .bearer(&member)
        .raw("application/json", "{bad")
        .assert_problem(400, "bad-request");
    server.create_operator("op@techmart.vn");
    let operator = server.login("op@techmart.vn");
    let bad_query = server
        .get("/api/v1/organisations?page=zero")
        .bearer(&operator)
        .send();
    bad_query.assert_problem(400, "validation");
    assert_eq!(bad_query.error_fields(), ["page"]);
    server
        .post(&format!("/api/v1/users/{user}/role"))
        .bearer(&operator)
        .raw("text/plain", "hello")
        .assert_problem(415, "unsupported-media-type");
    let denied = server
        .get(&format!("/api/v1/audit?action=access_denied&actor={user}"))
        .bearer(&operator)
        .send();
    assert_eq!(denied.body["total"], 8, "{}", denied.text);
}

fn health_readiness_metrics_and_api_document(db: &TestDatabase) {
    let server = Server::start(db);
    let health = server.get("/healthz").send();
    assert_eq!(
        (health.status, health.body["status"].as_str()),
        (200, Some("ok"))
    );
    // Ready once the indexer's first pass is done: on an empty exchange, at once.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut ready = server.get("/readyz").send();
    while ready.status == 503 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
        ready = server.get("/readyz").send();
    }
    assert_eq!(ready.status, 200, "{}", ready.text);
    for path in ["/healthz", "/readyz"] {
        let probe = server.request(reqwest::Method::HEAD, path).send();
        assert_eq!(
            (probe.status, probe.text.as_str()),
            (200, ""),
            "HEAD {path}"
        );
    }
    let backend = match db.url() {
        techex_store::DatabaseUrl::Postgres(_) => "postgres",
        techex_store::DatabaseUrl::Sqlite(_) => "sqlite",
    };
    assert_eq!(ready.body["database"], backend);

    let reply = server
        .get("/healthz")
        .header("x-request-id", "trace-me-123")
        .send();
    assert_eq!(
        reply.header("x-request-id"),
        Some("trace-me-123"),
        "a caller's request id is kept"
    );
    let generated = server.get("/healthz").send();
    assert!(
        generated
            .header("x-request-id")
            .is_some_and(|id| id.len() >= 16)
    );

    server
        .post("/api/v1/auth/login")
        .json(&json!({"email": "a@b.vn", "password": "whatever123"}));
    let metrics = server.get("/metrics").send();
    assert!(metrics.content_type().starts_with("text/plain"));
    assert!(
        metrics.text.contains(
            r#"techex_http_requests_total{method="GET",route="/healthz",status="200"} 3"#
        ),
        "{}",
        metrics.text
    );
    assert!(
        metrics
            .text
            .contains(r#"techex_login_attempts_total{outcome="failed"} 1"#)
    );

    let document = server.get("/api/openapi.json").send();
    assert_eq!(document.status, 200);
    assert!(document.body["openapi"].as_str().unwrap().starts_with("3."));
    let paths = document.body["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/auth/register", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/organisations", "get"),
        ("/api/v1/organisations/{id}", "get"),
        ("/api/v1/organisations/{id}/verify", "post"),
        ("/api/v1/users", "get"),
        ("/api/v1/users/{id}/disable", "post"),
        ("/api/v1/users/{id}/enable", "post"),
        ("/api/v1/users/{id}/role", "post"),
        ("/api/v1/audit", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
        ("/api/v1/listings", "get"),
        ("/api/v1/listings", "post"),
        ("/api/v1/listings/{id}", "patch"),
        ("/api/v1/listings/{id}/reject", "post"),
        ("/api/v1/listings/import", "post"),
        ("/api/v1/listings/export", "get"),
        ("/api/v1/moderation/queue", "get"),
        ("/api/v1/taxonomy/provinces", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is missing from the OpenAPI document"
        );
    }

    // Every documented operation is routed (nothing in the document 404s as an
    // unknown route or 405s), so the document and the route table agree.
    let some_id = uuid::Uuid::now_v7().to_string();
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let url = path.replace("{id}", &some_id);
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let reply = server.request(method.clone(), &url).send();
            assert!(
                reply.status != 405 && reply.body["detail"] != "no such route",
                "{method} {path} is documented but not routed: {}",
                reply.text
            );
        }
    }

    // The interactive viewer is served by the binary itself: no CDN.
    let viewer = server.get("/api/docs/").send();
    assert_eq!(viewer.status, 200);
    assert!(viewer.content_type().starts_with("text/html"));
    assert!(
        !viewer.text.contains("https://"),
        "the viewer page loads nothing from the internet"
    );
    assert_eq!(
        server.get("/api/docs/swagger-ui-bundle.js").send().status,
        200
    );
}

fn production_without_a_secret_refuses_to_start(db: &TestDatabase) {
    let data_dir = tempfile::tempdir().unwrap();
    let mut command = techex_e2e::techex(db, data_dir.path());
    command
        .env_remove("TECHEX_JWT_SECRET")
        .env("TECHEX_ENV", "production")
        .env("TECHEX_BIND", "127.0.0.1:0");
    let output = techex_e2e::run_to_end(command, std::time::Duration::from_secs(30));
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stdout.contains("listening"), "it must not serve: {stdout}");
    assert!(
        stderr.contains("TECHEX_JWT_SECRET"),
        "the message says what to set: {stderr}"
    );
    assert!(
        !data_dir.path().join("jwt-secret").exists(),
        "no secret is generated in production"
    );

    // With a configured secret, production starts.
    let server = Server::start_with(db, &[("TECHEX_ENV", "production")]);
    assert_eq!(server.get("/healthz").send().status, 200);
}

/// Every closed vocabulary and every date the API document gives a query
/// parameter is what the server takes: each listed value is answered, and a value
/// outside them is a 400 naming the parameter. Generated clients offer those
/// values, and request generators send only them.
fn documented_parameter_values_are_the_ones_taken(db: &TestDatabase) {
    let server = Server::start(db);
    let (token, _) = server.operator_account("op@exchange.vn");
    let document = server.get("/api/openapi.json").send().body;
    let schemas = &document["components"]["schemas"];
    // A parameter's schema is `{"oneOf": [{"$ref": …}, {"type": "null"}]}` or inline.
    let resolve = |schema: &Value| -> Value {
        let named = schema["oneOf"]
            .as_array()
            .and_then(|choices| choices.iter().find_map(|c| c["$ref"].as_str()))
            .or_else(|| schema["$ref"].as_str());
        match named {
            Some(reference) => {
                let named = &schemas[reference.trim_start_matches("#/components/schemas/")];
                assert!(named.is_object(), "{reference} is not in the document");
                named.clone()
            }
            None => schema.clone(),
        }
    };
    let mut checked = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        let Some(operation) = item.get("get").filter(|_| !path.contains('{')) else {
            continue;
        };
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let name = parameter["name"].as_str().unwrap();
            let schema = resolve(&parameter["schema"]);
            let (values, outside): (Vec<&str>, &str) = match schema["enum"].as_array() {
                Some(values) => (
                    values.iter().map(|v| v.as_str().unwrap()).collect(),
                    "not_one_of_them",
                ),
                None if schema["format"] == "date" => (vec!["2026-06-30"], "2026-02-30"),
                None => continue,
            };
            assert!(!values.is_empty(), "{path} {name}");
            for value in values {
                let reply = server
                    .get(&format!("{path}?{name}={value}"))
                    .bearer(&token)
                    .send();
                assert_eq!(reply.status, 200, "{path}?{name}={value}: {}", reply.text);
            }
            let reply = server
                .get(&format!("{path}?{name}={outside}"))
                .bearer(&token)
                .send();
            reply.assert_problem(400, "validation");
            assert_eq!(reply.error_fields(), [name], "{path}?{name}={outside}");
            checked.push(format!("{path} {name}"));
        }
    }
    for expected in [
        "/api/v1/search kind",
        "/api/v1/search ip_status",
        "/api/v1/search transfer_mode",
        "/api/v1/search language",
        "/api/v1/listings kind",
        "/api/v1/me/listings status",
        "/api/v1/interests role",
        "/api/v1/interests state",
        "/api/v1/organisations kind",
        "/api/v1/users role",
        "/api/v1/audit action",
        "/api/v1/taxonomy/sectors level",
        "/api/v1/listings/export format",
        "/api/v1/stats from",
        "/api/v1/stats.csv to",
    ] {
        assert!(
            checked.iter().any(|c| c == expected),
            "{expected} has no documented vocabulary: {checked:?}"
        );
    }
}

/// A browser page on an origin the exchange names may call the API: preflights are
/// answered, answers (problems included) carry the CORS headers, and the request
/// id can be read. A page on another origin is served but gets no CORS header, so
/// its browser withholds the answer; without configured origins none is sent.
fn pages_on_named_origins_may_call_the_api(db: &TestDatabase) {
    const PORTAL: &str = "https://portal.example.vn";
    let server = Server::start_with(db, &[("TECHEX_CORS_ORIGINS", PORTAL)]);
    let search_from = |server: &Server, origin: &str| {
        server
            .get("/api/v1/search?q=nuoc")
            .header("Origin", origin)
            .send()
    };
    // A header's comma-separated names, in lower case.
    let listed = |reply: &techex_e2e::Reply, name: &str| {
        reply.header(name).unwrap_or_default().to_ascii_lowercase()
    };
    let allowed = |reply: &techex_e2e::Reply| {
        reply
            .header("access-control-allow-origin")
            .map(str::to_owned)
    };

    let preflight = server
        .request(reqwest::Method::OPTIONS, "/api/v1/listings")
        .header("Origin", PORTAL)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .send();
    assert_eq!(preflight.status, 200, "{}", preflight.text);
    assert_eq!(allowed(&preflight).as_deref(), Some(PORTAL));
    let methods = preflight
        .header("access-control-allow-methods")
        .unwrap_or_default();
    assert!(
        methods.contains("POST") && methods.contains("PATCH"),
        "{methods}"
    );
    let headers = listed(&preflight, "access-control-allow-headers");
    assert!(
        headers.contains("authorization") && headers.contains("content-type"),
        "{headers}"
    );

    let search = search_from(&server, PORTAL);
    assert_eq!(search.status, 200);
    assert_eq!(allowed(&search).as_deref(), Some(PORTAL));
    let exposed = listed(&search, "access-control-expose-headers");
    assert!(
        exposed.contains("x-request-id") && exposed.contains("location"),
        "{exposed}"
    );

    // A refusal is a problem the page can read.
    let refused = server.get("/api/v1/me").header("Origin", PORTAL).send();
    refused.assert_problem(401, "unauthenticated");
    assert_eq!(allowed(&refused).as_deref(), Some(PORTAL));

    // Another origin: served, without a CORS header; its preflight is a problem.
    let other = search_from(&server, "https://elsewhere.example");
    assert_eq!(other.status, 200);
    assert_eq!(allowed(&other), None);
    let other_preflight = server
        .request(reqwest::Method::OPTIONS, "/api/v1/listings")
        .header("Origin", "https://elsewhere.example")
        .header("Access-Control-Request-Method", "POST")
        .send();
    assert_eq!(other_preflight.status, 400, "{}", other_preflight.text);
    assert_eq!(other_preflight.content_type(), "application/problem+json");
    assert_eq!(allowed(&other_preflight), None);

    // `*`: any origin's page may read the answers.
    drop(server);
    let server = Server::start_with(db, &[("TECHEX_CORS_ORIGINS", "*")]);
    let any = search_from(&server, "https://elsewhere.example");
    assert_eq!(allowed(&any).as_deref(), Some("*"));

    // By default no origin is named, and no CORS header is sent.
    drop(server);
    let server = Server::start(db);
    let plain = search_from(&server, PORTAL);
    assert_eq!(plain.status, 200);
    assert!(
        !plain
            .headers
            .keys()
            .any(|name| name.as_str().starts_with("access-control-")),
        "{:?}",
        plain.headers
    );
}

techex_store::on_both_backends!(
    register_login_and_me,
    validation_errors_name_every_field_and_store_nothing,
    duplicate_email_is_a_conflict,
    wrong_password_and_unknown_email_get_the_same_answer,
    tampered_expired_and_unsigned_tokens_are_refused,
    members_are_refused_operator_routes_and_refusals_are_audited,
    operators_verify_organisations_and_manage_users,
    repeated_failed_logins_are_throttled,
    logins_are_throttled_per_client_address,
    a_guesser_locks_out_its_own_address_not_the_owner,
    malformed_oversized_and_misrouted_requests_get_problems,
    a_method_a_path_does_not_take_is_405_listing_the_allowed_ones,
    an_over_long_request_target_is_414,
    callers_are_refused_before_their_requests_are_judged,
    health_readiness_metrics_and_api_document,
    documented_parameter_values_are_the_ones_taken,
    pages_on_named_origins_may_call_the_api,
    production_without_a_secret_refuses_to_start,
);
