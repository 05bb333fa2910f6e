//! Where a saved file goes when DIR holds symbolic links: links are
//! followed only while they stay inside DIR. The names themselves never
//! leave DIR (`segment.rs`); a link planted in a shared directory
//! (`DIR/127.0.0.1_8080 -> /elsewhere`) could still redirect a write, so
//! each step of a name that is a link is resolved and must land under DIR's
//! own resolved path.
//!
//! The check is made just before the rename, step by step, and creates the
//! missing directories as it goes, so no directory is ever made outside
//! DIR. A link swapped in between the check and the rename by someone who
//! can write in DIR is not caught: that needs `openat`-style walking, which
//! the standard library does not offer.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::files::dir_of;

/// Makes the directories of `name` under `dir` (whose links resolve to
/// `root`) and returns the path the file is renamed to: `dir/name`, or,
/// when the file's own name is a link inside DIR, its target.
pub(super) fn place(dir: &Path, root: &Path, name: &str) -> io::Result<PathBuf> {
    let steps: Vec<Component<'_>> = Path::new(name).components().collect();
    let mut path = dir.to_path_buf();
    for (i, step) in steps.iter().enumerate() {
        let Component::Normal(step) = step else {
            return Err(io::Error::other("the name leaves the output directory"));
        };
        path.push(step);
        if i + 1 == steps.len() {
            return last(path, root);
        }
        enter(&path, root, true)?;
    }
    Err(io::Error::other("the name is empty"))
}

/// Makes sure the directory step `path` exists inside DIR, creating it if
/// missing (`may_make`).
fn enter(path: &Path, root: &Path, may_make: bool) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            if inside(path, &fs::canonicalize(path)?, root)?.is_dir() {
                Ok(())
            } else {
                Err(not_a_directory(path))
            }
        }
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(not_a_directory(path)),
        Err(e) if e.kind() == io::ErrorKind::NotFound && may_make => match fs::create_dir(path) {
            // Made by someone else meanwhile: looked at again.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => enter(path, root, false),
            made => made,
        },
        Err(e) => Err(e),
    }
}

/// The file's own name: replaced where it is, unless it is a link, whose
/// target (existing or not) must be inside DIR and is replaced instead.
fn last(path: PathBuf, root: &Path) -> io::Result<PathBuf> {
    match fs::symlink_metadata(&path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            let target = match fs::canonicalize(&path) {
                Ok(target) => target,
                // A link to nothing yet: its directory must resolve.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    let to = dir_of(&path).join(fs::read_link(&path)?);
                    let file = to.file_name().ok_or_else(|| outside(&path))?;
                    fs::canonicalize(dir_of(&to))?.join(file)
                }
                Err(e) => return Err(e),
            };
            inside(&path, &target, root).map(Path::to_path_buf)
        }
        _ => Ok(path),
    }
}

/// `target` (what the link `path` resolves to) if it is under `root`.
fn inside<'a>(path: &Path, target: &'a Path, root: &Path) -> io::Result<&'a Path> {
    if target.starts_with(root) {
        Ok(target)
    } else {
        Err(outside(path))
    }
}

fn outside(path: &Path) -> io::Error {
    io::Error::other(format!(
        "{} is a symbolic link that leads outside the output directory",
        path.display()
    ))
}

fn not_a_directory(path: &Path) -> io::Error {
    io::Error::other(format!("{} is a file, not a directory", path.display()))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn setup() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(dir.path()).unwrap();
        (dir, root)
    }

    #[test]
    fn missing_directories_are_made() {
        let (dir, root) = setup();
        let to = place(dir.path(), &root, "h/a/b").unwrap();
        assert_eq!(to, dir.path().join("h/a/b"));
        assert!(dir.path().join("h/a").is_dir());
    }

    #[test]
    fn a_link_out_is_refused_and_nothing_is_made_out_there() {
        let (dir, root) = setup();
        let elsewhere = tempfile::tempdir().unwrap();
        symlink(elsewhere.path(), dir.path().join("h")).unwrap();
        let e = place(dir.path(), &root, "h/a/b").unwrap_err();
        assert!(e.to_string().contains("leads outside"), "{e}");
        assert!(fs::read_dir(elsewhere.path()).unwrap().next().is_none());
        // The file's own name, to an existing file and to none.
        fs::create_dir(dir.path().join("k")).unwrap();
        symlink(elsewhere.path().join("f"), dir.path().join("k/f")).unwrap();
        assert!(place(dir.path(), &root, "k/f").is_err());
        symlink("../../..", dir.path().join("k/up")).unwrap();
        assert!(place(dir.path(), &root, "k/up/x").is_err());
    }

    #[test]
    fn links_inside_are_followed() {
        let (dir, root) = setup();
        fs::create_dir(dir.path().join("real")).unwrap();
        symlink("real", dir.path().join("h")).unwrap();
        symlink("t", dir.path().join("real/f")).unwrap();
        let to = place(dir.path(), &root, "h/f").unwrap();
        assert_eq!(to, root.join("real/t"));
        let to = place(dir.path(), &root, "h/sub/g").unwrap();
        assert_eq!(to, dir.path().join("h/sub/g"));
        assert!(dir.path().join("real/sub").is_dir());
    }

    #[test]
    fn a_file_in_the_way_is_named() {
        let (dir, root) = setup();
        fs::write(dir.path().join("h"), "x").unwrap();
        let e = place(dir.path(), &root, "h/a").unwrap_err();
        assert!(
            e.to_string().ends_with("/h is a file, not a directory"),
            "{e}"
        );
    }
}
