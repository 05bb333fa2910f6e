//! Integration tests: the real `fanout` binary against real servers on
//! 127.0.0.1. No traffic leaves the machine.

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
mod interrupts;
mod layers;
mod limits;
mod lists;
mod max_failures;
mod output;
mod per_line;
mod pipes;
mod politeness;
mod properties;
mod protection;
mod redirects;
mod regressions;
mod reports;
mod retries;
mod save;
mod save_faults;
mod save_names;
mod secrets;
mod signals;
mod support;
mod terminal;
mod tls;
