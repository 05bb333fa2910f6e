//! Integration tests: the real `fanout` binary against real servers on
//! 127.0.0.1. No traffic leaves the machine.

mod errors;
mod fault_server;
mod faults;
mod input;
mod interrupts;
mod output;
mod pipes;
mod properties;
mod redirects;
mod retries;
mod secrets;
mod signals;
mod support;
mod tls;
