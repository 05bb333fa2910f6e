//! Value parsers for the flags' numbers, durations, rates and sizes, shared
//! by the groups. The standard ones' errors ("number would be zero for
//! non-zero type", "invalid digit found in string") are not in the tool's
//! words and show no valid value; clap puts "invalid value 'X' for
//! '--flag <N>': " before ours.
//!
//! A negative value says "must not be negative". For clap to hand `-1` to
//! these parsers rather than take it for a flag, the numeric flags set
//! `allow_negative_numbers` and those with units (`-5s`, `-3/s`, `-1MB`)
//! `allow_hyphen_values`.

use std::net::SocketAddr;
use std::num::NonZeroUsize;

use crate::values::{Dur, Rate, Size};

/// Whether `s` is a number, or a number with a unit, below zero.
fn negative(s: &str) -> bool {
    s.trim()
        .strip_prefix('-')
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit() || c == '.'))
}

fn no_negative(s: &str, example: &str) -> Result<(), String> {
    match negative(s) {
        true => Err(format!("must not be negative, e.g. {example}")),
        false => Ok(()),
    }
}

fn whole<T: std::str::FromStr>(s: &str, example: &str) -> Result<T, String> {
    no_negative(s, example)?;
    s.trim()
        .parse()
        .map_err(|_| format!("must be a whole number, e.g. {example}"))
}

pub(super) fn concurrency(s: &str) -> Result<NonZeroUsize, String> {
    whole::<usize>(s, "-c 64")?
        .try_into()
        .map_err(|_| "must be at least 1, e.g. -c 64".to_owned())
}

pub(super) fn threads(s: &str) -> Result<NonZeroUsize, String> {
    whole::<usize>(s, "--threads 4")?
        .try_into()
        .map_err(|_| "must be at least 1, e.g. --threads 4".to_owned())
}

pub(super) fn per_host(s: &str) -> Result<usize, String> {
    whole(s, "--per-host 4 (0 = no limit)")
}

pub(super) fn retries(s: &str) -> Result<u32, String> {
    whole(s, "-r 3 (0 = no retries)")
}

pub(super) fn trip_after(s: &str) -> Result<u32, String> {
    whole(s, "--trip-after 5 (0 = off)")
}

pub(super) fn max_redirects(s: &str) -> Result<u32, String> {
    whole(s, "--max-redirects 10 (0 = don't follow)")
}

pub(super) fn max_failures(s: &str) -> Result<u64, String> {
    whole(s, "--max-failures 10 (0 = never)")
}

pub(super) fn percent(s: &str) -> Result<f64, String> {
    const EXAMPLE: &str = "--retry-budget 20";
    no_negative(s, EXAMPLE)?;
    match s.trim().parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!(
            "must be a percentage from 0 to 100, e.g. {EXAMPLE}"
        )),
    }
}

pub(super) fn duration(s: &str) -> Result<Dur, String> {
    no_negative(s, "5s")?;
    s.parse()
}

pub(super) fn rate(s: &str) -> Result<Rate, String> {
    no_negative(s, "10/s")?;
    s.parse()
}

pub(super) fn size(s: &str) -> Result<Size, String> {
    no_negative(s, "10MiB")?;
    s.parse()
}

pub(super) fn listen_addr(s: &str) -> Result<SocketAddr, String> {
    s.trim()
        .parse()
        .map_err(|_| "must be an IP address and port, e.g. 127.0.0.1:9898".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_values_say_so() {
        for bad in [concurrency("-1").err(), threads(" -2").err()] {
            assert_eq!(
                bad.as_deref()
                    .map(|e| e.starts_with("must not be negative")),
                Some(true)
            );
        }
        assert!(
            duration("-5s")
                .unwrap_err()
                .contains("must not be negative")
        );
        assert!(
            duration("-.5s")
                .unwrap_err()
                .contains("must not be negative")
        );
        assert!(rate("-3").unwrap_err().contains("must not be negative"));
        assert!(size("-1MB").unwrap_err().contains("must not be negative"));
        assert!(percent("-1").unwrap_err().contains("must not be negative"));
        assert!(
            max_failures("-1")
                .unwrap_err()
                .contains("must not be negative")
        );
        // A flag given where a value belongs is not a negative number.
        assert!(!duration("-q").unwrap_err().contains("negative"));
    }

    #[test]
    fn good_values_parse() {
        assert_eq!(concurrency("64").unwrap().get(), 64);
        assert_eq!(per_host("0").unwrap(), 0);
        assert_eq!(duration("250ms").unwrap().0.as_millis(), 250);
        assert_eq!(percent("20").unwrap(), 20.0);
    }
}
