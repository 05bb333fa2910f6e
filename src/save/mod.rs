//! Saving bodies (`-o/--output-dir`, `--output-name`): which name a body
//! gets, and writing it so that only whole bodies of `ok` URLs ever appear
//! under a final name.
//!
//! - `naming.rs`: the template and its placeholders; `segment.rs`: the
//!   confinement rules for each segment and for whole names. Pure.
//! - `file.rs`: the temporary file, its rename, and its clean-up on every
//!   path, the signal thread's `exit` included.
//! - `confine.rs`: where the file lands when DIR holds symbolic links —
//!   followed only while they stay inside DIR.
//!
//! The fetcher opens a [`Temp`] once a response's status is accepted and
//! streams the body into it; a failed or cut-off attempt drops it (and its
//! file). When the URL's record is `ok`, [`Saver::commit`] names the file and
//! renames it into place.

mod confine;
pub mod file;
pub mod naming;
mod segment;

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use url::Url;

pub use self::file::{Temp, remove_temporary_files};
pub use self::naming::{DEFAULT_TEMPLATE, Template};
use crate::input::fnv1a64;
use crate::record::{ErrorKind, Record, RecordError};

/// Where and under which names bodies are saved.
#[derive(Debug, Clone)]
pub struct SaveSpec {
    /// The output directory, as the user gave it (it exists).
    pub dir: PathBuf,
    /// The `--output-name` template.
    pub template: Template,
}

/// The saving side of one run: the directory, and the names written so
/// far (a hash each), so two URLs of one run never write the same file.
pub struct Saver {
    spec: SaveSpec,
    /// DIR with its own links resolved: every file must land under it.
    root: PathBuf,
    /// Hashes of the lower-cased names written in this run: lower-cased
    /// so two URLs differing in case do not share a file on a
    /// case-insensitive file system either.
    written: Mutex<HashSet<u64>>,
}

impl Saver {
    /// The saver for a run with `spec`.
    pub fn new(spec: SaveSpec) -> Saver {
        // DIR exists (`prepare_dir`); links above and at DIR are the
        // user's choice, only those inside it are confined.
        let root = std::fs::canonicalize(&spec.dir).unwrap_or_else(|_| spec.dir.clone());
        Saver {
            spec,
            root,
            written: Mutex::new(HashSet::new()),
        }
    }

    /// A temporary file for a body, in the output directory (so the rename
    /// stays on one file system).
    pub fn begin(&self) -> Temp {
        Temp::create(&self.spec.dir)
    }

    /// Renames `temp` into place under the name of the URL `url` (the input
    /// line `line`, the `index`-th), and returns what `saved_to` says: the
    /// directory as given joined with the name. An error is the message of
    /// a `save` record.
    pub fn commit(&self, temp: Temp, url: &Url, line: &str, index: u64) -> Result<String, String> {
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        let name = self.spec.template.name(url, line, index);
        let name = unique(&written, name, line, index);
        let path = self.path_of(&name);
        let shown = path.to_string_lossy().into_owned();
        let place = || confine::place(&self.spec.dir, &self.root, &name);
        match temp.persist(place) {
            Ok(()) => {
                written.insert(key(&name));
                Ok(shown)
            }
            Err(e) if e.kind() == io::ErrorKind::IsADirectory || path.is_dir() => Err(format!(
                "cannot save the body to {shown}: a directory is in the way"
            )),
            Err(e) => Err(format!("cannot save the body to {shown}: {e}")),
        }
    }
}

impl Saver {
    /// The path `saved_to` would name for the URL `url` (the input line
    /// `line`, the `index`-th), if a file is there: what `--revalidate`
    /// keeps on a 304.
    pub fn existing(&self, url: &Url, line: &str, index: u64) -> Option<String> {
        let name = self.spec.template.name(url, line, index);
        let path = self.path_of(&name);
        path.is_file().then(|| path.to_string_lossy().into_owned())
    }

    /// A 304 kept the file saved earlier under the URL's name: no other URL
    /// of this run may write that name now.
    pub fn keep(&self, url: &Url, line: &str, index: u64) {
        let name = self.spec.template.name(url, line, index);
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        written.insert(key(&name));
    }

    /// The directory as given joined with `name` (segments separated by
    /// `/`), part by part, so the path uses the platform's separator
    /// throughout (`dir\host\a` on Windows, not `dir\host/a`).
    fn path_of(&self, name: &str) -> std::path::PathBuf {
        let mut path = self.spec.dir.clone();
        path.extend(name.split('/'));
        path
    }

    /// Fills `saved_to` of a finished record: an `ok` record's body `temp`
    /// is renamed into place; if that fails the record becomes a `save`
    /// error. Any other record's file is dropped, and with it deleted.
    pub fn settle(&self, record: &mut Record, url: &Url, temp: Option<Temp>) {
        record.saved_to = Some(None);
        if !record.ok {
            return;
        }
        let saved = match temp {
            Some(t) => self.commit(t, url, &record.url, record.index),
            None => Err("no body was written aside".to_owned()),
        };
        match saved {
            Ok(path) => record.saved_to = Some(Some(path)),
            Err(message) => {
                record.ok = false;
                record.error = Some(RecordError {
                    kind: ErrorKind::Save,
                    message,
                });
            }
        }
    }
}

fn key(name: &str) -> u64 {
    fnv1a64(name.to_lowercase().as_bytes())
}

/// `name`, or, when this run already wrote it, `name~HASH` with the URL's
/// hash; the same URL given twice falls back to `name~HASH~INDEX`.
fn unique(written: &HashSet<u64>, name: String, line: &str, index: u64) -> String {
    if !written.contains(&key(&name)) {
        return name;
    }
    let hashed = naming::with_hash(&name, &naming::url_hash(line));
    if !written.contains(&key(&hashed)) {
        return hashed;
    }
    format!("{hashed}~{index}")
}

/// Creates the output directory if it is missing and checks that files can
/// be written in it. Run before any request: a failure is a usage error.
pub fn prepare_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    // Created and deleted at once.
    crate::files::new_temp(dir, file::TEMP_PREFIX, file::TEMP_SUFFIX).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saver(dir: &Path) -> Saver {
        Saver::new(SaveSpec {
            dir: dir.to_owned(),
            template: Template::default(),
        })
    }

    fn save(s: &Saver, url: &str, index: u64, body: &[u8]) -> Result<String, String> {
        let mut t = s.begin();
        t.write(body);
        s.commit(t, &Url::parse(url).unwrap(), url, index)
    }

    #[test]
    fn a_second_url_with_the_same_name_gets_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        let s = saver(dir.path());
        let d = dir.path().display();
        assert_eq!(save(&s, "http://h/a", 0, b"1").unwrap(), format!("{d}/h/a"));
        let other = "https://h/a";
        let second = save(&s, other, 1, b"2").unwrap();
        assert_eq!(second, format!("{d}/h/a~{}", naming::url_hash(other)));
        // The same URL twice in one run: the index tells them apart.
        let third = save(&s, other, 2, b"3").unwrap();
        assert_eq!(third, format!("{second}~2"));
        assert_eq!(std::fs::read(dir.path().join("h/a")).unwrap(), b"1");
        // Case-insensitive file systems would merge these.
        let upper = save(&s, "http://h/A", 3, b"4").unwrap();
        assert!(upper.contains("h/A~"), "{upper}");
    }

    #[test]
    fn a_file_in_the_way_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let s = saver(dir.path());
        save(&s, "http://h/a", 0, b"1").unwrap();
        let e = save(&s, "http://h/a/b", 1, b"2").unwrap_err();
        assert!(e.contains("h/a is a file, not a directory"), "{e}");
        save(&s, "http://h/d/", 2, b"1").unwrap();
        let e = save(&s, "http://h/d", 3, b"2").unwrap_err();
        assert!(e.contains("a directory is in the way"), "{e}");
    }
}
