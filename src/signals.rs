//! SIGINT and SIGTERM: a thread of their own that stops the run, and ends
//! the process if it cannot finish within [`SIGNAL_GRACE`].
//!
//! Apart from `stop.rs` because it is the one place that exits the process
//! on its own, which only the binary should ask for.

use std::io::{self, Write};

use crate::exit::Exit;
use crate::stop::{Stop, StopReason};

/// Stops the run on SIGINT or SIGTERM, from a thread of its own so a
/// signal is seen even while the run's thread is stuck writing to a
/// stdout nobody reads. Later signals are absorbed: the run is already
/// ending, and a second Ctrl-C must not kill the process before the
/// records of the cancelled requests are written.
///
/// If the process is still alive [`SIGNAL_GRACE`] after the first
/// signal — only possible when stdout is blocked, since everything in
/// flight is cancelled at once — it exits with 130 or 143 without the
/// records it could not write.
pub fn stop_on_signals(stop: &Stop) -> io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let stop = stop.clone();
    let (ready, installed) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("fanout-signals".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => return drop(ready.send(Err(e))),
            };
            rt.block_on(async move {
                let (mut int, mut term) = match (
                    signal(SignalKind::interrupt()),
                    signal(SignalKind::terminate()),
                ) {
                    (Ok(int), Ok(term)) => (int, term),
                    (Err(e), _) | (_, Err(e)) => return drop(ready.send(Err(e))),
                };
                let _ = ready.send(Ok(()));
                // Whichever signal comes first decides the exit status.
                let reason = tokio::select! {
                    _ = int.recv() => StopReason::Interrupt,
                    _ = term.recv() => StopReason::Terminate,
                };
                stop.stop(reason);
                let grace = tokio::time::sleep(SIGNAL_GRACE);
                tokio::pin!(grace);
                loop {
                    // Signals are only drained; the grace period ending
                    // wins, unless the process has exited by then.
                    tokio::select! {
                        _ = int.recv() => {}
                        _ = term.recv() => {}
                        _ = &mut grace => break,
                    }
                }
                let _ = writeln!(
                    io::stderr().lock(),
                    "fanout: {}; stdout is not being read, exiting without the remaining records",
                    reason.message()
                );
                // `exit` runs no destructors: temporary files of bodies
                // being saved are removed here instead.
                crate::save::remove_temporary_files();
                let code = Exit::signalled(reason).unwrap_or(Exit::Interrupted);
                std::process::exit(code.code().into());
            });
        })?;
    installed
        .recv()
        .unwrap_or_else(|_| Err(io::Error::other("the signal thread did not start")))
}

/// How long after a signal the process may take to write its last records
/// before it exits regardless (see [`stop_on_signals`]).
pub const SIGNAL_GRACE: std::time::Duration = std::time::Duration::from_secs(1);
