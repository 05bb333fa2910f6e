//! Files fanout writes whole: the one rule for where the bytes of a
//! `--report FORMAT=FILE` or a `--stats FILE` go, and the temporary files
//! that those and saved bodies (`save/`) are written to first.
//!
//! Apart from `observe/` and `exit.rs`, which each write one kind of FILE,
//! so both ask the same rule; a leaf that imports nothing of the crate.
//!
//! Where a FILE is written ([`target`]):
//! - a symbolic link is followed, link by link, and its target decides;
//! - a regular file, or nothing yet: written aside — to a temporary file in
//!   its directory, renamed over it once whole — so it appears whole or
//!   not at all, and a link to it stays a link;
//! - anything else that exists (a device such as `/dev/null`, a FIFO), or
//!   a name for an open descriptor (`/dev/stdout`, `/dev/fd/N`, links into
//!   `/proc`): written through — opened for writing, appending, never
//!   created, truncated or replaced. Renaming over a descriptor's name
//!   would not reach its reader anyway, and as root would replace the
//!   system's own device node;
//! - a directory: an error.
//!
//! Temporary files get the mode any new file gets, 0666 less the umask:
//! the mode is asked for at creation and the kernel applies the umask, so
//! the umask is never read or changed (it is process-wide, and other
//! threads create files). Errors say the reason without the temporary
//! file's name, which means nothing to the user; the caller names FILE.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// Links followed before giving up, as the kernel's own limit (`ELOOP`).
const MAX_LINKS: usize = 40;

/// Where the bytes of a FILE go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A regular file, or none yet, at this path (links resolved): written
    /// aside and renamed over it.
    Aside(PathBuf),
    /// Something that is not a regular file (named as the user gave it):
    /// written through.
    Through(PathBuf),
}

/// Where the bytes of `path` go (see the module's rule).
pub fn target(path: &Path) -> io::Result<Target> {
    let mut p = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        let meta = match fs::symlink_metadata(&p) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Target::Aside(p)),
            Err(e) => return Err(e),
            Ok(meta) => meta,
        };
        let kind = meta.file_type();
        if kind.is_symlink() {
            if names_a_descriptor(&p) {
                return Ok(Target::Through(path.to_owned()));
            }
            let to = fs::read_link(&p)?;
            // A relative link is relative to the link's directory; `join`
            // keeps an absolute one as it is.
            p = p.parent().map_or_else(|| to.clone(), |dir| dir.join(&to));
        } else if kind.is_dir() {
            return Err(io::Error::other("it is a directory"));
        } else if kind.is_file() {
            return Ok(Target::Aside(p));
        } else {
            return Ok(Target::Through(path.to_owned()));
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

/// Whether the link `p` lives in `/proc` (`/proc/self/fd/1`, reached from
/// `/dev/stdout` or `/dev/fd/1`): such a link names an open descriptor,
/// not a path to follow.
fn names_a_descriptor(p: &Path) -> bool {
    let dir = dir_of(p);
    let dir = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
    dir.starts_with("/proc")
}

/// Checks, before any request, that `path` can be written as
/// [`write_whole`] will: a temporary file can be made beside a regular
/// file, or the device or FIFO may be written (without opening it: a FIFO's
/// reader would see an empty write).
pub fn check_writable(path: &Path) -> io::Result<()> {
    match target(path)? {
        Target::Aside(p) => new_temp(dir_of(&p), ".fanout-", ".tmp").map(drop),
        Target::Through(p) => may_write(&p),
    }
}

#[cfg(unix)]
fn may_write(path: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::other("the name holds a NUL byte"))?;
    // SAFETY: `c` is a NUL-terminated path that outlives the call.
    match unsafe { libc::access(c.as_ptr(), libc::W_OK) } {
        0 => Ok(()),
        _ => Err(io::Error::last_os_error()),
    }
}

#[cfg(not(unix))]
fn may_write(path: &Path) -> io::Result<()> {
    OpenOptions::new().append(true).open(path).map(drop)
}

/// Writes `path` whole with `write`, by the module's rule. `hurry` (the
/// run was stopped by a signal and the process must exit soon): a FIFO
/// that nobody reads fails at once, with `TimedOut`, instead of waiting for
/// a reader.
pub fn write_whole(
    path: &Path,
    hurry: bool,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    match target(path)? {
        Target::Aside(p) => {
            let (file, temp) = new_temp(dir_of(&p), ".fanout-", ".tmp")?.into_parts();
            // Written through the `File`: tempfile's own writer would add
            // the temporary name to every error.
            let mut out = BufWriter::with_capacity(256 * 1024, file);
            write(&mut out)?;
            out.into_inner().map_err(io::IntoInnerError::into_error)?;
            // `temp` deletes the file if anything above or the rename fails.
            temp.persist(&p).map_err(|e| e.error)
        }
        Target::Through(p) => {
            let mut out = BufWriter::with_capacity(64 * 1024, open_through(&p, hurry)?);
            write(&mut out)?;
            out.flush()
        }
    }
}

/// Opens a FILE that is written through: appending (so `/dev/stdout` that
/// is a file gets the text after what is there), never created.
fn open_through(path: &Path, hurry: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        if hurry {
            options.custom_flags(libc::O_NONBLOCK);
        }
        let file = options.open(path).map_err(|e| match e.raw_os_error() {
            Some(libc::ENXIO) => io::Error::new(io::ErrorKind::TimedOut, "nothing reads the FIFO"),
            _ => e,
        })?;
        if hurry {
            blocking(&file)?;
        }
        Ok(file)
    }
    #[cfg(not(unix))]
    {
        let _ = hurry;
        options.open(path)
    }
}

/// Clears `O_NONBLOCK`: the FIFO has a reader now, and writes wait for it.
#[cfg(unix)]
fn blocking(file: &File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor `file` owns, with no pointers.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Where a report being built for `path` may keep a spool of its own: the
/// directory of the file it will replace (same disk, not a smaller `/tmp`),
/// or, for a FILE written through, the system's temporary directory.
pub fn spool_dir(path: &Path) -> PathBuf {
    match target(path) {
        Ok(Target::Aside(p)) => dir_of(&p).to_owned(),
        _ => std::env::temp_dir(),
    }
}

/// A new temporary file in `dir`, named `PREFIX` + random + `SUFFIX`,
/// created exclusively (`O_EXCL`) with the mode of any new file. An error
/// is the system's reason alone, without the temporary name.
pub fn new_temp(dir: &Path, prefix: &str, suffix: &str) -> io::Result<NamedTempFile> {
    tempfile::Builder::new()
        .prefix(prefix)
        .suffix(suffix)
        .make_in(dir, |name| {
            let mut options = OpenOptions::new();
            options.read(true).write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o666);
            options.open(name)
        })
}

/// The directory `path` is in (`.` for a bare name).
pub fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_and_missing_ones_are_written_aside() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        assert_eq!(target(&file).unwrap(), Target::Aside(file.clone()));
        fs::write(&file, "x").unwrap();
        assert_eq!(target(&file).unwrap(), Target::Aside(file.clone()));
        assert!(target(dir.path()).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn links_are_followed_to_their_target() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir(d.join("sub")).unwrap();
        std::os::unix::fs::symlink("sub/f", d.join("a")).unwrap();
        std::os::unix::fs::symlink("a", d.join("b")).unwrap();
        assert_eq!(
            target(&d.join("b")).unwrap(),
            Target::Aside(d.join("sub/f"))
        );
        std::os::unix::fs::symlink("loop", d.join("loop")).unwrap();
        assert!(target(&d.join("loop")).is_err());
    }

    /// Only looked at, never written: the system's own nodes.
    #[cfg(target_os = "linux")]
    #[test]
    fn devices_and_descriptors_are_written_through() {
        for name in ["/dev/null", "/dev/stdout", "/dev/stderr", "/dev/fd/2"] {
            let p = Path::new(name);
            assert_eq!(target(p).unwrap(), Target::Through(p.to_owned()), "{name}");
        }
    }

    #[test]
    fn a_file_is_replaced_whole_or_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.txt");
        fs::write(&path, "old").unwrap();
        let failed = write_whole(&path, false, |out| {
            out.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        });
        assert!(failed.is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        write_whole(&path, false, |out| out.write_all(b"new")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn unwritable_places_are_found_up_front() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_writable(&dir.path().join("r.xml")).is_ok());
        assert!(check_writable(dir.path()).is_err());
        assert!(check_writable(&dir.path().join("missing/r.xml")).is_err());
        assert!(fs::read_dir(dir.path()).unwrap().next().is_none());
    }

    #[test]
    fn errors_never_name_the_temporary_file() {
        let e = new_temp(Path::new("/nonexistent/dir"), ".fanout-", ".tmp").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(!e.to_string().contains(".fanout-"), "{e}");
        let e = write_whole(Path::new("/nonexistent/dir/f"), false, |_| Ok(())).unwrap_err();
        assert!(!e.to_string().contains(".fanout-"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_temporary_file_has_the_mode_of_a_new_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let temp = new_temp(dir.path(), ".fanout-", ".tmp").unwrap();
        let mode = temp.as_file().metadata().unwrap().permissions().mode() & 0o777;
        // What a plain create gets here, under this process's umask.
        let plain = dir.path().join("plain");
        File::create(&plain).unwrap();
        let want = fs::metadata(&plain).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, want, "not tempfile's private 0600");
    }
}
