//! Login throttling: attempts per client address per minute, and failed attempts per
//! account over a window. In memory, per process: a restart forgets, which is the
//! accepted price of needing no shared store; each replica throttles on its own.

use std::collections::{HashMap, VecDeque};
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
        let mut window = lock(&self.per_address);
        if let Some(wait) = window.blocked_for(address, now) {
            return Err(wait);
        }
        window.record(address, now);
        Ok(())
    }

    /// Counts an attempt from `address` at `account`'s password; `Err(wait)` when
    /// the address is over its limit or the account has failed too often, from
    /// this address or from all of them.
    pub fn attempt(&self, address: &str, account: &str, now: Instant) -> Result<(), Duration> {
        self.attempt_from(address, now)?;
        let from_here = lock(&self.per_client).blocked_for(&client_key(address, account), now);
        let from_all = lock(&self.per_account).blocked_for(account, now);
        match from_here.max(from_all) {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    pub fn record_failure(&self, address: &str, account: &str, now: Instant) {
        lock(&self.per_client).record(&client_key(address, account), now);
        lock(&self.per_account).record(account, now);
    }

    /// The right password from `address` forgets that address's failures. The
    /// account-wide count stays: the owner signing in must not reset the budget
    /// of a guesser using many addresses.
    pub fn record_success(&self, address: &str, account: &str) {
        lock(&self.per_client).clear(&client_key(address, account));
    }

    /// A password set through a reset token lifts every lock on the account: its
    /// owner has proved who they are another way.
    pub fn lift(&self, account: &str) {
        lock(&self.per_account).clear(account);
        let prefix = client_key("", account);
        lock(&self.per_client)
            .events
            .retain(|key, _| !key.starts_with(&prefix));
    }
}

/// The key of `account` as tried from `address`. The account is the address as
/// typed with control characters dropped, so a NUL cannot occur in it and separates
/// the two unambiguously; the account comes first, so that [`LoginThrottle::lift`]
/// finds an account's keys by prefix.
fn client_key(address: &str, account: &str) -> String {
    format!("{account}\0{address}")
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

    fn throttle() -> LoginThrottle {
        LoginThrottle::new(&throttle_settings())
    }

    #[test]
    fn addresses_are_limited_per_minute() {
        let throttle = LoginThrottle::new(&LoginThrottleSettings {
            per_address_per_minute: 3,
            ..throttle_settings()
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

    fn throttle_settings() -> LoginThrottleSettings {
        LoginThrottleSettings {
            per_address_per_minute: 30,
            per_account_failures: 2,
            per_account_failures_all_addresses: 5,
            per_account_window_secs: 600,
        }
    }

    #[test]
    fn an_account_locks_for_the_failing_address_and_success_there_resets() {
        let throttle = throttle();
        let start = Instant::now();
        let later = start + Duration::from_secs(1);
        throttle.record_failure("10.0.0.1", "a@b.vn", start);
        assert!(throttle.attempt("10.0.0.1", "a@b.vn", start).is_ok());
        throttle.record_failure("10.0.0.1", "a@b.vn", start);
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
        throttle.record_failure("10.0.0.1", "c@d.vn", start);
        throttle.record_success("10.0.0.1", "c@d.vn");
        throttle.record_failure("10.0.0.1", "c@d.vn", start);
        assert!(throttle.attempt("10.0.0.1", "c@d.vn", later).is_ok());
    }

    #[test]
    fn failures_from_many_addresses_lock_the_account_until_lifted() {
        let throttle = throttle();
        let start = Instant::now();
        for n in 0..5 {
            throttle.record_failure(&format!("10.0.0.{n}"), "a@b.vn", start);
        }
        assert!(throttle.attempt("10.0.9.9", "a@b.vn", start).is_err());
        // Signing in somewhere does not reset the account-wide count.
        throttle.record_success("10.0.0.0", "a@b.vn");
        assert!(throttle.attempt("10.0.9.9", "a@b.vn", start).is_err());
        throttle.record_failure("10.0.0.1", "a@b.vn", start);
        throttle.record_failure("10.0.0.1", "e@f.vn", start);
        throttle.record_failure("10.0.0.1", "e@f.vn", start);
        throttle.lift("a@b.vn");
        assert!(throttle.attempt("10.0.0.1", "a@b.vn", start).is_ok());
        assert!(
            throttle.attempt("10.0.0.1", "e@f.vn", start).is_err(),
            "lifting one account leaves the others"
        );
    }
}
