//! Statistics end to end on both backends: who may read them, the JSON and CSV
//! reports reflecting listings published over HTTP, the period filter, and the
//! public summary. Interest and transfer figures are checked in the store's tests
//! (`crates/store/tests/stats.rs`): interests cannot be expressed over HTTP yet.

#![expect(clippy::unwrap_used, reason = "a failed step is a failed test")]

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use techex_e2e::{Exchange, TestDatabase, listing_body};

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset)).to_string()
}

fn this_month() -> String {
    Utc::now().format("%Y-%m").to_string()
}

fn operators_get_figures_that_follow_the_listings(db: &TestDatabase) {
    let x = Exchange::start(db, &[]);
    let s = &x.server;
    let stats = |query: &str| {
        let reply = s
            .get(&format!("/api/v1/stats{query}"))
            .bearer(&x.operator)
            .send();
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.body
    };
    let before = stats("");
    assert_eq!(before["listings"]["total"], 0);
    assert_eq!(before["review"]["decisions"], 0);
    assert_eq!(before["review"]["approval_rate"], Value::Null);
    assert_eq!(before["period"], json!({"from": null, "to": null}));

    s.publish(
        &x.institute,
        &x.operator,
        &listing_body("offer", "Công nghệ xử lý nước thải dệt nhuộm"),
    );
    s.create_listing(
        &x.enterprise,
        &listing_body("need", "Cần công nghệ xử lý nước thải"),
    );

    let after = stats("");
    let listings = &after["listings"];
    assert_eq!(listings["total"], 2);
    assert_eq!(listings["by_kind"], json!({"offer": 1, "need": 1}));
    assert_eq!(listings["by_status"], json!({"published": 1, "draft": 1}));
    assert_eq!(listings["by_sector"], json!({"2.7": 2}));
    assert_eq!(listings["by_province"], json!({"ha-noi": 2}));
    assert_eq!(
        listings["by_month"],
        json!({this_month(): {"offer": 1, "need": 1}})
    );
    let review = &after["review"];
    assert_eq!(
        (&review["decisions"], &review["approvals"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(review["approval_rate"], 1.0);
    assert!(review["median_hours"].as_f64().unwrap() >= 0.0);
    assert_eq!(after["interests"]["total"], 0);
    assert_eq!(after["transfers"]["count"], 0);

    // The period: today counts whole; tomorrow onwards and up to yesterday do not.
    let today = stats(&format!("?from={}&to={}", day(0), day(0)));
    assert_eq!(today["period"], json!({"from": day(0), "to": day(0)}));
    assert_eq!(today["listings"]["total"], 2);
    assert_eq!(today["review"]["decisions"], 1);
    assert_eq!(stats(&format!("?from={}", day(1)))["listings"]["total"], 0);
    let until_yesterday = stats(&format!("?to={}", day(-1)));
    assert_eq!(until_yesterday["listings"]["total"], 0);
    assert_eq!(until_yesterday["review"]["decisions"], 0);
}

fn the_csv_report_has_a_header_and_one_row_per_figure(db: &TestDatabase) {
    let x = Exchange::start(db, &[]);
    let s = &x.server;
    s.publish(
        &x.institute,
        &x.operator,
        &listing_body("offer", "Công nghệ xử lý nước thải dệt nhuộm"),
    );
    let reply = s
        .get(&format!("/api/v1/stats.csv?from={}", day(-30)))
        .bearer(&x.operator)
        .send();
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.content_type(), "text/csv; charset=utf-8");
    let disposition = reply.header("content-disposition").unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"techex-stats-")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let lines: Vec<&str> = reply.text.lines().collect();
    assert_eq!(lines[0], "section,key,subkey,value");
    for row in [
        format!("period,from,,{}", day(-30)),
        "period,to,,".to_owned(),
        "listings,total,,1".to_owned(),
        "listings.by_kind,offer,,1".to_owned(),
        "listings.by_status,published,,1".to_owned(),
        "listings.by_province,ha-noi,,1".to_owned(),
        format!("listings.by_month,{},offer,1", this_month()),
        "review,approvals,,1".to_owned(),
        "transfers,count,,0".to_owned(),
    ] {
        assert!(
            lines.contains(&row.as_str()),
            "{row} missing:\n{}",
            reply.text
        );
    }
    assert!(
        lines.iter().all(|line| line.split(',').count() == 4),
        "every row has four cells:\n{}",
        reply.text
    );
}

fn only_operators_read_the_figures(db: &TestDatabase) {
    let x = Exchange::start(db, &[]);
    let s = &x.server;
    for path in ["/api/v1/stats", "/api/v1/stats.csv"] {
        s.get(path)
            .bearer(&x.institute)
            .send()
            .assert_problem(403, "forbidden");
        s.get(path).send().assert_problem(401, "unauthenticated");
    }
    let denied = s
        .get("/api/v1/audit?action=access_denied&object_id=GET%20/api/v1/stats")
        .bearer(&x.operator)
        .send();
    assert!(
        denied.body["total"].as_i64().unwrap() >= 1,
        "refusals are audited: {}",
        denied.text
    );
}

fn bad_periods_are_named(db: &TestDatabase) {
    let x = Exchange::start(db, &[]);
    let s = &x.server;
    let ask = |query: &str| {
        s.get(&format!("/api/v1/stats{query}"))
            .bearer(&x.operator)
            .send()
    };
    for (query, field) in [
        ("?from=2026-13-01", "from"),
        ("?from=yesterday", "from"),
        ("?from=2026-1-5", "from"),
        ("?to=2026-02-30", "to"),
        ("?from=2026-03-01&to=2026-02-01", "to"),
        ("?period=2026", "period"),
    ] {
        let reply = ask(query);
        reply.assert_problem(400, "validation");
        assert_eq!(reply.error_fields(), [field], "{query}: {}", reply.text);
    }
    let csv = s
        .get("/api/v1/stats.csv?from=2026-02-31")
        .bearer(&x.operator)
        .send();
    csv.assert_problem(400, "validation");
    assert_eq!(csv.error_fields(), ["from"]);
    // One day is a valid period: from equals to.
    assert_eq!(ask("?from=2026-03-01&to=2026-03-01").status, 200);
}

fn the_public_summary_needs_no_account(db: &TestDatabase) {
    let x = Exchange::start(db, &[]);
    let s = &x.server;
    let public = || {
        let reply = s.get("/api/v1/stats/public").send();
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.body
    };
    let before = public();
    assert_eq!(before["published_offers"], 0);
    assert_eq!(before["concluded_transfers"], 0);

    s.publish(
        &x.institute,
        &x.operator,
        &listing_body("offer", "Công nghệ xử lý nước thải dệt nhuộm"),
    );
    // A need that waits for review is not public.
    let need = s.create_listing(&x.enterprise, &listing_body("need", "Cần công nghệ lọc"));
    s.act(&x.enterprise, need["id"].as_str().unwrap(), "submit", None);
    let institute = s.get("/api/v1/me").bearer(&x.institute).send();
    let organisation = institute.body["organisation"]["id"].as_str().unwrap();
    let verified = s
        .post(&format!("/api/v1/organisations/{organisation}/verify"))
        .bearer(&x.operator)
        .json(&json!({"note": "checked"}));
    assert_eq!(verified.status, 200, "{}", verified.text);

    let after = public();
    assert_eq!(after["published_offers"], 1);
    assert_eq!(after["published_needs"], 0);
    assert_eq!(
        after["verified_organisations"].as_i64().unwrap(),
        before["verified_organisations"].as_i64().unwrap() + 1
    );
    let keys: Vec<&str> = after
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys.len(),
        4,
        "counts only, nothing that identifies anyone: {after}"
    );
}

techex_store::on_both_backends!(
    operators_get_figures_that_follow_the_listings,
    the_csv_report_has_a_header_and_one_row_per_figure,
    only_operators_read_the_figures,
    bad_periods_are_named,
    the_public_summary_needs_no_account,
);
