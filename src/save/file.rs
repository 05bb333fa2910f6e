//! The atomic writer: a body is streamed to a temporary file in the output
//! directory and renamed into place only when its URL is `ok`.
//!
//! Temporary files are named `.fanout-XXXXXX.part` and opened with
//! `O_EXCL` and the mode of any new file (0666 less the umask), which the
//! renamed file keeps (`crate::files::new_temp`). A [`Temp`] deletes its file when it is
//! dropped — which is what happens to an attempt cut off by a timeout, a
//! reset, `too_large`, a signal or `--deadline`. Destructors do not run when
//! the signal thread ends the process with `std::process::exit` (stdout
//! blocked past the grace period), so every live temporary file is also
//! listed in a process-wide registry, and [`remove_temporary_files`] deletes
//! them on that path. Creation, rename and deletion take the registry's
//! lock, so no file is created unlisted or renamed after that clean-up.
//!
//! Writes are synchronous on the run's thread: bodies land in the page
//! cache in microseconds, while every `tokio::fs` call is a round trip to
//! the blocking pool, which cost more than the write itself (README,
//! "Downloading"). No `fsync`: a crash of the machine may lose a file, but
//! never leaves a partial one under its final name on a journaling file
//! system.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex, MutexGuard};

use tempfile::TempPath;

/// Buffer per open body: few large writes instead of one per chunk.
const BUFFER: usize = 32 * 1024;

/// Temporary files that exist now, and whether the process is exiting.
#[derive(Default)]
struct Registry {
    live: HashSet<PathBuf>,
    closed: bool,
}

static REGISTRY: LazyLock<Mutex<Registry>> = LazyLock::new(Mutex::default);

fn registry() -> MutexGuard<'static, Registry> {
    // A panic elsewhere while the lock was held leaves the set usable.
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Deletes every temporary file still open and refuses new ones. For the
/// one exit that skips destructors (the signal thread's).
pub fn remove_temporary_files() {
    let mut reg = registry();
    reg.closed = true;
    for path in reg.live.drain() {
        let _ = std::fs::remove_file(path);
    }
}

/// A body being written aside. Dropped, it deletes its file.
pub struct Temp {
    open: Option<(BufWriter<File>, TempPath)>,
    /// The first error met; once set, nothing more is written.
    error: Option<io::Error>,
}

impl Temp {
    /// Opens a new temporary file in `dir`. An error is kept and reported
    /// when the body would be saved, so the URL is still fetched as usual.
    pub fn create(dir: &Path) -> Temp {
        match create(dir) {
            Ok(open) => Temp {
                open: Some(open),
                error: None,
            },
            Err(e) => Temp {
                open: None,
                error: Some(e),
            },
        }
    }

    /// Appends `chunk`. A failed write deletes the file at once (a full
    /// disk gets its space back) and is reported at [`Temp::persist`].
    pub fn write(&mut self, chunk: &[u8]) {
        let Some((file, _)) = self.open.as_mut() else {
            return;
        };
        if let Err(e) = file.write_all(chunk) {
            self.error = Some(e);
            self.discard();
        }
    }

    /// Renames the file to where `place` says, replacing what is there.
    /// `place` runs under the registry's lock just before the rename (it
    /// makes the directories and follows links inside the directory).
    pub fn persist(mut self, place: impl FnOnce() -> io::Result<PathBuf>) -> io::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let (file, path) = self.open.take().expect("an open temporary file");
        let file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
        drop(file);
        let mut reg = registry();
        if reg.closed {
            return Err(io::Error::other("the process is exiting"));
        }
        reg.live.remove(&*path);
        // Deleted by `path`'s drop if anything below fails.
        let to = place()?;
        path.persist(to).map_err(|e| e.error)
    }

    fn discard(&mut self) {
        if let Some((file, path)) = self.open.take() {
            // Not flushed: the bytes are not wanted.
            let _ = file.into_parts();
            let mut reg = registry();
            reg.live.remove(&*path);
            drop(path);
        }
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        self.discard();
    }
}

fn create(dir: &Path) -> io::Result<(BufWriter<File>, TempPath)> {
    let mut reg = registry();
    if reg.closed {
        return Err(io::Error::other("the process is exiting"));
    }
    // The mode of any new file, so the renamed file has it too; errors
    // without the temporary name.
    let tmp = crate::files::new_temp(dir, TEMP_PREFIX, TEMP_SUFFIX)?;
    let (file, path) = tmp.into_parts();
    reg.live.insert(path.to_path_buf());
    Ok((BufWriter::with_capacity(BUFFER, file), path))
}

/// How temporary files' names start.
pub const TEMP_PREFIX: &str = ".fanout-";
/// How temporary files' names end.
pub const TEMP_SUFFIX: &str = ".part";

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_dropped_temp_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = Temp::create(dir.path());
        t.write(b"partial");
        assert_eq!(entries(dir.path()).len(), 1);
        drop(t);
        assert!(entries(dir.path()).is_empty());
    }

    #[test]
    fn a_persisted_temp_is_the_only_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("old"), "old").unwrap();
        let mut t = Temp::create(dir.path());
        t.write(b"new ");
        t.write(b"body");
        let old = dir.path().join("old");
        t.persist(|| Ok(old)).unwrap();
        assert_eq!(entries(dir.path()), ["old"]);
        assert_eq!(std::fs::read(dir.path().join("old")).unwrap(), b"new body");
    }

    #[test]
    fn a_failed_step_before_the_rename_deletes_the_temp() {
        let dir = tempfile::tempdir().unwrap();
        let t = Temp::create(dir.path());
        let e = t.persist(|| Err(io::Error::other("no"))).unwrap_err();
        assert_eq!(e.to_string(), "no");
        assert!(entries(dir.path()).is_empty());
    }

    #[test]
    fn a_temp_that_cannot_be_created_reports_at_persist() {
        let t = Temp::create(Path::new("/nonexistent/dir"));
        let e = t
            .persist(|| Ok(PathBuf::from("/nonexistent/dir/x")))
            .unwrap_err();
        // The reason, without the temporary file's name (#22).
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        let message = e.to_string();
        assert!(!message.contains(TEMP_PREFIX), "{message}");
        assert!(!message.contains("/nonexistent"), "{message}");
    }
}
