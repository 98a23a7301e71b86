//! Login throttling: attempts per client address per minute, and failed attempts at
//! an account over a window, from each client address and from all of them. In
//! memory, per process: a restart forgets, which is the accepted price of needing no
//! shared store; each replica throttles on its own.
//!
//! An attempt is counted as a failure when it is let through, before the password
//! is checked, and taken back if the password was right: requests racing from one
//! address cannot all pass the check before any failure is recorded.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::settings::LoginThrottleSettings;

/// Keys with their recent event times, at most `limit` kept per key.
struct SlidingWindow {
    limit: usize,
    window: Duration,
    events: HashMap<String, VecDeque<Instant>>,
}

/// Above this many keys, expired ones are swept on the next write.
const SWEEP_ABOVE: usize = 10_000;

impl SlidingWindow {
    fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit: limit.max(1) as usize,
            window,
            events: HashMap::new(),
        }
    }

    /// How long until `key` may act again, if it is at its limit now.
    fn blocked_for(&mut self, key: &str, now: Instant) -> Option<Duration> {
        let events = self.events.get_mut(key)?;
        while events
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            events.pop_front();
        }
        if events.len() < self.limit {
            return None;
        }
        let oldest = *events.front()?;
        Some(self.window.saturating_sub(now.duration_since(oldest)))
    }

    fn record(&mut self, key: &str, now: Instant) {
        if self.events.len() > SWEEP_ABOVE {
            let window = self.window;
            self.events.retain(|_, events| {
                events
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        let events = self.events.entry(key.to_owned()).or_default();
        events.push_back(now);
        while events.len() > self.limit {
            events.pop_front();
        }
    }

    fn clear(&mut self, key: &str) {
        self.events.remove(key);
    }

    /// Forgets the latest event of `key`.
    fn take_back(&mut self, key: &str) {
        if let Some(events) = self.events.get_mut(key) {
            events.pop_back();
            if events.is_empty() {
                self.events.remove(key);
            }
        }
    }
}

pub struct LoginThrottle {
    per_address: Mutex<SlidingWindow>,
    /// Failed attempts at one account from one client address. A guesser locks out
    /// itself, not the account's owner, who signs in from elsewhere.
    per_client: Mutex<SlidingWindow>,
    /// Failed attempts at one account from every address: the ceiling for a
    /// guesser that spreads its attempts over many addresses.
    per_account: Mutex<SlidingWindow>,
}

impl LoginThrottle {
    pub fn new(settings: &LoginThrottleSettings) -> Self {
        let window = Duration::from_secs(settings.per_account_window_secs);
        Self {
            per_address: Mutex::new(SlidingWindow::new(
                settings.per_address_per_minute,
                Duration::from_secs(60),
            )),
            per_client: Mutex::new(SlidingWindow::new(settings.per_account_failures, window)),
            per_account: Mutex::new(SlidingWindow::new(
                settings.per_account_failures_all_addresses,
                window,
            )),
        }
    }

    /// Counts an attempt from `address`; `Err(wait)` when it is over its limit.
    pub fn attempt_from(&self, address: &str, now: Instant) -> Result<(), Duration> {
        let client = client_of(address);
        let mut window = lock(&self.per_address);
        if let Some(wait) = window.blocked_for(&client, now) {
            return Err(wait);
        }
        window.record(&client, now);
        Ok(())
    }

    /// Counts an attempt from `address` at `account`'s password, as a failure until
    /// [`Self::succeeded`] says otherwise; `Err(wait)`, counting nothing, when the
    /// address is over its limit or the account has failed too often, from this
    /// address or from all of them.
    pub fn attempt(&self, address: &str, account: &str, now: Instant) -> Result<(), Duration> {
        self.attempt_from(address, now)?;
        let key = client_key(address, account);
        let mut from_here = lock(&self.per_client);
        let mut from_all = lock(&self.per_account);
        let wait = from_here
            .blocked_for(&key, now)
            .max(from_all.blocked_for(account, now));
        if let Some(wait) = wait {
            return Err(wait);
        }
        from_here.record(&key, now);
        from_all.record(account, now);
        Ok(())
    }

    /// The right password from `address`: that address's failures are forgotten
    /// and this attempt no longer counts. The other failures from all addresses
    /// stay: the owner signing in must not reset the budget of a guesser using many
    /// addresses.
    pub fn succeeded(&self, address: &str, account: &str) {
        lock(&self.per_client).clear(&client_key(address, account));
        lock(&self.per_account).take_back(account);
    }

    /// A password set through a reset token lifts every lock on the account: its
    /// owner has proved who they are another way.
    pub fn lift(&self, account: &str) {
        let prefix = client_key("", account);
        lock(&self.per_client)
            .events
            .retain(|key, _| !key.starts_with(&prefix));
        lock(&self.per_account).clear(account);
    }
}

/// The key of `account` (an e-mail address, lower-cased, without control
/// characters) as tried from `address`. A NUL cannot occur in the account, so it
/// separates the two unambiguously; the account comes first, so that
/// [`LoginThrottle::lift`] finds an account's keys by prefix.
fn client_key(address: &str, account: &str) -> String {
    format!("{account}\0{}", client_of(address))
}

/// Who a client address stands for. An IPv6 host is given a whole /64 and can
/// change its address within it at will, so the /64 is the client; an IPv4
/// address (or anything else) is itself.
fn client_of(address: &str) -> String {
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
            }
        },
        _ => address.to_owned(),
    }
}

/// A poisoned lock only means another thread panicked mid-update of a counter map;
/// the map is still usable.
fn lock(mutex: &Mutex<SlidingWindow>) -> std::sync::MutexGuard<'_, SlidingWindow> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> LoginThrottleSettings {
        LoginThrottleSettings {
            per_address_per_minute: 30,
            per_account_failures: 2,
            per_account_failures_all_addresses: 5,
            per_account_window_secs: 600,
        }
    }

    fn throttle() -> LoginThrottle {
        LoginThrottle::new(&settings())
    }

    #[test]
    fn addresses_are_limited_per_minute() {
        let throttle = LoginThrottle::new(&LoginThrottleSettings {
            per_address_per_minute: 3,
            ..settings()
        });
        let start = Instant::now();
        for _ in 0..3 {
            assert!(throttle.attempt_from("10.0.0.1", start).is_ok());
        }
        let wait = throttle.attempt_from("10.0.0.1", start).unwrap_err();
        assert_eq!(wait, Duration::from_secs(60));
        assert!(
            throttle.attempt_from("10.0.0.2", start).is_ok(),
            "other addresses are unaffected"
        );
        assert!(
            throttle
                .attempt_from("10.0.0.1", start + Duration::from_secs(60))
                .is_ok()
        );
    }

    #[test]
    fn an_account_locks_for_the_failing_address_and_success_there_resets() {
        let throttle = throttle();
        let start = Instant::now();
        let later = start + Duration::from_secs(1);
        // Two attempts not followed by a success are two failures.
        assert!(throttle.attempt("10.0.0.1", "a@b.vn", start).is_ok());
        assert!(throttle.attempt("10.0.0.1", "a@b.vn", start).is_ok());
        assert!(throttle.attempt("10.0.0.1", "a@b.vn", later).is_err());
        assert!(
            throttle.attempt("10.0.0.2", "a@b.vn", later).is_ok(),
            "the owner elsewhere is not locked out"
        );
        assert!(
            throttle.attempt("10.0.0.1", "c@d.vn", later).is_ok(),
            "nor are other accounts"
        );
        assert!(
            throttle
                .attempt("10.0.0.1", "a@b.vn", start + Duration::from_secs(600))
                .is_ok()
        );
        // A success forgets the address's failures, its own attempt included.
        assert!(throttle.attempt("10.0.0.3", "e@f.vn", start).is_ok());
        assert!(throttle.attempt("10.0.0.3", "e@f.vn", start).is_ok());
        throttle.succeeded("10.0.0.3", "e@f.vn");
        assert!(throttle.attempt("10.0.0.3", "e@f.vn", later).is_ok());
        assert!(throttle.attempt("10.0.0.3", "e@f.vn", later).is_ok());
        assert!(throttle.attempt("10.0.0.3", "e@f.vn", later).is_err());
    }

    #[test]
    fn failures_from_many_addresses_lock_the_account_until_lifted() {
        let throttle = throttle();
        let start = Instant::now();
        for n in 0..4 {
            assert!(
                throttle
                    .attempt(&format!("10.0.0.{n}"), "a@b.vn", start)
                    .is_ok()
            );
        }
        // The owner's success is not a failure, and does not forget the others'.
        assert!(throttle.attempt("10.0.9.9", "a@b.vn", start).is_ok());
        throttle.succeeded("10.0.9.9", "a@b.vn");
        assert!(throttle.attempt("10.0.0.7", "a@b.vn", start).is_ok());
        assert!(
            throttle.attempt("10.0.9.9", "a@b.vn", start).is_err(),
            "five failures from all addresses"
        );
        // `a@b.vn.x` begins like `a@b.vn` but is another account.
        assert!(throttle.attempt("10.0.0.1", "a@b.vn.x", start).is_ok());
        assert!(throttle.attempt("10.0.0.1", "a@b.vn.x", start).is_ok());
        throttle.lift("a@b.vn");
        assert!(throttle.attempt("10.0.0.1", "a@b.vn", start).is_ok());
        assert!(
            throttle.attempt("10.0.0.1", "a@b.vn.x", start).is_err(),
            "lifting one account leaves the others"
        );
    }

    #[test]
    fn an_ipv6_client_is_its_64_and_a_mapped_ipv4_address_is_itself() {
        let throttle = throttle();
        let start = Instant::now();
        assert!(throttle.attempt("2001:db8:1:2::1", "a@b.vn", start).is_ok());
        assert!(
            throttle
                .attempt("2001:db8:1:2:ffff::9", "a@b.vn", start)
                .is_ok()
        );
        assert!(
            throttle
                .attempt("2001:db8:1:2::abcd", "a@b.vn", start)
                .is_err(),
            "another address of the same /64"
        );
        assert!(throttle.attempt("2001:db8:1:3::1", "a@b.vn", start).is_ok());
        assert_eq!(client_of("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(client_of("192.0.2.7"), "192.0.2.7");
        assert_eq!(client_of("unknown"), "unknown");
    }
}
