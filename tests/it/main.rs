//! Integration tests: the real `fanout` binary against real servers on
//! 127.0.0.1. No traffic leaves the machine.

mod distributed;
mod errors;
mod health;
mod input;
mod lists;
mod output;
mod politeness;
mod protection;
mod redirects;
mod retries;
mod signals;
mod support;
mod terminal;
