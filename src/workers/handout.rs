//! Handing out input to the worker threads: every worker pulls the next
//! chunk of items when it has room, so an idle thread takes work and a busy
//! one does not hoard it (an MPMC queue in front of the reader's channel).
//!
//! The reader's channel has one consumer, so the workers share it behind a
//! `tokio::sync::Mutex`: it is runtime-agnostic, fair (FIFO), and a worker
//! waiting for it sleeps on its own runtime. It is taken once per chunk,
//! not per URL, so contention is rare; no crate of its own is needed.
//!
//! With `--ordered` every item also takes a permit of the reorder window
//! before it is handed out; the writer gives one back per item it has put
//! in order. Permits are taken under the lock, so in hand-out order: the
//! oldest item not yet written always holds one, and the window (`-c` ×
//! (1 + 4)) bounds what waits to be reordered.

use tokio::sync::{Mutex, Semaphore, mpsc};

use crate::input::Item;

/// An item with its place in hand-out order (which is input order).
pub(crate) type Numbered = (u64, Item);

/// The shared front of the reader's channel.
pub(crate) struct Handout {
    state: Mutex<State>,
    /// `--ordered`: permits of the reorder window.
    window: Option<Semaphore>,
    /// Items per hand-out.
    chunk: usize,
}

struct State {
    /// Owned here, shared by the workers; dropped with the hand-out once
    /// every worker is done, which stops the reader at its next send.
    rx: mpsc::Receiver<Vec<Item>>,
    /// What is left of the reader's current batch.
    left: std::vec::IntoIter<Item>,
    /// The number of the next item handed out.
    next: u64,
}

impl Handout {
    /// Hands out `rx`'s items `chunk` at a time; with `window`, at most that
    /// many may be out and not yet written back by [`Handout::written`].
    pub(crate) fn new(rx: mpsc::Receiver<Vec<Item>>, chunk: usize, window: Option<usize>) -> Self {
        let chunk = chunk.max(1);
        Handout {
            state: Mutex::new(State {
                rx,
                left: Vec::new().into_iter(),
                next: 0,
            }),
            // A chunk never needs more permits than the window has.
            window: window.map(|w| Semaphore::new(w.max(chunk))),
            chunk,
        }
    }

    /// The next chunk of items, `None` once the input has ended. Cancel
    /// safe: dropped while waiting, it leaves every item where it was.
    pub(crate) async fn take(&self) -> Option<Vec<Numbered>> {
        let mut state = self.state.lock().await;
        if state.left.len() == 0 {
            state.left = state.rx.recv().await?.into_iter();
        }
        let n = state.left.len().min(self.chunk);
        if let Some(window) = &self.window {
            let permits = u32::try_from(n).unwrap_or(u32::MAX);
            // Forgotten here, given back one by one by the writer.
            window.acquire_many(permits).await.ok()?.forget();
        }
        let first = state.next;
        state.next += n as u64;
        let items = state.left.by_ref().take(n);
        Some((first..).zip(items).collect())
    }

    /// The writer has put `n` more items in order (`--ordered`).
    pub(crate) fn written(&self, n: usize) {
        if let Some(window) = &self.window {
            window.add_permits(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(index: u64) -> Item {
        Item {
            index,
            line: format!("http://h/{index}"),
            url: Err(String::new()),
            key: index,
            request: None,
        }
    }

    #[tokio::test]
    async fn chunks_come_in_input_order_until_the_input_ends() {
        let (tx, rx) = mpsc::channel(4);
        tx.send((0..5).map(item).collect()).await.unwrap();
        tx.send((5..6).map(item).collect()).await.unwrap();
        drop(tx);
        let h = Handout::new(rx, 2, None);
        let mut seen = Vec::new();
        while let Some(chunk) = h.take().await {
            assert!(chunk.len() <= 2);
            seen.extend(chunk.into_iter().map(|(n, i)| (n, i.index)));
        }
        assert_eq!(seen, (0..6).map(|n| (n, n)).collect::<Vec<_>>());
    }

    #[tokio::test(start_paused = true)]
    async fn the_window_holds_hand_out_until_items_are_written() {
        let (tx, rx) = mpsc::channel(4);
        tx.send((0..8).map(item).collect()).await.unwrap();
        let h = Handout::new(rx, 2, Some(4));
        assert_eq!(h.take().await.unwrap().len(), 2);
        assert_eq!(h.take().await.unwrap().len(), 2);
        let more = tokio::time::timeout(std::time::Duration::from_secs(1), h.take());
        assert!(more.await.is_err(), "the window is full");
        h.written(2);
        assert_eq!(h.take().await.unwrap()[0].0, 4);
    }
}
