//! The one pipeline every engine drives: items → fetches → finished
//! results, at most `width` at once, in completion order or, with
//! `--ordered`, input order.
//!
//! Fetches are not spawned: the stream is polled by the task that consumes
//! its results (the writer on one thread, a worker's forwarder on several),
//! so no result can be lost between a fetch finishing and its consumer.
//! `width` is wider than the fetcher's share of `-c`: URLs beyond it wait
//! (parked) for a slot from the gates, which bound what is in flight, so a
//! URL that needs no request gets its record at once.

use std::future::Future;

use futures::{Stream, StreamExt};

use crate::stop::Stop;

/// Maps `items` to `fetch` futures and drives up to `width` of them at
/// once. Once `stop` is triggered no further item is taken (nothing new
/// starts); the fetches already taken finish, as `cancelled` where they
/// were in flight.
pub(crate) fn pipeline<S, F, Fut>(
    items: S,
    stop: &Stop,
    width: usize,
    ordered: bool,
    fetch: F,
) -> impl Stream<Item = Fut::Output>
where
    S: Stream,
    F: FnMut(S::Item) -> Fut,
    Fut: Future,
{
    let fetches = items.take_until(stop.stopped_owned()).map(fetch);
    match ordered {
        true => fetches.buffered(width).left_stream(),
        false => fetches.buffer_unordered(width).right_stream(),
    }
}
