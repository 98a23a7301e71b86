//! Webhooks end to end on both backends: a receiver in this process gets signed
//! deliveries; a delivery that failed while it was down arrives once it is up, across
//! a server restart too; internal addresses are refused; other organisations see
//! nothing.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step is a failed test"
)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use techex_api::webhooks::signing;
use techex_e2e::{Exchange, Server, TestDatabase, listing_body};

const FAST: &[(&str, &str)] = &[
    ("TECHEX_WEBHOOK_ALLOW_PRIVATE", "127.0.0.1"),
    ("TECHEX_WEBHOOK_RETRY_BASE_SECS", "1"),
    ("TECHEX_WEBHOOK_POLL_MS", "100"),
    ("TECHEX_WEBHOOK_TIMEOUT_SECS", "5"),
];

/// One request as the receiver saw it.
#[derive(Debug)]
struct Received {
    path: String,
    /// Lower-case names.
    headers: HashMap<String, String>,
    body: String,
}

/// A minimal HTTP/1.1 endpoint on 127.0.0.1 that answers 200 and reports each request.
struct Receiver {
    port: u16,
    requests: mpsc::Receiver<Received>,
}

impl Receiver {
    fn on(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let (sender, requests) = mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                let Some(received) = read_request(&mut stream) else {
                    continue;
                };
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                );
                if sender.send(received).is_err() {
                    return;
                }
            }
        });
        Self { port, requests }
    }

    fn next(&self, within: Duration) -> Received {
        self.requests
            .recv_timeout(within)
            .expect("no webhook delivery arrived in time")
    }
}

fn read_request(stream: &mut std::net::TcpStream) -> Option<Received> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?, parts.next()?.to_owned());
    assert_eq!(method, "POST");
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    let length: usize = headers.get("content-length")?.parse().ok()?;
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Received {
        path,
        headers,
        body: String::from_utf8(body).ok()?,
    })
}

/// A port nothing listens on (yet).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn register(server: &Server, token: &str, body: &Value) -> Value {
    let reply = server.post("/api/v1/webhooks").bearer(token).json(body);
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.body
}

fn log(server: &Server, token: &str, webhook: &str) -> Value {
    let reply = server
        .get(&format!("/api/v1/webhooks/{webhook}/deliveries"))
        .bearer(token)
        .send();
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body
}

/// Polls the delivery log until `done` holds for its newest entry.
fn wait_for_log(
    server: &Server,
    token: &str,
    webhook: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page = log(server, token, webhook);
        if let Some(entry) = page["items"].get(0)
            && done(entry)
        {
            return entry.clone();
        }
        assert!(
            Instant::now() < deadline,
            "the delivery log never got there: {page}\nserver log:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn a_signed_delivery_arrives_and_is_logged(db: &TestDatabase) {
    let x = Exchange::start(db, FAST);
    let s = &x.server;
    let receiver = Receiver::on(0);
    let created = register(
        s,
        &x.institute,
        &json!({"url": format!("http://127.0.0.1:{}/techex", receiver.port), "events": ["listing.approved"]}),
    );
    let webhook = created["id"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(
        secret.starts_with("whsec_") && secret.len() == 70,
        "{secret}"
    );
    assert_eq!(created["events"], json!(["listing.approved"]));
    // Subscribed to another event only: must get nothing.
    let other = register(
        s,
        &x.institute,
        &json!({"url": format!("http://127.0.0.1:{}/other", receiver.port), "events": ["listing.rejected"]}),
    );

    let listed = s.get("/api/v1/webhooks").bearer(&x.institute).send();
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body.as_array().unwrap().len(), 2);
    assert!(
        !listed.text.contains(&secret),
        "the secret is shown once only"
    );
    let one = s
        .get(&format!("/api/v1/webhooks/{webhook}"))
        .bearer(&x.institute)
        .send();
    assert_eq!(one.status, 200);
    assert!(one.body.get("secret").is_none());
    assert_eq!(
        s.get("/api/v1/webhooks").bearer(&x.enterprise).send().body,
        json!([]),
        "another organisation has none"
    );

    let listing = s.publish(
        &x.institute,
        &x.operator,
        &listing_body("offer", "Màng lọc nano xử lý nước"),
    );
    let delivery = receiver.next(Duration::from_secs(20));
    assert_eq!(delivery.path, "/techex");
    let header = |name: &str| delivery.headers.get(name).map(String::as_str);
    assert_eq!(header("content-type"), Some("application/json"));
    assert_eq!(header("techex-event"), Some("listing.approved"));
    assert!(
        header("user-agent")
            .unwrap()
            .starts_with("techex-webhooks/")
    );
    let signature = header("techex-signature").expect("signed");
    let tolerance = Duration::from_secs(300);
    assert_eq!(
        signing::verify(&secret, signature, delivery.body.as_bytes(), tolerance),
        Ok(())
    );
    assert!(
        signing::verify(
            "whsec_wrong",
            signature,
            delivery.body.as_bytes(),
            tolerance
        )
        .is_err()
    );
    assert!(signing::verify(&secret, signature, b"{}", tolerance).is_err());
    let payload: Value = serde_json::from_str(&delivery.body).unwrap();
    assert_eq!(payload["event"], "listing.approved");
    assert_eq!(payload["object"]["id"], listing.as_str());
    assert_eq!(payload["object"]["type"], "listing");

    let entry = wait_for_log(s, &x.institute, &webhook, |e| e["state"] == "delivered");
    assert_eq!(entry["id"].as_str(), header("techex-delivery"));
    assert_eq!(entry["event"], "listing.approved");
    assert_eq!(entry["attempts"], 1);
    assert_eq!(entry["last_status"], 200);
    assert!(entry["delivered_at"].is_string() && entry["next_attempt_at"].is_null());
    let other_id = other["id"].as_str().unwrap();
    assert_eq!(log(s, &x.institute, other_id)["total"], 0);
    assert!(
        receiver.requests.try_recv().is_err(),
        "one delivery, to the subscribed endpoint only"
    );

    // Another organisation: not found, whatever it tries; anonymous: 401.
    for path in [
        format!("/api/v1/webhooks/{webhook}"),
        format!("/api/v1/webhooks/{webhook}/deliveries"),
    ] {
        s.get(&path)
            .bearer(&x.enterprise)
            .send()
            .assert_problem(404, "not-found");
        s.get(&path).send().assert_problem(401, "unauthenticated");
    }
    s.request(
        reqwest::Method::DELETE,
        &format!("/api/v1/webhooks/{webhook}"),
    )
    .bearer(&x.enterprise)
    .send()
    .assert_problem(404, "not-found");
    let audit = s
        .get("/api/v1/audit?action=access_denied")
        .bearer(&x.operator)
        .send();
    assert!(
        audit.text.contains("webhook of another organisation"),
        "{}",
        audit.text
    );

    let deleted = s
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/webhooks/{webhook}"),
        )
        .bearer(&x.institute)
        .send();
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    s.get(&format!("/api/v1/webhooks/{webhook}"))
        .bearer(&x.institute)
        .send()
        .assert_problem(404, "not-found");
    let audit = s.get("/api/v1/audit").bearer(&x.operator).send();
    assert!(audit.text.contains("webhook_registered") && audit.text.contains("webhook_deleted"));
}

/// Registers an endpoint on a port nobody listens on, publishes a listing, and
/// waits until the log shows a failed attempt; returns (webhook id, port, secret).
fn fail_first(x: &Exchange) -> (String, u16, String) {
    let port = free_port();
    let created = register(
        &x.server,
        &x.institute,
        &json!({"url": format!("http://127.0.0.1:{port}/hook")}),
    );
    let webhook = created["id"].as_str().unwrap().to_owned();
    x.server.publish(
        &x.institute,
        &x.operator,
        &listing_body("offer", "Cảm biến độ mặn cho ao nuôi tôm"),
    );
    let entry = wait_for_log(&x.server, &x.institute, &webhook, |e| {
        e["attempts"].as_i64() >= Some(1)
    });
    assert_eq!(entry["state"], "pending", "{entry}");
    assert!(entry["last_status"].is_null(), "no answer: {entry}");
    assert!(
        entry["last_error"].as_str().is_some_and(|e| !e.is_empty()),
        "{entry}"
    );
    assert!(entry["next_attempt_at"].is_string());
    (
        webhook,
        port,
        created["secret"].as_str().unwrap().to_owned(),
    )
}

fn a_failed_delivery_arrives_when_the_receiver_comes_up(db: &TestDatabase) {
    let x = Exchange::start(db, FAST);
    let (webhook, port, secret) = fail_first(&x);
    let receiver = Receiver::on(port);
    let delivery = receiver.next(Duration::from_secs(20));
    assert_eq!(delivery.headers["techex-event"], "listing.approved");
    signing::verify(
        &secret,
        &delivery.headers["techex-signature"],
        delivery.body.as_bytes(),
        Duration::from_secs(300),
    )
    .unwrap();
    let entry = wait_for_log(&x.server, &x.institute, &webhook, |e| {
        e["state"] == "delivered"
    });
    assert!(entry["attempts"].as_i64().unwrap() >= 2, "{entry}");
    assert_eq!(entry["last_status"], 200);
}

fn a_pending_delivery_survives_a_restart(db: &TestDatabase) {
    let x = Exchange::start(db, FAST);
    let (webhook, port, secret) = fail_first(&x);
    let Exchange {
        server, institute, ..
    } = x;
    let data_dir = server.kill();
    let receiver = Receiver::on(port);
    let server = Server::start_in(db, data_dir, FAST);
    let delivery = receiver.next(Duration::from_secs(30));
    assert_eq!(delivery.headers["techex-event"], "listing.approved");
    signing::verify(
        &secret,
        &delivery.headers["techex-signature"],
        delivery.body.as_bytes(),
        Duration::from_secs(300),
    )
    .unwrap();
    let entry = wait_for_log(&server, &institute, &webhook, |e| e["state"] == "delivered");
    assert!(entry["attempts"].as_i64().unwrap() >= 2, "{entry}");
}

fn internal_addresses_and_bad_input_are_refused(db: &TestDatabase) {
    // No allow-list: only public HTTPS.
    let x = Exchange::start(db, &[]);
    let s = &x.server;
    let refuse = |body: Value, field: &str| {
        let reply = s.post("/api/v1/webhooks").bearer(&x.institute).json(&body);
        reply.assert_problem(400, "validation");
        assert_eq!(reply.error_fields(), [field], "{body}: {}", reply.text);
    };
    for url in [
        "http://127.0.0.1:9000/hook",
        "https://127.0.0.1/",
        "https://10.0.0.1/",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/",
        "https://[::ffff:192.168.1.1]/",
        "https://[::ffff:0:a00:1]/",
        "https://example.com:0/",
        "https://localhost/",
        "ftp://hooks.example.org/",
        "http://hooks.example.org/",
        "https://user:secret@hooks.example.org/",
        "not a url",
    ] {
        refuse(json!({"url": url}), "url");
    }
    refuse(json!({}), "url");
    refuse(
        json!({"url": "https://hooks.example.org/", "events": ["listing.sold"]}),
        "events",
    );
    refuse(
        json!({"url": "https://hooks.example.org/", "events": []}),
        "events",
    );
    s.post("/api/v1/webhooks")
        .json(&json!({"url": "https://hooks.example.org/"}))
        .assert_problem(401, "unauthenticated");
    assert_eq!(
        s.get("/api/v1/webhooks").bearer(&x.institute).send().body,
        json!([]),
        "nothing stored"
    );

    // A public HTTPS endpoint is accepted, every event by default; at most ten.
    for i in 0..10 {
        let created = register(
            s,
            &x.institute,
            &json!({"url": format!("https://hooks.example.org/{i}")}),
        );
        assert_eq!(created["events"].as_array().unwrap().len(), 8, "{created}");
    }
    s.post("/api/v1/webhooks")
        .bearer(&x.institute)
        .json(&json!({"url": "https://hooks.example.org/11"}))
        .assert_problem(409, "conflict");
    s.get("/api/v1/webhooks/not-a-uuid")
        .bearer(&x.institute)
        .send()
        .assert_problem(400, "validation");
}

techex_store::on_both_backends!(
    a_signed_delivery_arrives_and_is_logged,
    a_failed_delivery_arrives_when_the_receiver_comes_up,
    a_pending_delivery_survives_a_restart,
    internal_addresses_and_bad_input_are_refused,
);
