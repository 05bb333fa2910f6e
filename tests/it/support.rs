//! Shared test support, all of it behind `use crate::support::*;`: running
//! the real binary and checking its records, real servers on 127.0.0.1, and
//! what those servers saw.
//!
//! Which test server for what:
//!
//! - [`AppServer`]: an axum app written in the test, for behaviour (status
//!   codes, headers, redirects, delays, counting what arrives). The first
//!   choice; it stops when dropped.
//! - [`RawServer`]: raw TCP for what a polite server never does: hang
//!   after the request, reset before the answer or mid-body, answer with
//!   garbage ([`Raw`]). It announces each request it reads, so a test can
//!   wait for it instead of sleeping.
//! - `fault_server/` (`FaultServer`): a small HTTP/1.1 server of its own
//!   with every fault behind a path (`/hang`, `/drip/BYTES/MS`,
//!   `/reset-body`, `/big/BYTES`, … listed in `fault_server/routes.rs`), a
//!   second port that is another host, a port that never answers, and TLS
//!   (HTTP/1.1 and HTTP/2) with a good, a misnamed and a self-signed
//!   certificate. For faults, load, saving bodies and TLS errors.
//! - `cert_server.rs` (`CertServer`): HTTPS with a leaf certificate whose
//!   validity and names the test picks, a delay before each handshake, and
//!   the connection that carried each response; for certificate checks
//!   and which connection answered.
//! - `per_line::Echo`: an [`AppServer`] that keeps every request whole
//!   (method, path, headers, body), for what fanout sent.
//! - `wiremock` (`retries.rs`): answers scripted per attempt (503 twice,
//!   then 200) with the number of requests checked when it drops.
//! - [`on_own_thread`]: a runtime on a thread of its own for a server the
//!   test writes itself (keep-alive servers in `limits.rs`, mutual TLS in
//!   `mtls.rs`); [`closed_port`] is a port where nothing listens.
//!
//! A handler counts requests in flight with a [`Gauge`] and notes what it
//! saw (a path, a header, an arrival time) in a [`Recorder`]; [`host`] is
//! `{host}` in the name of a file saved from a `FaultServer`.

mod records;
mod run;
mod seen;
mod servers;

pub use records::*;
pub use run::*;
pub use seen::*;
pub use servers::*;
