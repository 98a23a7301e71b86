//! Invitations end to end on both backends: a member invites a colleague, who joins
//! the same organisation with the token and acts for it; a token works once, for its
//! address only, and not after it is replaced or revoked; another organisation can
//! neither see nor revoke it.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step is a failed test"
)]

use serde_json::{Value, json};
use techex_e2e::{Exchange, PASSWORD, Server, TestDatabase, listing_body};

const COLLEAGUE: &str = "hoa@iet.ac.vn";

fn invite(server: &Server, token: &str, email: &str) -> Value {
    let reply = server
        .post("/api/v1/invitations")
        .bearer(token)
        .json(&json!({ "email": email }));
    assert_eq!(reply.status, 201, "invitation failed: {}", reply.text);
    reply.body
}

fn join(server: &Server, token: &str, email: &str) -> techex_e2e::Reply {
    server.post("/api/v1/auth/join").json(&json!({
        "token": token,
        "user": {"email": email, "password": PASSWORD, "full_name": "Trần Thị Hoa"}
    }))
}

fn pending(server: &Server, token: &str) -> Vec<Value> {
    let reply = server.get("/api/v1/invitations").bearer(token).send();
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body.as_array().expect("a list").clone()
}

fn a_colleague_joins_by_invitation_and_acts_for_the_organisation(db: &TestDatabase) {
    let x = Exchange::start(db, &[]);
    let s = &x.server;
    let me = s.get("/api/v1/me").bearer(&x.institute).send();
    let institute_id = me.body["organisation"]["id"].clone();
    let draft = s.create_listing(&x.institute, &listing_body("offer", "Keo tụ điện hóa"));

    let invitation = invite(s, &x.institute, "Hoa@IET.ac.vn");
    assert_eq!(
        invitation["email"], COLLEAGUE,
        "addresses are stored lower-cased"
    );
    assert_eq!(invitation["created_by"], me.body["user"]["id"]);
    let token = invitation["token"].as_str().expect("the token, shown once");
    let listed = pending(s, &x.institute);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], invitation["id"]);
    assert!(
        listed[0].get("token").is_none(),
        "tokens are shown once: {listed:?}"
    );

    let joined = join(s, token, "HOA@iet.ac.vn");
    assert_eq!(joined.status, 201, "{}", joined.text);
    assert_eq!(joined.body["organisation"]["id"], institute_id);
    assert_eq!(joined.body["user"]["email"], COLLEAGUE);
    assert_eq!(joined.body["user"]["role"], "member");

    // The colleague signs in and works on the organisation's listings.
    let colleague = s.login(COLLEAGUE);
    let mine = s.get("/api/v1/me/listings").bearer(&colleague).send();
    assert_eq!(mine.body["items"][0]["id"], draft["id"], "{}", mine.text);
    let submitted = s.act(&colleague, draft["id"].as_str().unwrap(), "submit", None);
    assert_eq!(submitted.status, 200, "{}", submitted.text);

    // Both appear among the organisation's members, to its members and operators.
    let members_path = format!(
        "/api/v1/organisations/{}/members",
        institute_id.as_str().unwrap()
    );
    for viewer in [&colleague, &x.operator] {
        let members = s.get(&members_path).bearer(viewer).send();
        assert_eq!(members.status, 200, "{}", members.text);
        let mut emails: Vec<&str> = members.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["email"].as_str().unwrap())
            .collect();
        emails.sort_unstable();
        assert_eq!(emails, [COLLEAGUE, "lan@iet.ac.vn"]);
        assert_eq!(members.body["total"], 2);
    }
    s.get(&members_path)
        .bearer(&x.enterprise)
        .send()
        .assert_problem(404, "not-found");
    s.get("/api/v1/organisations/0190f5d5-0000-7000-8000-000000000000/members")
        .bearer(&x.operator)
        .send()
        .assert_problem(404, "not-found");
    let bad_page = s
        .get(&format!("{members_path}?per_page=0"))
        .bearer(&colleague)
        .send();
    bad_page.assert_problem(400, "validation");
    assert_eq!(bad_page.error_fields(), ["per_page"]);

    // The token is used up, and nothing is pending any more.
    join(s, token, COLLEAGUE).assert_problem(400, "validation");
    assert!(pending(s, &x.institute).is_empty());
    let audit = s.get("/api/v1/audit").bearer(&x.operator).send();
    assert!(
        audit.text.contains("invitation_created") && audit.text.contains("invitation_accepted"),
        "{}",
        audit.text
    );
}

fn a_token_works_for_its_address_until_replaced_or_revoked(db: &TestDatabase) {
    let x = Exchange::start(db, &[]);
    let s = &x.server;
    let first = invite(s, &x.institute, COLLEAGUE);
    let first_token = first["token"].as_str().unwrap();

    // Another address, a made-up token, or none at all: refused, with the field named.
    let wrong_address = join(s, first_token, "someone.else@iet.ac.vn");
    wrong_address.assert_problem(400, "validation");
    assert_eq!(wrong_address.error_fields(), ["user.email"]);
    let made_up = join(s, "inv_0000", COLLEAGUE);
    made_up.assert_problem(400, "validation");
    assert_eq!(made_up.error_fields(), ["token"]);
    let empty = s
        .post("/api/v1/auth/join")
        .json(&json!({"user": {"email": "x"}}));
    empty.assert_problem(400, "validation");
    for field in ["token", "user.email", "user.password", "user.full_name"] {
        assert!(
            empty.error_fields().contains(&field.to_owned()),
            "{}",
            empty.text
        );
    }

    // Inviting the address again replaces the first invitation.
    let second = invite(s, &x.institute, COLLEAGUE);
    join(s, first_token, COLLEAGUE).assert_problem(400, "validation");
    let listed = pending(s, &x.institute);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], second["id"]);

    // Another organisation sees none of it and cannot revoke it.
    assert!(pending(s, &x.enterprise).is_empty());
    let path = format!("/api/v1/invitations/{}", second["id"].as_str().unwrap());
    s.request(reqwest::Method::DELETE, &path)
        .bearer(&x.enterprise)
        .send()
        .assert_problem(404, "not-found");
    assert_eq!(pending(s, &x.institute).len(), 1, "still pending");

    // Revoked by its organisation, the token stops working.
    let revoked = s
        .request(reqwest::Method::DELETE, &path)
        .bearer(&x.institute)
        .send();
    assert_eq!(revoked.status, 204, "{}", revoked.text);
    join(s, second["token"].as_str().unwrap(), COLLEAGUE).assert_problem(400, "validation");
    s.request(reqwest::Method::DELETE, &path)
        .bearer(&x.institute)
        .send()
        .assert_problem(404, "not-found");
    assert!(pending(s, &x.institute).is_empty());
    assert!(
        s.post("/api/v1/auth/login")
            .json(&json!({"email": COLLEAGUE, "password": PASSWORD}))
            .status
            == 401,
        "no account was made"
    );
}

fn bad_invitations_are_refused(db: &TestDatabase) {
    let x = Exchange::start(db, &[]);
    let s = &x.server;
    let no_one = s
        .post("/api/v1/invitations")
        .json(&json!({"email": COLLEAGUE}));
    no_one.assert_problem(401, "unauthenticated");
    for body in [
        json!({}),
        json!({"email": "not an address"}),
        json!({"email": 7}),
    ] {
        let reply = s
            .post("/api/v1/invitations")
            .bearer(&x.institute)
            .json(&body);
        reply.assert_problem(400, "validation");
        assert_eq!(reply.error_fields(), ["email"], "{}", reply.text);
    }
    // An address that already has an account (here, of another organisation).
    s.post("/api/v1/invitations")
        .bearer(&x.institute)
        .json(&json!({"email": "minh@detmay.vn"}))
        .assert_problem(409, "conflict");
    let bad_id = s
        .request(reqwest::Method::DELETE, "/api/v1/invitations/nope")
        .bearer(&x.institute)
        .send();
    bad_id.assert_problem(400, "validation");
    assert_eq!(bad_id.error_fields(), ["id"]);
    assert!(pending(s, &x.institute).is_empty());
}

fn disabling_a_member_revokes_their_invitations(db: &TestDatabase) {
    let x = Exchange::start(db, &[]);
    let s = &x.server;
    let me = s.get("/api/v1/me").bearer(&x.institute).send();
    let member = me.body["user"]["id"].as_str().unwrap().to_owned();
    let invitation = invite(s, &x.institute, COLLEAGUE);
    let disabled = s
        .post(&format!("/api/v1/users/{member}/disable"))
        .bearer(&x.operator)
        .json(&json!({"reason": "left the institute"}));
    assert_eq!(disabled.status, 200, "{}", disabled.text);
    let enabled = s
        .post(&format!("/api/v1/users/{member}/enable"))
        .bearer(&x.operator)
        .json(&json!({"reason": "came back"}));
    assert_eq!(enabled.status, 200, "{}", enabled.text);
    // Re-enabling the account does not bring its invitations back.
    join(s, invitation["token"].as_str().unwrap(), COLLEAGUE).assert_problem(400, "validation");
    let fresh = s.login("lan@iet.ac.vn");
    assert!(pending(s, &fresh).is_empty());
    let audit = s
        .get("/api/v1/audit?action=user_disabled")
        .bearer(&x.operator)
        .send();
    assert!(
        audit.text.contains("; pending invitations revoked: 1"),
        "{}",
        audit.text
    );
}

fn a_verified_organisations_staff_join_it_rather_than_register_it_again(db: &TestDatabase) {
    let x = Exchange::start(db, &[]);
    let s = &x.server;
    let register = |email: &str| {
        s.post("/api/v1/auth/register").json(&json!({
            "organisation": {"name": "Viện Công nghệ Môi trường", "kind": "university"},
            "user": {"email": email, "password": PASSWORD, "full_name": "Lê Văn Bình"}
        }))
    };
    // While the name is unverified it blocks nobody: nobody can squat a name.
    let double = register("binh@iet.ac.vn");
    assert_eq!(double.status, 201, "{}", double.text);

    let me = s.get("/api/v1/me").bearer(&x.institute).send();
    let institute = me.body["organisation"]["id"].as_str().unwrap();
    let verified = s
        .post(&format!("/api/v1/organisations/{institute}/verify"))
        .bearer(&x.operator)
        .json(&json!({"note": "checked"}));
    assert_eq!(verified.status, 200, "{}", verified.text);
    register("tam@iet.ac.vn").assert_problem_saying(409, "conflict", "organisation.name");
    register("tam@iet.ac.vn").assert_problem_saying(409, "conflict", "invitation");
    assert_eq!(
        s.post("/api/v1/auth/login")
            .json(&json!({"email": "tam@iet.ac.vn", "password": PASSWORD}))
            .status,
        401,
        "no account was made"
    );
}

fn an_operator_invites_a_colleague_and_makes_them_an_operator(db: &TestDatabase) {
    let x = Exchange::start(db, &[]);
    let s = &x.server;
    let invitation = invite(s, &x.operator, "thu@techmart.vn");
    let joined = join(s, invitation["token"].as_str().unwrap(), "thu@techmart.vn");
    assert_eq!(joined.status, 201, "{}", joined.text);
    let me = s.get("/api/v1/me").bearer(&x.operator).send();
    assert_eq!(
        joined.body["organisation"]["id"],
        me.body["organisation"]["id"]
    );
    assert_eq!(
        joined.body["user"]["role"], "member",
        "never an operator by invitation"
    );
    let colleague = joined.body["user"]["id"].as_str().unwrap();
    let granted = s
        .post(&format!("/api/v1/users/{colleague}/role"))
        .bearer(&x.operator)
        .json(&json!({"role": "operator", "reason": "new staff"}));
    assert_eq!(granted.status, 200, "{}", granted.text);
    let thu = s.login("thu@techmart.vn");
    let queue = s.get("/api/v1/moderation/queue").bearer(&thu).send();
    assert_eq!(queue.status, 200, "{}", queue.text);
}

techex_store::on_both_backends!(
    an_operator_invites_a_colleague_and_makes_them_an_operator,
    a_verified_organisations_staff_join_it_rather_than_register_it_again,
    disabling_a_member_revokes_their_invitations,
    a_colleague_joins_by_invitation_and_acts_for_the_organisation,
    a_token_works_for_its_address_until_replaced_or_revoked,
    bad_invitations_are_refused,
);
