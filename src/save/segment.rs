//! One segment of a saved file's name: which segments are kept as they
//! are, the safe form of those that cannot be, and the limits on a whole
//! name. Pure; tested with the template in `naming_tests.rs`.

use crate::input::fnv1a64;

/// Longest segment kept as it is, in bytes: most file systems allow 255,
/// and a collision suffix (`~` + 16 hex digits) must still fit.
pub const MAX_SEGMENT: usize = 200;
/// Longest name, in bytes, a collision suffix included; a longer one has
/// its tail folded into one safe segment.
pub const MAX_NAME: usize = 1024;
/// The longest segment any file system here takes, in bytes.
const FS_NAME_MAX: usize = 255;
/// `~` and 16 hex digits: what a collision appends to a name.
const SUFFIX: usize = 17;
/// Deepest name, in segments, before its tail is folded into one.
pub const MAX_DEPTH: usize = 32;
/// Characters of an unsafe segment that its safe form keeps.
pub const KEPT_IN_SAFE_FORM: usize = 48;

pub(super) fn hex(h: u64) -> String {
    format!("{h:016x}")
}

/// Characters a kept segment may hold: letters and digits of any script,
/// and ASCII punctuation that no common file system or shell path rule
/// gives a meaning (no `/ \ : * ? " < > |`, no controls).
pub(super) fn allowed(c: char) -> bool {
    c.is_alphanumeric() || " -_.~+=,;@!$&'()[]{}#%^".contains(c)
}

/// Whether `s` is safe as a path segment: not empty, not `.` or `..`, at
/// most 255 bytes, only [`allowed`] characters, no leading space, no
/// trailing dot or space, and not a name Windows reserves. A segment of the
/// URL is kept as it is when it is safe and at most [`MAX_SEGMENT`] bytes.
pub fn is_safe_segment(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.len() <= FS_NAME_MAX
        && s.chars().all(allowed)
        && !s.starts_with(' ')
        && !s.ends_with(['.', ' '])
        && !reserved_on_windows(s)
}

/// CON, PRN, AUX, NUL, COM0–9, LPT0–9 (and their superscript-digit forms),
/// with any extension, in any case, with trailing spaces before it.
fn reserved_on_windows(s: &str) -> bool {
    let stem = s.split('.').next().unwrap_or(s).trim_end_matches(' ');
    let upper = stem.to_uppercase();
    match upper.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$" => true,
        _ => {
            let mut chars = upper.chars();
            let head: String = chars.by_ref().take(3).collect();
            let digit: Vec<char> = chars.collect();
            (head == "COM" || head == "LPT")
                && digit.len() == 1
                && (digit[0].is_ascii_digit() || "¹²³".contains(digit[0]))
        }
    }
}

pub(super) fn safe_segment(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) if s.len() <= MAX_SEGMENT && is_safe_segment(s) => s.to_owned(),
        _ => safe_form(raw),
    }
}

/// The safe form of a segment that cannot be kept: its first safe
/// characters, `~`, and the hash of all of it.
pub(super) fn safe_form(raw: &[u8]) -> String {
    let lossy = String::from_utf8_lossy(raw);
    let mut kept: String = lossy
        .chars()
        .take(KEPT_IN_SAFE_FORM)
        .map(|c| if allowed(c) && c != ' ' { c } else { '_' })
        .collect();
    if reserved_on_windows(&kept) {
        kept.insert(0, '_');
    }
    format!("{kept}~{}", hex(fnv1a64(raw)))
}

/// A name deeper than [`MAX_DEPTH`] or longer than [`MAX_NAME`] keeps the
/// segments that fit and folds the rest into one safe segment.
pub(super) fn fold_overlong(segments: Vec<String>) -> String {
    let limit = MAX_NAME - SUFFIX;
    let fits = |n: usize, len: usize| n <= MAX_DEPTH && len <= limit;
    let total = segments.iter().map(|s| s.len() + 1).sum::<usize>();
    if fits(segments.len(), total) {
        return segments.join("/");
    }
    // Room for the folded segment: up to KEPT_IN_SAFE_FORM characters of
    // up to 4 bytes, `~`, 16 digits and a `/`.
    let reserve = KEPT_IN_SAFE_FORM * 4 + 18;
    let mut kept = Vec::new();
    let mut len = 0;
    for s in &segments {
        if kept.len() + 2 > MAX_DEPTH || len + s.len() + 1 + reserve > limit {
            break;
        }
        len += s.len() + 1;
        kept.push(s.clone());
    }
    let rest = segments[kept.len()..].join("/");
    kept.push(safe_form(rest.as_bytes()));
    kept.join("/")
}
