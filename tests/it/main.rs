//! Integration tests: the real `fanout` binary against real servers on
//! 127.0.0.1. No traffic leaves the machine.

mod distributed;
mod errors;
mod fault_server;
mod faults;
mod health;
mod input;
mod interrupts;
mod layers;
mod lists;
mod output;
mod pipes;
mod politeness;
mod properties;
mod protection;
mod redirects;
mod regressions;
mod retries;
mod save;
mod save_faults;
mod save_names;
mod secrets;
mod signals;
mod support;
mod terminal;
mod tls;
