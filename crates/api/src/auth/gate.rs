//! Who is asking is settled before what was asked is judged. actix polls a
//! handler's extractors together, so a body or query string that fails to parse
//! answered an anonymous caller 400 while the 401 was still being written to the
//! audit log. An authenticating extractor opens a gate on its request; the other
//! extractors hold their errors until it closes, and the refusal, if any, wins.

use std::cell::Cell;
use std::rc::Rc;

use actix_web::{HttpMessage, HttpRequest};
use tokio::sync::Notify;

#[derive(Clone, Default)]
pub struct AuthGate(Rc<Inner>);

#[derive(Default)]
struct Inner {
    settled: Cell<bool>,
    notify: Notify,
}

impl AuthGate {
    /// Opens the request's gate, settled when the returned guard is dropped —
    /// after the authentication, whatever its outcome.
    pub fn open(req: &HttpRequest) -> Settles {
        let gate = Self::default();
        req.extensions_mut().insert(gate.clone());
        Settles(gate)
    }

    /// Resolves once the request's authentication, if it has one, has settled.
    /// The gate is looked for when awaited: by then every extractor of the
    /// handler has been created, whatever the order of its arguments.
    pub fn settled(req: &HttpRequest) -> impl Future<Output = ()> + 'static {
        let req = req.clone();
        async move {
            let gate = req.extensions().get::<Self>().cloned();
            let Some(gate) = gate else {
                return;
            };
            // Registered before the check, so a settling in between is not missed.
            let notified = gate.0.notify.notified();
            if !gate.0.settled.get() {
                notified.await;
            }
        }
    }
}

/// Settles the gate when dropped.
pub struct Settles(AuthGate);

impl Drop for Settles {
    fn drop(&mut self) {
        self.0.0.settled.set(true);
        self.0.0.notify.notify_waiters();
    }
}
