//! Integration tests: the real `fanout` binary against real servers on
//! 127.0.0.1. No traffic leaves the machine.
//!
//! Modules that send signals (nix) are unix-only; the rest build on Windows.

mod adaptive;
mod answered;
mod cert_server;
mod certs;
mod checks;
mod distributed;
mod errors;
mod fault_server;
mod faults;
mod first_hour;
mod health;
mod input;
#[cfg(unix)]
mod interrupts;
mod layers;
mod limits;
mod lists;
mod max_failures;
mod mtls;
mod output;
mod per_line;
mod pipes;
mod politeness;
mod properties;
#[cfg(unix)]
mod protection;
mod redirects;
mod regressions;
mod reports;
mod retries;
mod routing;
mod save;
#[cfg(unix)]
mod save_faults;
mod save_names;
mod secrets;
#[cfg(unix)]
mod signals;
mod support;
mod terminal;
#[cfg(unix)]
mod threads;
mod tls;
