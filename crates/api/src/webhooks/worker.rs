//! The delivery worker: a thread that polls the queue (`webhook_deliveries`), claims
//! due deliveries, POSTs each signed payload and records the outcome. The queue is the
//! table, so a restart loses nothing; several replicas may share one database, since
//! each delivery is claimed by exactly one of them for a lease.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use chrono::Utc;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use techex_store::Store;
use techex_store::repo::webhooks::{self, ClaimedDelivery, DeliveryState, RetryPolicy};

use super::address::AddressPolicy;
use super::signing::{self, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER};
use crate::settings::WebhookSettings;

/// Deliveries claimed per round.
const BATCH: i64 = 5;
/// Sent with every delivery.
const USER_AGENT: &str = concat!("techex-webhooks/", env!("CARGO_PKG_VERSION"));

/// What the worker needs, read once from the settings.
#[derive(Clone, Debug)]
pub struct Deliverer {
    pub policy: AddressPolicy,
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

/// The result of one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Delivered(u16),
    Failed { status: Option<u16>, error: String },
}

impl Deliverer {
    pub fn from_settings(settings: &WebhookSettings) -> Result<Self, String> {
        Ok(Self {
            policy: AddressPolicy::new(&settings.allow_private)?,
            timeout: Duration::from_secs(settings.timeout_secs.max(1)),
            retry: RetryPolicy {
                max_attempts: settings.max_attempts.max(1),
                base: chrono::Duration::seconds(
                    i64::try_from(settings.retry_base_secs).unwrap_or(3600),
                ),
            },
        })
    }

    /// How long a claim is held: long enough for a whole batch to time out.
    fn lease(&self) -> chrono::Duration {
        let per_delivery = self.timeout.as_secs().saturating_add(10);
        let secs = per_delivery
            .saturating_mul(BATCH.unsigned_abs())
            .saturating_add(60);
        chrono::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 1000))
    }

    /// Sends one delivery, checking the address again: the URL against the current
    /// policy, and each address its host resolves to now. The connection goes only to
    /// an address that passed, and redirects are not followed.
    pub fn send(&self, delivery: &ClaimedDelivery) -> Outcome {
        let failed = |error: String| Outcome::Failed {
            status: None,
            error,
        };
        let target = match self.policy.check_url(&delivery.url) {
            Ok(target) => target,
            Err(reason) => return failed(format!("the URL is no longer allowed: it {reason}")),
        };
        let literal = target
            .host
            .parse::<IpAddr>()
            .ok()
            .map(|ip| vec![SocketAddr::new(ip, target.port)]);
        let mut builder = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(self.timeout)
            .connect_timeout(self.timeout)
            .user_agent(USER_AGENT);
        if literal.is_none() {
            let addrs = match self.policy.resolve(&target) {
                Ok(addrs) => addrs,
                Err(reason) => return failed(reason),
            };
            builder = builder.resolve_to_addrs(&target.host, &addrs);
        }
        let client = match builder.build() {
            Ok(client) => client,
            Err(error) => return failed(chain(&error)),
        };
        let timestamp = Utc::now().timestamp();
        let body = delivery.payload.clone().into_bytes();
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let values = [
            (
                SIGNATURE_HEADER,
                signing::signature_header(&delivery.secret, timestamp, &body),
            ),
            (EVENT_HEADER, delivery.event.clone()),
            (DELIVERY_HEADER, delivery.id.to_string()),
        ];
        for (name, value) in values {
            match HeaderValue::from_str(&value) {
                Ok(value) => {
                    headers.insert(name, value);
                }
                Err(error) => return failed(format!("header {name}: {error}")),
            }
        }
        match client.post(target.url).headers(headers).body(body).send() {
            Ok(response) if response.status().is_success() => {
                Outcome::Delivered(response.status().as_u16())
            }
            Ok(response) => {
                let status = response.status();
                Outcome::Failed {
                    status: Some(status.as_u16()),
                    error: format!("the endpoint answered {status}"),
                }
            }
            Err(error) => failed(chain(&error)),
        }
    }

    /// Claims what is due and delivers it; returns how many attempts were made.
    pub fn run_once(&self, store: &Store) -> Result<usize, techex_store::StoreError> {
        let mut attempts = 0;
        loop {
            let lease = self.lease();
            let claimed = store.run(|conn| webhooks::claim_due(conn, Utc::now(), lease, BATCH))?;
            if claimed.is_empty() {
                return Ok(attempts);
            }
            for delivery in claimed {
                attempts += 1;
                self.attempt(store, &delivery)?;
            }
        }
    }

    fn attempt(
        &self,
        store: &Store,
        delivery: &ClaimedDelivery,
    ) -> Result<(), techex_store::StoreError> {
        let outcome = self.send(delivery);
        let now = Utc::now();
        let recorded = match &outcome {
            Outcome::Delivered(status) => {
                tracing::info!(delivery = %delivery.id, webhook = %delivery.webhook,
                    event = %delivery.event, status, "webhook delivered");
                store.run(|conn| {
                    webhooks::record_success(conn, delivery.id, delivery.attempts, *status, now)
                })
            }
            Outcome::Failed { status, error } => store
                .run(|conn| {
                    webhooks::record_failure(
                        conn,
                        delivery.id,
                        delivery.attempts,
                        *status,
                        error,
                        self.retry,
                        now,
                    )
                })
                .map(|state| {
                    let attempt = delivery.attempts + 1;
                    if state == DeliveryState::Failed {
                        tracing::warn!(delivery = %delivery.id, webhook = %delivery.webhook,
                            attempt, ?status, %error, "webhook delivery given up");
                    } else {
                        tracing::info!(delivery = %delivery.id, webhook = %delivery.webhook,
                            attempt, ?status, %error, "webhook delivery failed; will retry");
                    }
                }),
        };
        match recorded {
            // The endpoint was deleted while its delivery was in flight, or the lease
            // ran out and another worker took the delivery over: its outcome stands.
            Err(techex_store::StoreError::NotFound) => {
                tracing::warn!(delivery = %delivery.id, "webhook delivery no longer as claimed; outcome not recorded");
                Ok(())
            }
            other => other,
        }
    }
}

/// An error with its causes, which reqwest keeps in `source()`.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Starts the worker thread, polling every `webhooks.poll_ms`.
pub fn spawn(store: Store, settings: &WebhookSettings) -> Result<(), String> {
    let deliverer = Deliverer::from_settings(settings)?;
    let interval = Duration::from_millis(settings.poll_ms.max(10));
    super::install_tls_provider();
    std::thread::Builder::new()
        .name("webhooks".into())
        .spawn(move || {
            loop {
                match deliverer.run_once(&store) {
                    Ok(0) => {}
                    Ok(count) => tracing::debug!(count, "webhook attempts made"),
                    Err(error) => tracing::error!(%error, "webhook delivery round failed"),
                }
                std::thread::sleep(interval);
            }
        })
        .map(|_| ())
        .map_err(|e| format!("could not start the webhook thread: {e}"))
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;

    use uuid::Uuid;

    use super::*;

    /// Answers every connection with `response` and counts the requests.
    fn endpoint(response: &'static str) -> (u16, std::sync::mpsc::Receiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (sender, received) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().map_while(Result::ok) {
                let mut buffer = [0_u8; 8192];
                let read = stream.read(&mut buffer).unwrap_or(0);
                let _ = stream.write_all(response.as_bytes());
                if sender
                    .send(String::from_utf8_lossy(&buffer[..read]).into_owned())
                    .is_err()
                {
                    return;
                }
            }
        });
        (port, received)
    }

    fn deliverer(allow: &[&str]) -> Deliverer {
        super::super::install_tls_provider();
        Deliverer::from_settings(&WebhookSettings {
            allow_private: allow.iter().map(|a| a.to_string()).collect(),
            max_attempts: 3,
            retry_base_secs: 1,
            timeout_secs: 5,
            poll_ms: 100,
        })
        .unwrap()
    }

    fn delivery(url: String) -> ClaimedDelivery {
        ClaimedDelivery {
            id: Uuid::now_v7(),
            webhook: Uuid::now_v7(),
            url,
            secret: "whsec_test".into(),
            event: "listing.approved".into(),
            payload: r#"{"event":"listing.approved"}"#.into(),
            attempts: 0,
        }
    }

    #[test]
    fn a_2xx_is_delivered_and_anything_else_fails_with_its_status() {
        let (ok, requests) = endpoint("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
        let d = deliverer(&["127.0.0.1"]);
        let sent = delivery(format!("http://127.0.0.1:{ok}/hook"));
        assert_eq!(d.send(&sent), Outcome::Delivered(204));
        let request = requests.recv().unwrap();
        assert!(request.starts_with("POST /hook HTTP/1.1"), "{request}");
        assert!(request.contains(&format!("techex-delivery: {}", sent.id)));

        let (error, _requests) = endpoint(
            "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        let outcome = d.send(&delivery(format!("http://127.0.0.1:{error}/")));
        assert!(
            matches!(
                outcome,
                Outcome::Failed {
                    status: Some(500),
                    ..
                }
            ),
            "{outcome:?}"
        );
    }

    #[test]
    fn redirects_are_not_followed() {
        // The redirect points at a listener that must never be reached.
        let (target, reached) = endpoint("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        let redirect: &'static str = Box::leak(
            format!(
                "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:{target}/\r\n\
                 Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
            .into_boxed_str(),
        );
        let (port, _requests) = endpoint(redirect);
        let outcome =
            deliverer(&["127.0.0.1"]).send(&delivery(format!("http://127.0.0.1:{port}/")));
        assert!(
            matches!(
                outcome,
                Outcome::Failed {
                    status: Some(307),
                    ..
                }
            ),
            "{outcome:?}"
        );
        assert!(reached.recv_timeout(Duration::from_millis(300)).is_err());
    }

    #[test]
    fn internal_targets_are_refused_at_delivery_time() {
        let (port, requests) = endpoint("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        // Registered while allowed, the allow-list since emptied: no request is made.
        let outcome = deliverer(&[]).send(&delivery(format!("http://127.0.0.1:{port}/")));
        assert!(
            matches!(&outcome, Outcome::Failed { status: None, error } if error.contains("no longer allowed")),
            "{outcome:?}"
        );
        // localhost is refused by name (and would resolve to loopback).
        let outcome = deliverer(&[]).send(&delivery(format!("https://localhost:{port}/")));
        assert!(
            matches!(outcome, Outcome::Failed { status: None, .. }),
            "{outcome:?}"
        );
        assert!(requests.recv_timeout(Duration::from_millis(300)).is_err());
        // Allowed by name, the resolved and checked address is the one connected to.
        let outcome =
            deliverer(&["localhost"]).send(&delivery(format!("http://localhost:{port}/")));
        assert_eq!(outcome, Outcome::Delivered(200));
        assert!(requests.recv().unwrap().starts_with("POST / HTTP/1.1"));
    }
}
