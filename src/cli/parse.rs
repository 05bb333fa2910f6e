//! Value parsers for the flags' numbers, durations, rates and sizes, shared
//! by the groups. The standard ones' errors ("number would be zero for
//! non-zero type", "invalid digit found in string") are not in the tool's
//! words and show no valid value; clap puts "invalid value 'X' for
//! '--flag <N>': " before ours.

use std::net::SocketAddr;
use std::num::NonZeroUsize;

use crate::values::{Dur, Rate, Size};

fn whole<T: std::str::FromStr>(s: &str, example: &str) -> Result<T, String> {
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
    match s.trim().parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err("must be a percentage from 0 to 100, e.g. --retry-budget 20".to_owned()),
    }
}

pub(super) fn duration(s: &str) -> Result<Dur, String> {
    s.parse()
}

pub(super) fn rate(s: &str) -> Result<Rate, String> {
    s.parse()
}

pub(super) fn size(s: &str) -> Result<Size, String> {
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
    fn good_values_parse() {
        assert_eq!(concurrency("64").unwrap().get(), 64);
        assert_eq!(per_host("0").unwrap(), 0);
        assert_eq!(duration("250ms").unwrap().0.as_millis(), 250);
        assert_eq!(percent("20").unwrap(), 20.0);
    }
}
