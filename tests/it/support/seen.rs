//! What a test server saw, shared with the test: how many requests were in
//! flight at once ([`Gauge`]) and each request in the order it came
//! ([`Recorder`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};

/// Counts a server's requests in flight, the most at once, and all of
/// them. A handler holds the [`InFlight`] from [`Gauge::enter`] while it
/// works on a request.
#[derive(Debug, Default)]
pub struct Gauge {
    now: AtomicUsize,
    peak: AtomicUsize,
    total: AtomicUsize,
}

impl Gauge {
    /// Counts one request in, until the guard is dropped.
    pub fn enter(&self) -> InFlight<'_> {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        self.total.fetch_add(1, Ordering::SeqCst);
        InFlight { gauge: self, now }
    }

    /// The most requests that were in flight at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    /// Every request that entered.
    pub fn total(&self) -> usize {
        self.total.load(Ordering::SeqCst)
    }
}

/// One request in flight; counted out when dropped, also when the client
/// goes away and the handler is cancelled.
#[must_use = "the request is counted out when this drops"]
pub struct InFlight<'a> {
    gauge: &'a Gauge,
    /// Requests in flight with this one, itself included.
    pub now: usize,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.gauge.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What a server's handlers note about each request (a path, a header,
/// an arrival time…), in the order they noted it. Clones share the notes.
#[derive(Debug)]
pub struct Recorder<T>(Arc<Mutex<Vec<T>>>);

impl<T> Default for Recorder<T> {
    fn default() -> Self {
        Recorder(Arc::default())
    }
}

impl<T> Clone for Recorder<T> {
    fn clone(&self) -> Self {
        Recorder(self.0.clone())
    }
}

impl<T: Clone + Send + 'static> Recorder<T> {
    /// Notes one item; returns how many there are now, this one included.
    pub fn push(&self, item: T) -> usize {
        let mut all = self.0.lock().unwrap();
        all.push(item);
        all.len()
    }

    /// Everything noted so far, in order.
    pub fn all(&self) -> Vec<T> {
        self.0.lock().unwrap().clone()
    }

    /// `app`, noting `what(request)` for every request it gets before the
    /// handler runs.
    pub fn around(&self, app: Router, what: fn(&Request) -> T) -> Router {
        let log = self.clone();
        app.layer(middleware::from_fn(move |req: Request, next: Next| {
            log.push(what(&req));
            next.run(req)
        }))
    }
}
