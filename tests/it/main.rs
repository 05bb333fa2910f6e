//! Integration tests: the real `fanout` binary against real servers on
//! 127.0.0.1. No traffic leaves the machine.
//!
//! Modules that send signals (nix) or run shell scripts are unix-only, and
//! those that need /proc, /dev/full, prlimit or util-linux `script` are
//! Linux-only; the rest also run on macOS and Windows (ci.yml).

mod adaptive;
mod answered;
mod cert_server;
mod certs;
mod checks;
#[cfg(unix)]
mod distributed;
mod docs;
mod errors;
mod fault_server;
mod faults;
mod first_hour;
mod habits;
mod health;
mod host_rate;
mod host_rules;
mod input;
#[cfg(unix)]
mod interrupts;
mod layers;
#[cfg(target_os = "linux")]
mod limits;
mod lists;
mod max_failures;
mod mistakes;
mod mtls;
mod output;
mod per_line;
#[cfg(target_os = "linux")]
mod pipes;
mod politeness;
mod properties;
#[cfg(unix)]
mod protection;
mod redirects;
mod regressions;
mod remember;
#[cfg(unix)]
mod report_files;
mod reports;
mod retries;
mod routing;
mod save;
#[cfg(target_os = "linux")]
mod save_faults;
#[cfg(unix)]
mod save_links;
mod save_names;
mod secret_files;
mod secrets;
#[cfg(target_os = "linux")]
mod signals;
mod support;
#[cfg(target_os = "linux")]
mod terminal;
#[cfg(unix)]
mod threads;
mod throttle;
mod tls;
