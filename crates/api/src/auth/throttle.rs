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
    per_account: Mutex<SlidingWindow>,
}

impl LoginThrottle {
    pub fn new(settings: &LoginThrottleSettings) -> Self {
        Self {
            per_address: Mutex::new(SlidingWindow::new(
                settings.per_address_per_minute,
                Duration::from_secs(60),
            )),
            per_account: Mutex::new(SlidingWindow::new(
                settings.per_account_failures,
                Duration::from_secs(settings.per_account_window_secs),
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
    /// the address is over its limit or the account has failed too often.
    pub fn attempt(&self, address: &str, account: &str, now: Instant) -> Result<(), Duration> {
        self.attempt_from(address, now)?;
        self.account_allowed(account, now)
    }

    /// `Err(wait)` when the account has failed too often recently.
    pub fn account_allowed(&self, account: &str, now: Instant) -> Result<(), Duration> {
        match lock(&self.per_account).blocked_for(account, now) {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    pub fn record_failure(&self, account: &str, now: Instant) {
        lock(&self.per_account).record(account, now);
    }

    pub fn record_success(&self, account: &str) {
        lock(&self.per_account).clear(account);
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

    fn throttle() -> LoginThrottle {
        LoginThrottle::new(&LoginThrottleSettings {
            per_address_per_minute: 3,
            per_account_failures: 2,
            per_account_window_secs: 600,
        })
    }

    #[test]
    fn addresses_are_limited_per_minute() {
        let throttle = throttle();
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
    fn accounts_lock_after_failures_and_success_resets() {
        let throttle = throttle();
        let start = Instant::now();
        throttle.record_failure("a@b.vn", start);
        assert!(throttle.account_allowed("a@b.vn", start).is_ok());
        throttle.record_failure("a@b.vn", start);
        assert!(
            throttle
                .account_allowed("a@b.vn", start + Duration::from_secs(1))
                .is_err()
        );
        assert!(
            throttle
                .account_allowed("a@b.vn", start + Duration::from_secs(600))
                .is_ok()
        );
        throttle.record_failure("c@d.vn", start);
        throttle.record_success("c@d.vn");
        throttle.record_failure("c@d.vn", start);
        assert!(throttle.account_allowed("c@d.vn", start).is_ok());
    }
}
