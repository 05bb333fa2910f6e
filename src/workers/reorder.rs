//! The writer's side of `--threads`: the workers' record batches as one
//! stream of records, in completion order, or with `--ordered` put back in
//! hand-out (input) order.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use tokio::sync::mpsc;

use super::Done;
use super::handout::Handout;
use crate::record::Record;

/// Records as the workers finish them. The stream ends once every worker
/// has dropped its sender.
pub(crate) fn unordered(rx: mpsc::Receiver<Vec<Done>>) -> impl Stream<Item = Option<Record>> {
    batches(rx).flat_map(|batch| futures::stream::iter(batch.into_iter().map(|d| d.record)))
}

/// Records in hand-out order. A record waits here until every item handed
/// out before it is written or known never to have started; the hand-out
/// window bounds how many wait. When the workers end (the input is done or
/// the run stopped), what is left goes out in order: the gaps are items
/// that never started.
pub(crate) fn ordered(
    rx: mpsc::Receiver<Vec<Done>>,
    handout: Arc<Handout>,
) -> impl Stream<Item = Option<Record>> {
    let mut waiting: BTreeMap<u64, Option<Record>> = BTreeMap::new();
    let mut next = 0u64;
    let mut ended = false;
    let mut batches = Box::pin(batches(rx));
    futures::stream::poll_fn(move |cx| {
        use std::task::Poll;
        loop {
            if let Some(entry) = waiting.first_entry() {
                if ended || *entry.key() == next {
                    next = *entry.key() + 1;
                    handout.written(1);
                    return Poll::Ready(Some(entry.remove()));
                }
            }
            if ended {
                return Poll::Ready(None);
            }
            match batches.as_mut().poll_next(cx) {
                Poll::Ready(Some(batch)) => {
                    waiting.extend(batch.into_iter().map(|d| (d.seq, d.record)));
                }
                Poll::Ready(None) => ended = true,
                Poll::Pending => return Poll::Pending,
            }
        }
    })
}

fn batches(rx: mpsc::Receiver<Vec<Done>>) -> impl Stream<Item = Vec<Done>> {
    futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|batch| (batch, rx))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::ErrorKind;

    fn done(seq: u64, started: bool) -> Done {
        let record = started.then(|| {
            Record::without_request(seq, format!("u{seq}"), ErrorKind::Other, String::new())
        });
        Done { seq, record }
    }

    #[tokio::test]
    async fn records_come_out_in_hand_out_order_and_gaps_at_the_end() {
        let (_, input) = mpsc::channel(1);
        let handout = Arc::new(Handout::new(input, 1, Some(8)));
        let (tx, rx) = mpsc::channel(8);
        tx.send(vec![done(2, true), done(0, true)]).await.unwrap();
        tx.send(vec![done(1, false), done(5, true)]).await.unwrap();
        drop(tx);
        let out: Vec<u64> = ordered(rx, handout)
            .filter_map(|r| async move { r.map(|r| r.index) })
            .collect()
            .await;
        assert_eq!(out, [0, 2, 5]);
    }
}
