//! SIGINT and SIGTERM (on Windows, Ctrl-C and closing the console): a
//! thread of their own that stops the run, and ends the process if it
//! cannot finish within [`SIGNAL_GRACE`].
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
                let mut signals = match Signals::new() {
                    Ok(signals) => signals,
                    Err(e) => return drop(ready.send(Err(e))),
                };
                let _ = ready.send(Ok(()));
                // Whichever signal comes first decides the exit status.
                let reason = signals.recv().await;
                stop.stop(reason);
                let grace = tokio::time::sleep(SIGNAL_GRACE);
                tokio::pin!(grace);
                loop {
                    // Signals are only drained; the grace period ending
                    // wins, unless the process has exited by then.
                    tokio::select! {
                        _ = signals.recv() => {}
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

/// The signals that stop a run: SIGINT and SIGTERM.
#[cfg(unix)]
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
        })
    }

    async fn recv(&mut self) -> StopReason {
        tokio::select! {
            _ = self.int.recv() => StopReason::Interrupt,
            _ = self.term.recv() => StopReason::Terminate,
        }
    }
}

/// Windows has no SIGTERM: Ctrl-C (and Ctrl-Break) interrupts, closing the
/// console window terminates.
#[cfg(windows)]
struct Signals {
    ctrl_c: tokio::signal::windows::CtrlC,
    ctrl_break: tokio::signal::windows::CtrlBreak,
    close: tokio::signal::windows::CtrlClose,
}

#[cfg(windows)]
impl Signals {
    fn new() -> io::Result<Self> {
        use tokio::signal::windows::{ctrl_break, ctrl_c, ctrl_close};
        Ok(Signals {
            ctrl_c: ctrl_c()?,
            ctrl_break: ctrl_break()?,
            close: ctrl_close()?,
        })
    }

    async fn recv(&mut self) -> StopReason {
        tokio::select! {
            _ = self.ctrl_c.recv() => StopReason::Interrupt,
            _ = self.ctrl_break.recv() => StopReason::Interrupt,
            _ = self.close.recv() => StopReason::Terminate,
        }
    }
}
