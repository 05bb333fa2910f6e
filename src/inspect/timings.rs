//! `--timings`: the phases of the final hop, attributed to the connection
//! that actually carried its response.
//!
//! hyper-util's pool hands a waiting request whichever connection frees up
//! first, so the time a request spent waiting says nothing about which
//! connect it waited for. Instead the connector itself is measured: a
//! connector layer ([`TimingLayer`]) times each new connection (TCP and TLS,
//! or to the proxy) and, through a task-local slot, the name lookup our own
//! resolver ([`TimedResolver`]) made for it. It files both in the
//! [`Tracker`] under the connection's (local, remote) address pair, which
//! hyper-util also puts on every response the connection carries. The first
//! response that claims an entry is the connection's first (`reused:
//! false`); an entry claimed once is gone, so every later response on that
//! connection finds nothing (`reused: true`).
//!
//! Bounded: entries live only until claimed; a connection that closes
//! before carrying a response leaves one behind, and past [`MAX_UNCLAIMED`]
//! the oldest go. Nothing here is built without `--timings`.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper_util::client::legacy::connect::{Connection, HttpInfo};

use crate::record::Timings;

/// Connections kept waiting for their first response, at most.
pub const MAX_UNCLAIMED: usize = 4096;

tokio::task_local! {
    /// Where the resolver leaves the lookup time of the connect in progress.
    static LOOKUP: Arc<Mutex<Option<Duration>>>;
}

/// How a new connection was made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fresh {
    /// The name lookup; `None` when none was made (an IP literal).
    pub dns: Option<Duration>,
    /// TCP connect plus TLS handshake.
    pub connect: Duration,
}

type Key = (SocketAddr, SocketAddr);

/// New connections not yet claimed by a response, by (local, remote).
#[derive(Debug, Default)]
pub struct Tracker {
    table: Mutex<Table>,
}

#[derive(Debug, Default)]
struct Table {
    entries: HashMap<Key, (u64, Fresh)>,
    next: u64,
}

impl Tracker {
    /// An empty table, shared by the layer and the fetcher.
    pub fn new() -> Arc<Tracker> {
        Arc::new(Tracker::default())
    }

    /// The connector layer that files new connections here.
    pub fn layer(self: &Arc<Self>) -> TimingLayer {
        TimingLayer {
            tracker: Arc::clone(self),
        }
    }

    fn opened(&self, key: Key, fresh: Fresh) {
        let mut t = self.table.lock().unwrap_or_else(|e| e.into_inner());
        t.next += 1;
        let seq = t.next;
        // A reused address pair means the old connection is gone.
        t.entries.insert(key, (seq, fresh));
        if t.entries.len() > MAX_UNCLAIMED {
            let oldest = t
                .entries
                .iter()
                .min_by_key(|(_, (s, _))| *s)
                .map(|(k, _)| *k);
            if let Some(k) = oldest {
                t.entries.remove(&k);
            }
        }
    }

    /// Claims the connection a response arrived on: `Some` exactly for the
    /// first response on it.
    pub fn claim(&self, info: Option<&HttpInfo>) -> Option<Fresh> {
        self.claim_key((info?.local_addr(), info?.remote_addr()))
    }

    fn claim_key(&self, key: Key) -> Option<Fresh> {
        let mut t = self.table.lock().unwrap_or_else(|e| e.into_inner());
        t.entries.remove(&key).map(|(_, fresh)| fresh)
    }

    /// Entries waiting for a response (for tests of the bound).
    pub fn unclaimed(&self) -> usize {
        self.table.lock().map_or(0, |t| t.entries.len())
    }
}

/// Wraps reqwest's connector to time each new connection.
#[derive(Clone)]
pub struct TimingLayer {
    tracker: Arc<Tracker>,
}

impl<S> tower_layer::Layer<S> for TimingLayer {
    type Service = Timed<S>;
    fn layer(&self, inner: S) -> Timed<S> {
        Timed {
            inner,
            tracker: Arc::clone(&self.tracker),
        }
    }
}

/// The timed connector service.
#[derive(Clone)]
pub struct Timed<S> {
    inner: S,
    tracker: Arc<Tracker>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, R> tower_service::Service<R> for Timed<S>
where
    S: tower_service::Service<R>,
    S::Response: Connection + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> Self::Future {
        let slot = Arc::new(Mutex::new(None));
        let start = Instant::now();
        // The slot is in scope both when the connect is set up and while it
        // runs: the lookup may start in either.
        let connecting = LOOKUP.sync_scope(Arc::clone(&slot), || self.inner.call(req));
        let tracker = Arc::clone(&self.tracker);
        Box::pin(async move {
            let conn = LOOKUP.scope(Arc::clone(&slot), connecting).await?;
            let total = start.elapsed();
            let dns = *slot.lock().unwrap_or_else(|e| e.into_inner());
            let mut extras = http::Extensions::new();
            conn.connected().get_extras(&mut extras);
            if let Some(info) = extras.get::<HttpInfo>() {
                let fresh = Fresh {
                    dns,
                    connect: total.saturating_sub(dns.unwrap_or_default()),
                };
                tracker.opened((info.local_addr(), info.remote_addr()), fresh);
            }
            Ok(conn)
        })
    }
}

/// The system resolver (as reqwest's own), timed for [`TimingLayer`].
#[derive(Debug, Clone, Copy, Default)]
pub struct TimedResolver;

impl reqwest::dns::Resolve for TimedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let slot = LOOKUP.try_with(Arc::clone).ok();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let start = Instant::now();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(slot) = slot {
                *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(start.elapsed());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// When one hop happened, as the attempt saw it.
#[derive(Debug, Clone, Copy)]
pub struct Hop {
    /// The request was handed to the client.
    pub sent: Instant,
    /// Its response headers arrived.
    pub headers: Instant,
    /// The connection was new: how it was made.
    pub fresh: Option<Fresh>,
    /// The last body byte was read (the headers, until one is).
    pub done: Instant,
}

impl Hop {
    /// The record's `timings` for this hop.
    pub fn timings(self) -> Timings {
        let h = self;
        let dns = h.fresh.and_then(|f| f.dns);
        let connect = h.fresh.map(|f| f.connect);
        let waited = h.headers.saturating_duration_since(h.sent);
        Timings {
            reused: h.fresh.is_none(),
            dns_ms: dns,
            connect_ms: connect,
            ttfb_ms: waited
                .saturating_sub(dns.unwrap_or_default())
                .saturating_sub(connect.unwrap_or_default()),
            download_ms: h.done.saturating_duration_since(h.headers),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_subtract_the_connection_from_ttfb() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let hop = Hop {
            sent: t0,
            headers: t0 + ms(10),
            fresh: Some(Fresh {
                dns: Some(ms(1)),
                connect: ms(4),
            }),
            done: t0 + ms(13),
        };
        let t = hop.timings();
        assert_eq!(
            (t.reused, t.dns_ms, t.connect_ms),
            (false, Some(ms(1)), Some(ms(4)))
        );
        assert_eq!((t.ttfb_ms, t.download_ms), (ms(5), ms(3)));
        assert_eq!(t.slowest(), ("ttfb", ms(5)));
        let reused = Hop { fresh: None, ..hop }.timings();
        assert_eq!(
            (reused.reused, reused.dns_ms, reused.connect_ms),
            (true, None, None)
        );
        assert_eq!(reused.ttfb_ms, ms(10));
        let json = serde_json::to_string(&reused).unwrap();
        assert_eq!(
            json,
            r#"{"reused":true,"dns_ms":null,"connect_ms":null,"ttfb_ms":10.0,"download_ms":3.0}"#
        );
    }

    #[test]
    fn the_first_claim_wins_and_the_table_stays_bounded() {
        let tracker = Tracker::new();
        let fresh = Fresh {
            dns: None,
            connect: Duration::from_millis(2),
        };
        let remote: SocketAddr = "127.0.0.1:80".parse().unwrap();
        for port in 1..=(MAX_UNCLAIMED as u16 + 10) {
            tracker.opened((SocketAddr::new(remote.ip(), port), remote), fresh);
        }
        assert_eq!(tracker.unclaimed(), MAX_UNCLAIMED);
        // The oldest went first.
        let first = (SocketAddr::new(remote.ip(), 1), remote);
        assert_eq!(tracker.claim_key(first), None);
        let last = (
            SocketAddr::new(remote.ip(), MAX_UNCLAIMED as u16 + 10),
            remote,
        );
        assert_eq!(tracker.claim_key(last), Some(fresh));
        assert_eq!(
            tracker.claim_key(last),
            None,
            "only the first response claims"
        );
        assert_eq!(tracker.unclaimed(), MAX_UNCLAIMED - 1);
        assert_eq!(tracker.claim(None), None);
    }
}
