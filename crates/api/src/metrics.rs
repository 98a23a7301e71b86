//! Prometheus metrics in the text exposition format, kept by hand: a few counters and
//! one latency histogram do not justify a metrics framework. Labels are bounded:
//! routes are their patterns (`/api/v1/organisations/{id}/verify`), never raw paths.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Registry {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    logins: BTreeMap<&'static str, u64>,
}

#[derive(Default)]
pub struct Metrics {
    registry: Mutex<Registry>,
}

/// Database pool figures, read at scrape time.
pub struct PoolGauges {
    pub connections: u32,
    pub idle: u32,
}

impl Metrics {
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let mut registry = self.lock();
        *registry
            .requests
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
        let histogram = registry.latency.entry(route.to_owned()).or_default();
        let seconds = elapsed.as_secs_f64();
        for (count, bound) in histogram.counts.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *count += 1;
            }
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    /// `outcome` is one of a fixed set: succeeded, failed, throttled.
    pub fn observe_login(&self, outcome: &'static str) {
        *self.lock().logins.entry(outcome).or_default() += 1;
    }

    pub fn render(&self, pool: &PoolGauges) -> String {
        let registry = self.lock();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP techex_http_requests_total HTTP requests by method, route and status."
        );
        let _ = writeln!(out, "# TYPE techex_http_requests_total counter");
        for ((method, route, status), count) in &registry.requests {
            let _ = writeln!(
                out,
                "techex_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {count}",
                escape(method),
                escape(route)
            );
        }
        let _ = writeln!(
            out,
            "# HELP techex_http_request_duration_seconds HTTP request latency by route."
        );
        let _ = writeln!(out, "# TYPE techex_http_request_duration_seconds histogram");
        for (route, histogram) in &registry.latency {
            let route = escape(route);
            for (count, bound) in histogram.counts.iter().zip(BUCKETS) {
                let _ = writeln!(
                    out,
                    "techex_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "techex_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                histogram.count
            );
            let _ = writeln!(
                out,
                "techex_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                histogram.sum
            );
            let _ = writeln!(
                out,
                "techex_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                histogram.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP techex_login_attempts_total Login attempts by outcome."
        );
        let _ = writeln!(out, "# TYPE techex_login_attempts_total counter");
        for (outcome, count) in &registry.logins {
            let _ = writeln!(
                out,
                "techex_login_attempts_total{{outcome=\"{outcome}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP techex_db_pool_connections Open database connections."
        );
        let _ = writeln!(out, "# TYPE techex_db_pool_connections gauge");
        let _ = writeln!(out, "techex_db_pool_connections {}", pool.connections);
        let _ = writeln!(
            out,
            "# HELP techex_db_pool_idle_connections Idle database connections."
        );
        let _ = writeln!(out, "# TYPE techex_db_pool_idle_connections gauge");
        let _ = writeln!(out, "techex_db_pool_idle_connections {}", pool.idle);
        let _ = writeln!(out, "# HELP techex_build_info The running version.");
        let _ = writeln!(out, "# TYPE techex_build_info gauge");
        let _ = writeln!(
            out,
            "techex_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        out
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.registry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let metrics = Metrics::default();
        metrics.observe_request("GET", "/healthz", 200, Duration::from_millis(3));
        metrics.observe_request("GET", "/healthz", 200, Duration::from_millis(30));
        metrics.observe_login("failed");
        let text = metrics.render(&PoolGauges {
            connections: 2,
            idle: 1,
        });
        assert!(text.contains(
            "techex_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "techex_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "techex_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.05\"} 2"
        ));
        assert!(text.contains("techex_login_attempts_total{outcome=\"failed\"} 1"));
        assert!(text.contains("techex_db_pool_connections 2"));
    }
}
