//! Reading the final response's body: up to `--max-body`, fed chunk by
//! chunk to each sink the run asks for — the count (`bytes`), the copy
//! held in memory (`Needs::body`), the file being saved (`-o`), the hash
//! (`--hash`) — so the body is read once whatever needs it.

use sha2::{Digest as _, Sha256};

use super::Fetcher;
use super::attempt::Attempt;
use super::failure::{Failure, classify_body_error};
use crate::record::ErrorKind;
use crate::values::Size;

impl Fetcher<'_> {
    /// Reads `resp`'s body into `out`: its size, and the body, its file or
    /// its hash where asked for. A body cut short (too large, an error)
    /// leaves its failure in `out`, no file to save and no hash. `head`:
    /// the request was HEAD, which has no body to hash.
    pub(super) async fn read_body(
        &self,
        mut resp: reqwest::Response,
        out: &mut Attempt,
        head: bool,
    ) {
        let max_body = self.config.request.max_body;
        let mut read: u64 = 0;
        let mut kept = self.needs.body.then(Vec::new);
        let mut hash = (self.needs.hash && !head).then(Sha256::new);
        // Saving bodies (-o): a body that can make the URL ok goes to a
        // temporary file, deleted when dropped — by this future on a
        // timeout or a stop, or below when the body is not whole.
        // A HEAD has no body: nothing to save (nor to hash).
        out.bodiless = head;
        let mut saving = self.saver.as_ref().filter(|_| !head).and_then(|s| {
            let accepted = self.judge.accepts(resp.status().as_u16(), Some(resp.url()));
            accepted.then(|| s.begin())
        });
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    let room = max_body - read;
                    let take = (chunk.len() as u64).min(room) as usize;
                    if let Some(k) = kept.as_mut() {
                        k.extend_from_slice(&chunk[..take]);
                    }
                    if let Some(file) = saving.as_mut() {
                        file.write(&chunk[..take]);
                    }
                    if let Some(h) = hash.as_mut() {
                        h.update(&chunk[..take]);
                    }
                    read += take as u64;
                    out.bytes = read;
                    if let Some(seen) = out.seen.as_deref_mut() {
                        Self::seen_bytes(seen); // seen.rs
                    }
                    if take < chunk.len() {
                        out.failure = Some(Failure {
                            kind: ErrorKind::TooLarge,
                            message: format!("body is larger than {} (--max-body)", Size(max_body)),
                            maybe_sent: true,
                            permanent: false,
                        });
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    out.failure = Some(classify_body_error(&e));
                    break;
                }
            }
        }
        out.body = kept;
        if out.failure.is_none() {
            out.body_file = saving;
            out.sha256 = hash.map(|h| crate::record::Digest(h.finalize().into()));
        }
    }
}
