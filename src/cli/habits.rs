//! curl's flags that fanout spells otherwise. Users arrive with curl's
//! habits; clap alone answers them with a look-alike (`--retry` → "did you
//! mean --retry-on?") or, for `-L`, with a tip that would make it a URL.
//! Here an unknown argument that is such a habit gets one line naming
//! fanout's way instead.
//!
//! It looks only at what clap already refused as an unknown argument, so a
//! value that happens to read `-L` (after `--`, or a header `-H 'X: --retry'`)
//! is never touched.

use clap::error::{ContextKind, ContextValue, ErrorKind};

/// The line for a parse error that is a curl habit; `None` for any other
/// error, which clap's own message serves.
pub fn habit_hint(e: &clap::Error) -> Option<String> {
    if e.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    match e.get(ContextKind::InvalidArg)? {
        ContextValue::String(arg) => habit(arg),
        _ => None,
    }
}

/// What fanout does instead of curl's flag `arg` (`--name` or `-x`, as
/// clap names an unknown argument: without `=value`).
pub fn habit(arg: &str) -> Option<String> {
    let instead = match arg {
        "--retry" => "is curl's; fanout says -r/--retries N (extra attempts after the first)",
        "--max-time" | "-m" => {
            "is curl's --max-time; fanout says -t/--timeout DUR (per attempt) or --deadline DUR (whole run)"
        }
        "--head" | "-I" => "is curl's HEAD request; fanout says -X HEAD",
        "--location" | "-L" => {
            "is not needed: fanout follows redirects by default (--max-redirects N; 0 = don't follow)"
        }
        "--compressed" => {
            "is not needed: fanout asks for compressed answers by default (gzip, brotli, zstd)"
        }
        "--silent" | "-s" => "is curl's; fanout says -q/--quiet (no summary, no progress line)",
        "--fail" | "-f" => {
            "is not needed: a status outside --accept (default 200-299) already fails the URL and the run"
        }
        "--user" | "-u" => {
            "is curl's; fanout says --header-for HOST @FILE, FILE holding 'Authorization: Basic ...' (sent to HOST only)"
        }
        _ => return None,
    };
    Some(format!("'{arg}' {instead}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    fn hint(args: &[&str]) -> Option<String> {
        let argv = std::iter::once("fanout").chain(args.iter().copied());
        habit_hint(&Cli::try_parse_from(argv).expect_err("a parse error"))
    }

    #[test]
    fn curl_flags_name_fanouts_way() {
        for (args, says) in [
            (&["--retry", "3"][..], "-r/--retries"),
            (&["--retry=3"], "-r/--retries"),
            (&["--max-time", "5"], "--deadline"),
            (&["-m", "5"], "-t/--timeout"),
            (&["-I"], "-X HEAD"),
            (&["--head"], "-X HEAD"),
            (&["-L"], "--max-redirects"),
            (&["-sL"], "-q"),
            (&["-kL"], "--max-redirects"),
            (&["--location"], "--max-redirects"),
            (&["--compressed"], "by default"),
            (&["-s"], "-q/--quiet"),
            (&["--fail"], "--accept"),
            (&["-f"], "--accept"),
            (&["-u", "a:b"], "--header-for HOST @FILE"),
            (&["--user", "a:b"], "--header-for HOST @FILE"),
        ] {
            let line = hint(args).unwrap_or_else(|| panic!("{args:?}: no hint"));
            assert!(line.contains(says), "{args:?}: {line}");
            assert!(!line.contains('\n'), "{args:?}: {line}");
        }
    }

    #[test]
    fn other_errors_and_real_values_are_left_alone() {
        assert_eq!(hint(&["--retry-onn"]), None);
        assert_eq!(hint(&["-c", "x"]), None);
        for ok in [&["--", "-L"][..], &["-H", "X: --retry", "http://a/"]] {
            let argv = std::iter::once("fanout").chain(ok.iter().copied());
            if let Err(e) = Cli::try_parse_from(argv) {
                assert_eq!(habit_hint(&e), None, "{ok:?}: {e}");
            }
        }
    }
}
