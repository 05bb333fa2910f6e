//! What answered: the phases of the final hop (`--timings`), the leaf
//! certificate (`--tls-info`) and chosen response headers
//! (`--response-header`).
//!
//! Kept apart from `fetch` so the fetcher only hooks these in where a
//! response arrives; with none of the flags, none of this is built: no
//! connector layer, no resolver, no `tls_info` in the client.

pub mod headers;
pub mod timings;
pub mod tls;

pub use headers::HeaderPick;
pub use timings::Tracker;
