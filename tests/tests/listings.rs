//! Listings and their review, end to end on both backends: the lifecycle, who may
//! see and do what, optimistic concurrency, edits of published listings, expiry,
//! the review queue and the taxonomy.

#![expect(clippy::unwrap_used, reason = "a failed step is a failed test")]

use serde_json::{Value, json};
use techex_e2e::{Exchange, Server, TestDatabase, listing_body};
use unicode_normalization::UnicodeNormalization;

/// An exchange with an operator, an institute (offers) and an enterprise (needs).
fn exchange(db: &TestDatabase, env: &[(&str, &str)]) -> Exchange {
    Exchange::start(db, env)
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect()
}

fn the_whole_lifecycle(db: &TestDatabase) {
    let x = exchange(db, &[]);
    let s = &x.server;
    let created = s.create_listing(
        &x.institute,
        &listing_body("offer", "Công nghệ xử lý nước thải dệt nhuộm"),
    );
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["status"], "draft");
    assert_eq!(created["version"], 1);
    assert_eq!(
        created["province"], "ha-noi",
        "province names are normalised to codes"
    );
    assert_eq!(created["organisation"]["name"], "Viện Công nghệ Môi trường");

    let submitted = s.act(&x.institute, id, "submit", None);
    assert_eq!(submitted.status, 200, "{}", submitted.text);
    assert_eq!(submitted.body["status"], "pending_review");
    assert_eq!(
        submitted.body["warnings"],
        json!([]),
        "a complete listing has no warnings"
    );

    // The operator names the version reviewed; without it nothing is decided.
    s.act(&x.operator, id, "approve", None)
        .assert_problem(400, "validation");
    let approved = s.act(
        &x.operator,
        id,
        "approve",
        Some(&json!({"version": submitted.body["version"], "message": "đạt yêu cầu"})),
    );
    assert_eq!(approved.body["status"], "published", "{}", approved.text);
    let public = s.get(&format!("/api/v1/listings/{id}")).send();
    assert_eq!(public.status, 200);
    assert_eq!(public.body["title"], "Công nghệ xử lý nước thải dệt nhuộm");
    assert!(
        public.body.get("warnings").is_none() && public.body.get("revision").is_none(),
        "no workflow state in public"
    );
    assert_eq!(ids(&s.get("/api/v1/listings").send().body), [id]);

    let archived = s.act(
        &x.institute,
        id,
        "archive",
        Some(&json!({"message": "đã chuyển giao"})),
    );
    assert_eq!(archived.body["status"], "archived");
    assert_eq!(
        s.get(&format!("/api/v1/listings/{id}")).send().status,
        404,
        "archived listings are not public"
    );
    assert!(ids(&s.get("/api/v1/listings").send().body).is_empty());

    let history = s
        .get(&format!("/api/v1/listings/{id}/history"))
        .bearer(&x.institute)
        .send();
    assert_eq!(history.status, 200, "{}", history.text);
    let steps: Vec<(String, String, String)> = history
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().into(),
                e["from"].as_str().unwrap().into(),
                e["to"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected = [
        ("create", "draft", "draft"),
        ("submit", "draft", "pending_review"),
        ("approve", "pending_review", "published"),
        ("archive", "published", "archived"),
    ];
    assert_eq!(
        steps,
        expected.map(|(a, f, t)| (a.to_owned(), f.to_owned(), t.to_owned()))
    );
    assert_eq!(history.body[2]["message"], "đạt yêu cầu");
    assert!(
        history.body[2]["actor"].is_string(),
        "each step names its actor"
    );
    // The history is for the owner and operators only, even of a public listing.
    s.get(&format!("/api/v1/listings/{id}/history"))
        .bearer(&x.enterprise)
        .send()
        .assert_problem(404, "not-found");

    let audit = s
        .get(&format!("/api/v1/audit?object_type=listing&object_id={id}"))
        .bearer(&x.operator)
        .send();
    assert_eq!(
        audit.body["total"], 4,
        "every step is audited: {}",
        audit.text
    );
}

fn other_organisations_cannot_see_or_touch_a_draft(db: &TestDatabase) {
    let x = exchange(db, &[]);
    let s = &x.server;
    let id = s.create_listing(
        &x.institute,
        &listing_body("offer", "Vật liệu nano bạc kháng khuẩn"),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.get(&format!("/api/v1/listings/{id}"))
        .send()
        .assert_problem(404, "not-found");
    s.get(&format!("/api/v1/listings/{id}"))
        .bearer(&x.enterprise)
        .send()
        .assert_problem(404, "not-found");
    let patch = s
        .request(reqwest::Method::PATCH, &format!("/api/v1/listings/{id}"))
        .bearer(&x.enterprise)
        .json(&json!({"version": 1, "title": "Hijacked title"}));
    patch.assert_problem(404, "not-found");
    for action in ["submit", "withdraw"] {
        s.act(&x.enterprise, &id, action, None)
            .assert_problem(404, "not-found");
    }
    s.request(reqwest::Method::DELETE, &format!("/api/v1/listings/{id}"))
        .bearer(&x.enterprise)
        .send()
        .assert_problem(404, "not-found");
    // Untouched: the owner still sees the original draft at version 1.
    let own = s
        .get(&format!("/api/v1/listings/{id}"))
        .bearer(&x.institute)
        .send();
    assert_eq!(
        (own.body["title"].as_str(), own.body["version"].as_i64()),
        (Some("Vật liệu nano bạc kháng khuẩn"), Some(1))
    );
    // Operators see it.
    assert_eq!(
        s.get(&format!("/api/v1/listings/{id}"))
            .bearer(&x.operator)
            .send()
            .status,
        200
    );
    // The owner can delete its draft.
    let deleted = s
        .request(reqwest::Method::DELETE, &format!("/api/v1/listings/{id}"))
        .bearer(&x.institute)
        .send();
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    s.get(&format!("/api/v1/listings/{id}"))
        .bearer(&x.institute)
        .send()
        .assert_problem(404, "not-found");
}

fn only_operators_review_and_rejections_need_a_reason(db: &TestDatabase) {
    let x = exchange(db, &[]);
    let s = &x.server;
    let id = s.create_listing(
        &x.institute,
        &listing_body("offer", "Giống lúa chịu mặn OM18"),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Permission is checked before state: a member approving is refused outright;
    // an operator approving a draft meets the state machine.
    s.act(&x.institute, &id, "approve", None)
        .assert_problem(403, "forbidden");
    let draft = s.act(&x.operator, &id, "approve", Some(&json!({"version": 1})));
    assert!(
        draft.assert_problem(409, "conflict")["detail"]
            .as_str()
            .unwrap()
            .contains("draft")
    );
    let submitted = s.act(&x.institute, &id, "submit", None);
    let version = submitted.body["version"].clone();
    s.act(&x.institute, &id, "approve", None)
        .assert_problem(403, "forbidden");
    s.act(
        &x.enterprise,
        &id,
        "reject",
        Some(&json!({"reason_code": "other", "message": "x"})),
    )
    .assert_problem(403, "forbidden"); // no member reviews, whichever the listing

    let no_reason = s.act(&x.operator, &id, "reject", None);
    no_reason.assert_problem(400, "validation");
    let mut fields = no_reason.error_fields();
    fields.sort();
    assert_eq!(fields, ["message", "reason_code", "version"]);
    let bad_code = s.act(
        &x.operator,
        &id,
        "reject",
        Some(&json!({"version": version, "reason_code": "ugly", "message": "x"})),
    );
    assert_eq!(bad_code.error_fields(), ["reason_code"]);

    let rejected = s.act(
        &x.operator,
        &id,
        "reject",
        Some(&json!({"version": version, "reason_code": "missing_ip_status", "message": "Bổ sung văn bằng bảo hộ giống"})),
    );
    assert_eq!(rejected.body["status"], "rejected", "{}", rejected.text);
    assert_eq!(
        rejected.body["rejection"]["reason_code"],
        "missing_ip_status"
    );
    // The owner sees the reason; the public sees nothing.
    let own = s
        .get(&format!("/api/v1/listings/{id}"))
        .bearer(&x.institute)
        .send();
    assert_eq!(
        own.body["rejection"]["message"],
        "Bổ sung văn bằng bảo hộ giống"
    );
    s.get(&format!("/api/v1/listings/{id}"))
        .send()
        .assert_problem(404, "not-found");
    assert!(
        ids(&s.get("/api/v1/listings").send().body).is_empty(),
        "rejected listings are never public"
    );

    // A rejected listing cannot be resubmitted as is: the illegal transition names the state.
    let illegal = s.act(&x.institute, &id, "submit", None);
    let problem = illegal.assert_problem(409, "conflict");
    assert!(
        problem["detail"].as_str().unwrap().contains("rejected"),
        "{}",
        illegal.text
    );
    // Editing takes it back to draft, from where it can be submitted again.
    let edited = s
        .request(reqwest::Method::PATCH, &format!("/api/v1/listings/{id}"))
        .bearer(&x.institute)
        .json(&json!({"version": own.body["version"], "ip_status": "patent_pending", "patent_numbers": ["2-2025-00123"]}));
    assert_eq!(edited.body["status"], "draft", "{}", edited.text);
    // A draft with a review decision behind it is kept for the record (and the
    // statistics): it cannot be deleted.
    let delete = s
        .request(reqwest::Method::DELETE, &format!("/api/v1/listings/{id}"))
        .bearer(&x.institute)
        .send();
    assert!(
        delete.assert_problem(409, "conflict")["detail"]
            .as_str()
            .unwrap()
            .contains("record")
    );
    assert_eq!(
        s.act(&x.institute, &id, "submit", None).body["status"],
        "pending_review"
    );
}

fn stale_versions_and_bad_edits_are_refused_without_changes(db: &TestDatabase) {
    let x = exchange(db, &[]);
    let s = &x.server;
    let id = s.create_listing(
        &x.institute,
        &listing_body("offer", "Máy sấy nông sản bơm nhiệt"),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/listings/{id}");
    let patch = |body: Value| {
        s.request(reqwest::Method::PATCH, &path)
            .bearer(&x.institute)
            .json(&body)
    };
    let version_and_trl =
        |reply: &techex_e2e::Reply| (reply.body["version"].as_i64(), reply.body["trl"].as_i64());
    let first = patch(json!({"version": 1, "trl": 8}));
    assert_eq!(
        version_and_trl(&first),
        (Some(2), Some(8)),
        "{}",
        first.text
    );
    let stale = patch(json!({"version": 1, "trl": 3}));
    let problem = stale.assert_problem(409, "conflict");
    assert!(problem["detail"].as_str().unwrap().contains("version 2"));

    let no_version = patch(json!({"trl": 3}));
    no_version.assert_problem(400, "validation");
    assert_eq!(no_version.error_fields(), ["version"]);
    let invalid =
        patch(json!({"version": 2, "trl": 12, "sectors": [], "price": {"min": 9, "max": 1}}));
    invalid.assert_problem(400, "validation");
    let mut fields = invalid.error_fields();
    fields.sort();
    assert_eq!(fields, ["price.max", "sectors", "trl"]);
    let unknown = patch(json!({"version": 2, "colour": "red"}));
    assert_eq!(unknown.error_fields(), ["colour"]);

    let current = s.get(&path).bearer(&x.institute).send();
    assert_eq!(
        version_and_trl(&current),
        (Some(2), Some(8)),
        "nothing changed"
    );
    // `null` clears an optional field (JSON merge patch).
    let cleared = patch(json!({"version": 2, "price": null}));
    assert!(cleared.body["price"].is_null(), "{}", cleared.text);
    // A whole number sent as a float, as a client computing in floating point
    // sends it, is that number; a fraction is refused naming the field.
    let fraction = patch(json!({"version": 3.0, "trl": 6.5}));
    fraction.assert_problem(400, "validation");
    assert_eq!(fraction.error_fields(), ["trl"]);
    let whole = patch(json!({"version": 3.0, "trl": 6.0}));
    assert_eq!(
        version_and_trl(&whole),
        (Some(4), Some(6)),
        "{}",
        whole.text
    );
}

fn creation_validates_every_field(db: &TestDatabase) {
    let x = exchange(db, &[]);
    let reply = x
        .server
        .post("/api/v1/listings")
        .bearer(&x.institute)
        .json(&json!({
            "kind": "gift",
            "title": "abc",
            "language": "Vietnamese",
            "sectors": ["99"],
            "trl": 0,
            "transfer_modes": ["barter"],
            "province": "Atlantis",
            "valid_until": "2020-01-01",
            "price": {"min": 1, "currency": "XXX"}
        }));
    reply.assert_problem(400, "validation");
    let mut fields = reply.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "kind",
            "language",
            "price.currency",
            "province",
            "sectors",
            "title",
            "transfer_modes",
            "trl",
            "valid_until"
        ]
    );
    let stored = || {
        x.server
            .get("/api/v1/me/listings")
            .bearer(&x.institute)
            .send()
            .body["total"]
            .clone()
    };
    assert_eq!(stored(), 0, "nothing stored");

    // A title of zero-width characters looks empty wherever it is listed, and a
    // two-letter code that is no language's is no language.
    let mut invisible = listing_body("offer", "\u{200B}\u{200C}\u{200D}\u{2060}\u{FEFF}\u{200B}");
    invisible["language"] = json!("zz");
    let reply = x
        .server
        .post("/api/v1/listings")
        .bearer(&x.institute)
        .json(&invisible);
    reply.assert_problem(400, "validation");
    let mut fields = reply.error_fields();
    fields.sort();
    assert_eq!(fields, ["language", "title"]);
    let search = x.server.get("/api/v1/search?language=zz").send();
    search.assert_problem(400, "validation");
    assert_eq!(search.error_fields(), ["language"]);
    assert_eq!(stored(), 0, "nothing stored");

    let anonymous = x
        .server
        .post("/api/v1/listings")
        .json(&listing_body("offer", "Anonymous listing"));
    anonymous.assert_problem(401, "unauthenticated");

    let mut with_ref = listing_body("need", "Cần công nghệ xử lý bùn thải");
    with_ref["external_ref"] = json!("NEED-001");
    x.server.create_listing(&x.enterprise, &with_ref);
    x.server
        .post("/api/v1/listings")
        .bearer(&x.enterprise)
        .json(&with_ref)
        .assert_problem(409, "conflict");
    // Another organisation may use the same reference.
    x.server.create_listing(&x.institute, &with_ref);
}

fn an_edit_of_a_published_listing_waits_for_review(db: &TestDatabase) {
    let x = exchange(db, &[]);
    let s = &x.server;
    let id = s.publish(
        &x.institute,
        &x.operator,
        &listing_body("offer", "Chế phẩm vi sinh xử lý mùi chuồng trại"),
    );
    let path = format!("/api/v1/listings/{id}");
    let version = s.get(&path).bearer(&x.institute).send().body["version"].clone();
    let edited = s
        .request(reqwest::Method::PATCH, &path)
        .bearer(&x.institute)
        .json(&json!({"version": version, "title": "Chế phẩm vi sinh EM khử mùi chuồng trại", "trl": 8}));
    assert_eq!(edited.status, 200, "{}", edited.text);
    assert_eq!(edited.body["status"], "published");
    assert_eq!(
        edited.body["title"], "Chế phẩm vi sinh xử lý mùi chuồng trại",
        "the approved version stays"
    );
    assert_eq!(edited.body["revision"]["status"], "pending_review");
    assert_eq!(
        edited.body["revision"]["content"]["title"],
        "Chế phẩm vi sinh EM khử mùi chuồng trại"
    );

    let public = s.get(&path).send();
    assert_eq!(
        public.body["title"], "Chế phẩm vi sinh xử lý mùi chuồng trại",
        "the public still sees the approved text"
    );
    assert_eq!(public.body["trl"], 7);

    let queue = s.get("/api/v1/moderation/queue").bearer(&x.operator).send();
    assert_eq!(queue.body["total"], 1, "{}", queue.text);
    let item = &queue.body["items"][0];
    assert_eq!(item["review"], "edit");
    let mut changed: Vec<&str> = item["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    changed.sort_unstable();
    assert_eq!(changed, ["title", "trl"]);

    // An edit replaced after the operator looked is not approved unseen.
    let reviewed = queue.body["items"][0]["listing"]["version"]
        .as_i64()
        .unwrap();
    s.act(
        &x.operator,
        &id,
        "approve",
        Some(&json!({"version": reviewed - 1})),
    )
    .assert_problem(409, "conflict");
    s.act(
        &x.operator,
        &id,
        "approve",
        Some(&json!({"version": reviewed})),
    );
    let after = s.get(&path).send();
    assert_eq!(
        (after.body["title"].as_str(), after.body["trl"].as_i64()),
        (Some("Chế phẩm vi sinh EM khử mùi chuồng trại"), Some(8))
    );
    assert_eq!(
        s.get("/api/v1/moderation/queue")
            .bearer(&x.operator)
            .send()
            .body["total"],
        0
    );
}

fn expired_listings_leave_the_catalogue(db: &TestDatabase) {
    let x = exchange(db, &[("TECHEX_EXPIRY_SWEEP_SECS", "1")]);
    let s = &x.server;
    let id = s.publish(
        &x.institute,
        &x.operator,
        &listing_body("offer", "Cảm biến IoT đo chất lượng nước"),
    );
    let keep = s.publish(
        &x.institute,
        &x.operator,
        &listing_body("offer", "Phần mềm dự báo lũ"),
    );
    db.backdate_listing(
        &id,
        chrono::Utc::now().date_naive() - chrono::Duration::days(1),
    );

    // Hidden at once, whether or not the sweep has run …
    s.get(&format!("/api/v1/listings/{id}"))
        .send()
        .assert_problem(404, "not-found");
    assert_eq!(ids(&s.get("/api/v1/listings").send().body), [keep.as_str()]);
    // … and marked expired by the sweep.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let status = loop {
        let status = s
            .get(&format!("/api/v1/listings/{id}"))
            .bearer(&x.institute)
            .send()
            .body["status"]
            .clone();
        if status == "expired" || std::time::Instant::now() > deadline {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(status, "expired");
    let history = s
        .get(&format!("/api/v1/listings/{id}/history"))
        .bearer(&x.institute)
        .send();
    let last = history.body.as_array().unwrap().last().unwrap();
    assert_eq!(
        (last["action"].as_str(), last["actor"].is_null()),
        (Some("expire"), true)
    );

    // Renewing publishes it again, a year on by default.
    let renewed = s.act(&x.institute, &id, "renew", None);
    assert_eq!(renewed.body["status"], "published", "{}", renewed.text);
    let valid_until = chrono::NaiveDate::parse_from_str(
        renewed.body["valid_until"].as_str().unwrap(),
        "%Y-%m-%d",
    )
    .unwrap();
    assert!(valid_until > chrono::Utc::now().date_naive() + chrono::Duration::days(300));
    assert_eq!(s.get(&format!("/api/v1/listings/{id}")).send().status, 200);

    // A renewal never shortens the validity: an earlier date is refused, by name,
    // and the listing keeps its date.
    let earlier = (valid_until - chrono::Duration::days(30)).to_string();
    let shorter = s.act(
        &x.institute,
        &id,
        "renew",
        Some(&json!({"valid_until": earlier})),
    );
    shorter.assert_problem(400, "validation");
    assert_eq!(shorter.error_fields(), ["valid_until"]);
    let kept = s.get(&format!("/api/v1/listings/{id}")).send();
    assert_eq!(kept.body["valid_until"], valid_until.to_string());
}

fn the_review_queue_is_oldest_first_with_warnings(db: &TestDatabase) {
    let x = exchange(db, &[]);
    let s = &x.server;
    let mut bare = listing_body("offer", "MÁY ÉP VIÊN NÉN SINH KHỐI");
    for field in ["ip_status", "patent_numbers", "trl", "description"] {
        bare.as_object_mut().unwrap().remove(field);
    }
    bare["summary"] = json!("Máy ép viên tốt.");
    let first = s.create_listing(&x.institute, &bare)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = s.create_listing(
        &x.enterprise,
        &listing_body("need", "Cần dây chuyền sấy cà phê"),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let duplicate = s.create_listing(
        &x.institute,
        &listing_body("offer", "Máy ép viên nén sinh khối"),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let submitted = s.act(&x.institute, &first, "submit", None);
    let mut codes: Vec<&str> = submitted.body["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect();
    codes.sort_unstable();
    assert_eq!(
        codes,
        [
            "missing_ip_status",
            "missing_trl",
            "no_quantified_benefit",
            "possible_duplicate",
            "short_summary",
            "title_in_capitals"
        ],
        "warnings never block: the listing was submitted anyway"
    );
    assert_eq!(submitted.body["status"], "pending_review");
    s.act(&x.enterprise, &second, "submit", None);
    s.act(&x.institute, &duplicate, "submit", None);

    s.get("/api/v1/moderation/queue")
        .bearer(&x.institute)
        .send()
        .assert_problem(403, "forbidden");
    let queue = s.get("/api/v1/moderation/queue").bearer(&x.operator).send();
    assert_eq!(
        ids(
            &json!({"items": queue.body["items"].as_array().unwrap().iter().map(|i| i["listing"].clone()).collect::<Vec<_>>()})
        ),
        [first.clone(), second, duplicate]
    );
    let head = &queue.body["items"][0];
    assert_eq!(head["review"], "new_listing");
    assert_eq!(
        head["listing"]["organisation"]["verified"], false,
        "the reviewer sees the verification state"
    );
    assert!(head["waiting_since"].is_string());
    let related = head["listing"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "possible_duplicate")
        .unwrap();
    assert!(related["related_listing"].is_string());
}

fn the_catalogue_filters(db: &TestDatabase) {
    let x = exchange(db, &[]);
    let s = &x.server;
    let mut water = listing_body("offer", "Xử lý nước thải chăn nuôi");
    water["sectors"] = json!(["2.7"]);
    water["province"] = json!("Bình Dương");
    water["trl"] = json!(5);
    let water = s.publish(&x.institute, &x.operator, &water);
    let mut ai = listing_body("offer", "Nhận dạng biển số xe bằng AI");
    ai["sectors"] = json!(["1.2.ai"]);
    ai["trl"] = json!(8);
    let ai = s.publish(&x.institute, &x.operator, &ai);
    let need = s.publish(
        &x.enterprise,
        &x.operator,
        &listing_body("need", "Cần công nghệ xử lý khí thải lò hơi"),
    );

    let query = |q: &str| ids(&s.get(&format!("/api/v1/listings?{q}")).send().body);
    assert_eq!(query("kind=need"), [need.as_str()]);
    assert_eq!(
        query("kind=offer&sector=1.2"),
        [ai.as_str()],
        "a parent sector includes its topics"
    );
    assert_eq!(
        query("sector=1"),
        [ai.as_str()],
        "and a field includes everything below it"
    );
    assert_eq!(
        query("province=TP.HCM"),
        [water.as_str()],
        "Bình Dương is now part of Ho Chi Minh City"
    );
    assert_eq!(query("kind=offer&trl_min=6"), [ai.as_str()]);
    assert_eq!(query("kind=offer&trl_max=6"), [water.as_str()]);
    assert_eq!(query("per_page=2&page=2").len(), 1);
    // A form's blank choices are no filter.
    assert_eq!(
        query("kind=&sector=&province=&trl_min=&per_page=2&page=2").len(),
        1
    );
    let bad = s
        .get("/api/v1/listings?sector=nope&trl_min=0&kind=x")
        .send();
    bad.assert_problem(400, "validation");
    let mut fields = bad.error_fields();
    fields.sort();
    assert_eq!(fields, ["kind", "sector", "trl_min"]);
    s.get("/api/v1/listings?per_page=500")
        .send()
        .assert_problem(400, "validation");

    let mine = s
        .get("/api/v1/me/listings?status=published")
        .bearer(&x.institute)
        .send();
    assert_eq!(mine.body["total"], 2);
}

/// Operators review other organisations' listings only: they do not post listings,
/// and one of their own organisation's (posted by a colleague made member) waits
/// for an operator of another organisation.
fn operators_never_review_their_own_organisation(db: &TestDatabase) {
    let x = exchange(db, &[]);
    let s = &x.server;
    let body = listing_body("offer", "Dịch vụ tư vấn chuyển giao công nghệ");
    let posted = s.post("/api/v1/listings").bearer(&x.operator).json(&body);
    posted.assert_problem_saying(403, "forbidden", "review listings rather than post them");
    let mine = s.get("/api/v1/me/listings").bearer(&x.operator).send();
    assert_eq!(mine.body["total"], 0, "nothing stored: {}", mine.text);

    let (colleague, colleague_id) = s.operator_account("tuan@techmart.vn");
    let demoted = s
        .post(&format!("/api/v1/users/{colleague_id}/role"))
        .bearer(&x.operator)
        .json(&json!({"role": "member", "reason": "posts the exchange's own services"}));
    assert_eq!(demoted.body["role"], "member", "{}", demoted.text);
    let id = s.create_listing(&colleague, &body)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let version = s.act(&colleague, &id, "submit", None).body["version"].clone();
    for action in ["approve", "reject"] {
        let review = json!({"version": version, "reason_code": "other", "message": "x"});
        let review = match action {
            "approve" => json!({"version": version}),
            _ => review,
        };
        let refused = s.act(&x.operator, &id, action, Some(&review));
        refused.assert_problem_saying(403, "forbidden", "own organisation");
    }
    let listing = s
        .get(&format!("/api/v1/listings/{id}"))
        .bearer(&colleague)
        .send();
    assert_eq!(
        (listing.body["status"].as_str(), &listing.body["version"]),
        (Some("pending_review"), &version),
        "{}",
        listing.text
    );
}

/// An edit that changes nothing writes nothing: no new version, no history entry,
/// nothing for an operator to review.
fn an_edit_that_changes_nothing_writes_nothing(db: &TestDatabase) {
    let x = exchange(db, &[]);
    let s = &x.server;
    let body = listing_body("offer", "Màng lọc nano xử lý nước nhiễm asen");
    let draft = s.create_listing(&x.institute, &body);
    let draft_id = draft["id"].as_str().unwrap();
    let same_title = s
        .request(
            reqwest::Method::PATCH,
            &format!("/api/v1/listings/{draft_id}"),
        )
        .bearer(&x.institute)
        .json(&json!({"version": draft["version"], "title": body["title"]}));
    assert_eq!(same_title.status, 200, "{}", same_title.text);
    assert_eq!(same_title.body["version"], draft["version"]);

    let id = s.publish(&x.institute, &x.operator, &body);
    let history = |id: &str| {
        s.get(&format!("/api/v1/listings/{id}/history"))
            .bearer(&x.institute)
            .send()
            .body
            .as_array()
            .unwrap()
            .len()
    };
    let before = s.get(&format!("/api/v1/listings/{id}")).send();
    let steps = history(&id);
    for patch in [
        json!({"version": before.body["version"]}),
        json!({"version": before.body["version"], "trl": body["trl"], "province": "Hà Nội"}),
    ] {
        let edited = s
            .request(reqwest::Method::PATCH, &format!("/api/v1/listings/{id}"))
            .bearer(&x.institute)
            .json(&patch);
        assert_eq!(edited.status, 200, "{}", edited.text);
        assert_eq!(edited.body["version"], before.body["version"]);
        assert!(edited.body["revision"].is_null(), "{}", edited.text);
    }
    assert_eq!(history(&id), steps);
    let queue = s.get("/api/v1/moderation/queue").bearer(&x.operator).send();
    assert_eq!(queue.body["total"], 0, "{}", queue.text);
    // A real change still goes to review.
    let changed = s
        .request(reqwest::Method::PATCH, &format!("/api/v1/listings/{id}"))
        .bearer(&x.institute)
        .json(&json!({"version": before.body["version"], "trl": 8}));
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(history(&id), steps + 1);
}

fn the_taxonomy_is_bilingual(db: &TestDatabase) {
    let server = Server::start(db);
    let sectors = server.get("/api/v1/taxonomy/sectors").send();
    assert_eq!(sectors.status, 200);
    let all = sectors.body.as_array().unwrap();
    let environmental = all.iter().find(|s| s["code"] == "2.7").unwrap();
    assert_eq!(environmental["name_en"], "Environmental engineering");
    assert!(
        environmental["name_vi"]
            .as_str()
            .unwrap()
            .contains("môi trường")
    );
    let fields = server.get("/api/v1/taxonomy/sectors?level=field").send();
    assert_eq!(fields.body.as_array().unwrap().len(), 6);
    let under_ai = server.get("/api/v1/taxonomy/sectors?parent=1.2").send();
    assert!(
        under_ai
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["code"] == "1.2.ai")
    );
    let provinces = server.get("/api/v1/taxonomy/provinces").send();
    assert_eq!(provinces.body["provinces"].as_array().unwrap().len(), 34);
    assert_eq!(provinces.body["regions"].as_array().unwrap().len(), 6);
}

/// Every length the document states (`maxLength`, `minLength`, `maxItems`,
/// `minItems`, and an item's `maxLength`) is the one the server checks: a value at
/// the bound is taken, one past it refused with 400 naming the property. A bound
/// on a schema this test cannot send fails it, so a new one is checked too.
fn documented_lengths_are_the_ones_checked(db: &TestDatabase) {
    let x = exchange(db, &[]);
    let s = &x.server;
    let document = s.get("/api/openapi.json").send().body;
    let codes: Vec<String> = s
        .get("/api/v1/taxonomy/sectors")
        .send()
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|sector| sector["code"].as_str().unwrap().to_owned())
        .collect();
    let mut made = 0;
    // `n` characters, the first few telling the values apart.
    let mut text = |n: usize| {
        made += 1;
        let tag: String = format!("{made}x").chars().take(n).collect();
        format!("{tag}{}", "ệ".repeat(n - tag.chars().count()))
    };
    let draft = s.create_listing(&x.institute, &listing_body("offer", "Bản nháp để sửa"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A new published need of the enterprise, and the institute's interest in one.
    let new_need = || {
        s.publish(
            &x.enterprise,
            &x.operator,
            &listing_body("need", "Cần xử lý nước thải"),
        )
    };
    let interest_in = |need: &str| {
        s.post(&format!("/api/v1/listings/{need}/interests"))
            .bearer(&x.institute)
            .json(&json!({"message": "Chúng tôi có giải pháp."}))
            .body
    };
    let interest = interest_in(&new_need())["id"].as_str().unwrap().to_owned();
    let registrations = std::cell::Cell::new(0);
    // Sends `property: value` in a body of `schema` that is otherwise valid.
    let send = |schema: &str, property: &str, value: Value| -> techex_e2e::Reply {
        match schema {
            "ListingRequest" => {
                let mut body = listing_body("offer", "Công nghệ đo giới hạn độ dài");
                body[property] = value;
                s.post("/api/v1/listings").bearer(&x.institute).json(&body)
            }
            "ListingPatch" => {
                let current = s
                    .get(&format!("/api/v1/listings/{draft}"))
                    .bearer(&x.institute)
                    .send();
                let body = json!({"version": current.body["version"], property: value});
                s.request(reqwest::Method::PATCH, &format!("/api/v1/listings/{draft}"))
                    .bearer(&x.institute)
                    .json(&body)
            }
            // An organisation expresses interest in a listing once: a new one
            // each time.
            "ExpressBody" => s
                .post(&format!("/api/v1/listings/{}/interests", new_need()))
                .bearer(&x.institute)
                .json(&json!({property: value})),
            "MessageBody" => s
                .post(&format!("/api/v1/interests/{interest}/messages"))
                .bearer(&x.institute)
                .json(&json!({property: value})),
            // The need's organisation declines a new interest in its need.
            "InterestActionBody" => {
                let interest = interest_in(&new_need());
                s.post(&format!(
                    "/api/v1/interests/{}/decline",
                    interest["id"].as_str().unwrap()
                ))
                .bearer(&x.enterprise)
                .json(&json!({"version": interest["version"], "reason": "other", property: value}))
            }
            "BrokerBody" => {
                let offer = s.publish(
                    &x.institute,
                    &x.operator,
                    &listing_body("offer", "Máy sấy bơm nhiệt"),
                );
                s.post("/api/v1/interests/broker")
                    .bearer(&x.operator)
                    .json(&json!({"offer_id": offer, "need_id": new_need(), property: value}))
            }
            // A new organisation's registration, with an address of its own.
            "OrganisationForm" | "UserForm" => {
                registrations.set(registrations.get() + 1);
                let mut body = json!({
                    "organisation": {"name": "Công ty Độ Dài", "kind": "startup"},
                    "user": {
                        "email": format!("do-dai-{}@example.vn", registrations.get()),
                        "password": "mật khẩu đủ dài",
                        "full_name": "Người Thử",
                    },
                });
                let part = if schema == "UserForm" {
                    "user"
                } else {
                    "organisation"
                };
                body[part][property] = value;
                s.post("/api/v1/auth/register").json(&body)
            }
            "ProfilePatch" => s
                .request(reqwest::Method::PATCH, "/api/v1/me")
                .bearer(&x.institute)
                .json(&json!({property: value})),
            other => panic!("{other} states a length this test cannot send"),
        }
    };
    let taken = |schema: &str, property: &str, value: Value| {
        let reply = send(schema, property, value);
        assert!(
            (200..300).contains(&reply.status),
            "{schema}.{property} at its bound: {}",
            reply.text
        );
    };
    let refused = |schema: &str, property: &str, value: Value| {
        let reply = send(schema, property, value);
        reply.assert_problem(400, "validation");
        assert!(
            reply.error_fields().iter().any(
                |field| field.starts_with(property) || field.ends_with(&format!(".{property}"))
            ),
            "{schema}.{property}: {}",
            reply.text
        );
    };
    let mut checked = 0;
    for (schema, definition) in document["components"]["schemas"].as_object().unwrap() {
        let Some(properties) = definition["properties"].as_object() else {
            continue;
        };
        for (property, bounds) in properties {
            let bound = |key: &str| bounds[key].as_u64().map(|n| n as usize);
            if let Some(max) = bound("maxLength") {
                taken(schema, property, json!(text(max)));
                refused(schema, property, json!(text(max + 1)));
                checked += 1;
            }
            if let Some(min) = bound("minLength") {
                taken(schema, property, json!(text(min)));
                refused(schema, property, json!(text(min - 1)));
            }
            let item = |i: usize| -> Value {
                match property.as_str() {
                    "sectors" => json!(codes[i]),
                    "patent_numbers" => json!(format!("1-00{i:05}")),
                    _ => json!(format!("từ khóa {i}")),
                }
            };
            if let Some(max) = bound("maxItems") {
                taken(schema, property, (0..max).map(item).collect());
                refused(schema, property, (0..=max).map(item).collect());
                checked += 1;
            }
            if let Some(min) = bound("minItems") {
                taken(schema, property, (0..min).map(item).collect());
                refused(schema, property, (0..min - 1).map(item).collect());
            }
            let item_bound = |key: &str| bounds["items"][key].as_u64().map(|n| n as usize);
            if let Some(max) = item_bound("maxLength") {
                taken(schema, property, json!([text(max)]));
                refused(schema, property, json!([text(max + 1)]));
            }
            if let Some(min) = item_bound("minLength") {
                taken(schema, property, json!([text(min)]));
                refused(schema, property, json!([text(min - 1)]));
            }
        }
    }
    assert!(checked >= 22, "only {checked} bounds were documented");
}

/// Vietnamese letters, exactly `chars` characters (composed), each with two marks:
/// the longest Vietnamese gets once decomposed and escaped (13 bytes a letter).
fn vietnamese(chars: usize) -> String {
    let phrase = "ệồữặẫợửậềỗ ";
    let mut text: String = phrase.chars().cycle().take(chars).collect();
    if text.ends_with(' ') {
        text.pop();
        text.push('ệ');
    }
    text
}

/// JSON as Python's `json.dumps` writes it by default, after the text was
/// decomposed (NFD): every code point beyond ASCII escaped as `\uXXXX`.
fn escaped_decomposed_json(value: &Value) -> String {
    let decomposed: String = value.to_string().nfd().collect();
    let mut escaped = String::with_capacity(decomposed.len() * 3);
    for c in decomposed.chars() {
        if c.is_ascii() {
            escaped.push(c);
        } else {
            for unit in c.encode_utf16(&mut [0; 2]) {
                escaped.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    escaped
}

fn the_largest_listing_fits_decomposed_and_escaped(db: &TestDatabase) {
    let x = exchange(db, &[]);
    let mut body = listing_body("offer", &vietnamese(200));
    body["summary"] = json!(vietnamese(600));
    body["description"] = json!(vietnamese(20_000));
    body["keywords"] = json!(
        (0..20)
            .map(|n| format!("{n:02} {}", vietnamese(57)))
            .collect::<Vec<_>>()
    );
    body["patent_numbers"] = json!((0..20).map(|n| format!("1-{n:048}")).collect::<Vec<_>>());
    body["external_ref"] = json!(vietnamese(100));
    let sent = escaped_decomposed_json(&body);
    assert!(
        sent.len() > 3 * 65_536,
        "the body is far beyond the ordinary JSON limit: {} bytes",
        sent.len()
    );
    let reply = x
        .server
        .post("/api/v1/listings")
        .bearer(&x.institute)
        .raw("application/json", sent.clone());
    assert_eq!(reply.status, 201, "{} bytes: {}", sent.len(), reply.text);
    assert_eq!(
        reply.body["description"], body["description"],
        "stored composed"
    );
    assert_eq!(reply.body["title"], body["title"]);

    // An edit of the same size is accepted too; a larger body is still refused.
    let path = format!("/api/v1/listings/{}", reply.body["id"].as_str().unwrap());
    let mut edit = body.clone();
    edit.as_object_mut().unwrap().remove("kind");
    edit["version"] = reply.body["version"].clone();
    let edited = x
        .server
        .request(reqwest::Method::PATCH, &path)
        .bearer(&x.institute)
        .raw("application/json", escaped_decomposed_json(&edit));
    assert_eq!(edited.status, 200, "{}", edited.text);
    let padding = " ".repeat(2 * sent.len());
    x.server
        .post("/api/v1/listings")
        .bearer(&x.institute)
        .raw("application/json", format!("{sent}{padding}"))
        .assert_problem(413, "payload-too-large");
}

/// Inputs a careless or hostile client sends get answers that name the field and
/// say what is expected.
fn odd_input_is_refused_in_plain_words(db: &TestDatabase) {
    let x = exchange(db, &[]);
    let s = &x.server;
    let refused = |reply: techex_e2e::Reply, field: &str, expected: &str| {
        reply.assert_problem(400, "validation");
        assert_eq!(reply.error_fields(), [field], "{}", reply.text);
        let message = reply.body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{field}: {message}");
    };
    let mut numeric_kind = listing_body("offer", "Công nghệ lọc nước");
    numeric_kind["kind"] = json!(1);
    refused(
        s.post("/api/v1/listings")
            .bearer(&x.institute)
            .json(&numeric_kind),
        "kind",
        "must be a string: offer or need",
    );
    for title in [
        "Title with \u{202E} gnp.exe",
        "a\u{200B}\u{200B}\u{200B}b",
        "\u{3164}\u{3164}\u{3164}\u{3164}\u{3164}",
    ] {
        let reply = s
            .post("/api/v1/listings")
            .bearer(&x.institute)
            .json(&listing_body("offer", title));
        reply.assert_problem(400, "validation");
        assert_eq!(reply.error_fields(), ["title"], "{title:?}: {}", reply.text);
    }
    // Decomposed Vietnamese is as valid as composed, and stored composed.
    let nfd_title: String = "Máy lọc nước nhiễm mặn".nfd().collect();
    let created = s.create_listing(&x.institute, &listing_body("offer", &nfd_title));
    assert_eq!(created["title"], "Máy lọc nước nhiễm mặn");

    refused(
        s.get("/api/v1/listings?page=-1").send(),
        "page",
        "must be a whole number, 1 or more",
    );
    let id = s.publish(
        &x.institute,
        &x.operator,
        &listing_body("offer", "Công nghệ xử lý nước thải dệt nhuộm"),
    );
    refused(
        s.get(&format!("/api/v1/listings/{id}/matches?limit=-1"))
            .bearer(&x.institute)
            .send(),
        "limit",
        "must be a whole number, 1 or more",
    );
    for (valid_until, expected) in [("", "blank"), ("+12027-01-01", "YYYY-MM-DD")] {
        refused(
            s.act(
                &x.institute,
                &id,
                "renew",
                Some(&json!({"valid_until": valid_until})),
            ),
            "valid_until",
            expected,
        );
    }
}

/// A body with the same key twice is refused naming it, rather than one of the two
/// silently winning; nested keys too, and nothing is stored.
fn a_body_with_a_repeated_key_is_refused(db: &TestDatabase) {
    let x = exchange(db, &[]);
    let s = &x.server;
    let mut listing = listing_body("offer", "Công nghệ lọc nước nhiễm mặn");
    listing.as_object_mut().unwrap().remove("price");
    let body = listing.to_string();
    let open = &body[..body.len() - 1];
    for (repeated, field, key) in [
        (
            format!(r#"{open}, "title": "Công nghệ khác hẳn"}}"#),
            "title",
            "title",
        ),
        (
            format!(r#"{open}, "price": {{"min": 1, "currency": "VND", "currency": "USD"}}}}"#),
            "price.currency",
            "currency",
        ),
    ] {
        let reply = s
            .post("/api/v1/listings")
            .bearer(&x.institute)
            .raw("application/json", repeated);
        reply.assert_problem_saying(400, "validation", &format!("duplicate key `{key}`"));
        assert_eq!(reply.error_fields(), [field], "{}", reply.text);
    }
    let mine = s.get("/api/v1/me/listings").bearer(&x.institute).send();
    assert_eq!(mine.body["total"], 0, "{}", mine.text);
    // The same body without the repeat is accepted.
    s.create_listing(&x.institute, &serde_json::from_str(&body).unwrap());
}

techex_store::on_both_backends!(
    documented_lengths_are_the_ones_checked,
    the_whole_lifecycle,
    other_organisations_cannot_see_or_touch_a_draft,
    only_operators_review_and_rejections_need_a_reason,
    stale_versions_and_bad_edits_are_refused_without_changes,
    creation_validates_every_field,
    an_edit_of_a_published_listing_waits_for_review,
    expired_listings_leave_the_catalogue,
    the_review_queue_is_oldest_first_with_warnings,
    the_catalogue_filters,
    the_taxonomy_is_bilingual,
    operators_never_review_their_own_organisation,
    an_edit_that_changes_nothing_writes_nothing,
    the_largest_listing_fits_decomposed_and_escaped,
    odd_input_is_refused_in_plain_words,
    a_body_with_a_repeated_key_is_refused,
);
