//! Leaf value types the command line is parsed into: durations, sizes,
//! request rates and status lists, and what a host is for the per-host
//! rules (`host.rs`).
//!
//! They depend on nothing else in the crate, so every layer can use them;
//! their parsers take untrusted text (the fuzz targets and property tests
//! cover them) and never panic.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

mod host;

pub use self::host::{HostRules, host_name, normalise_host};

/// A duration as typed on the command line: `250ms`, `5s`, `2m`, `1h30m`, or
/// a bare number of seconds (`1.5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dur(pub Duration);

impl FromStr for Dur {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if t.is_empty() {
            return Err("empty duration; use e.g. 250ms, 5s, 2m or 1h30m".into());
        }
        if t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            let secs: f64 = t
                .parse()
                .map_err(|_| format!("invalid duration `{t}`; use e.g. 250ms, 5s, 2m or 1h30m"))?;
            return Duration::try_from_secs_f64(secs)
                .map(Dur)
                .map_err(|_| format!("duration `{t}` is out of range; use e.g. 5s or 2m"));
        }
        // humantime's own reason ("expected number at 0") is not in our
        // words; the examples say more.
        humantime::parse_duration(t)
            .map(Dur)
            .map_err(|_| format!("invalid duration `{t}`; use e.g. 250ms, 5s, 2m or 1h30m"))
    }
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

/// A size in bytes: `1024`, `64KiB`, `10MiB`, `1GB` (`KB`/`MB`/`GB` are
/// powers of 1000, `KiB`/`MiB`/`GiB` powers of 1024; case does not matter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size(pub u64);

impl FromStr for Size {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let bad = || format!("invalid size `{t}`; use e.g. 512, 64KiB, 10MiB or 1GB");
        let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "kb" | "k" => 1_000,
            "mb" | "m" => 1_000_000,
            "gb" | "g" => 1_000_000_000,
            "kib" => 1 << 10,
            "mib" => 1 << 20,
            "gib" => 1 << 30,
            _ => return Err(bad()),
        };
        if num.is_empty() {
            return Err(bad());
        }
        if let Ok(n) = num.parse::<u64>() {
            return n
                .checked_mul(mult)
                .map(Size)
                .ok_or_else(|| format!("size `{t}` is too large; use e.g. 10MiB"));
        }
        let x: f64 = num.parse().map_err(|_| bad())?;
        let bytes = (x * mult as f64).round();
        if !bytes.is_finite() || bytes >= u64::MAX as f64 {
            return Err(format!("size `{t}` is too large; use e.g. 10MiB"));
        }
        Ok(Size(bytes as u64))
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        for (unit, m) in [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
            if n >= m && n % m == 0 {
                return write!(f, "{}{unit}", n / m);
            }
        }
        write!(f, "{n}")
    }
}

/// A request rate: `10` or `10/s` per second, `600/m` per minute, `3600/h`
/// per hour; fractions are fine (`0.5/s`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Requests per second, > 0.
    pub per_second: f64,
    text_unit: char,
    text_count: f64,
}

impl Rate {
    /// The time between two request starts.
    pub fn interval(&self) -> Duration {
        Duration::from_secs_f64(1.0 / self.per_second)
    }
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let bad = || format!("invalid rate `{t}`; use e.g. 10, 10/s, 600/m or 3600/h");
        let (count, unit) = match t.split_once('/') {
            Some((c, u)) => (c.trim(), u.trim()),
            None => (t, "s"),
        };
        let seconds = match unit {
            "s" | "sec" | "second" => 1.0,
            "m" | "min" | "minute" => 60.0,
            "h" | "hour" => 3600.0,
            _ => return Err(bad()),
        };
        let n: f64 = count.parse().map_err(|_| bad())?;
        if !n.is_finite() || n <= 0.0 || Duration::try_from_secs_f64(seconds / n).is_err() {
            return Err(format!(
                "rate `{t}` must be a positive number of requests, e.g. 10/s or 600/m"
            ));
        }
        Ok(Rate {
            per_second: n / seconds,
            text_unit: unit.chars().next().unwrap_or('s'),
            text_count: n,
        })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.text_count, self.text_unit)
    }
}

/// A set of HTTP status codes, written as a list of codes and ranges:
/// `200-299`, `200,204,300-399`.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusSet {
    bits: [u64; 16],
    text: String,
}

impl StatusSet {
    /// Whether `status` is in the set.
    pub fn contains(&self, status: u16) -> bool {
        let s = status as usize;
        s < 1000 && self.bits[s / 64] & (1 << (s % 64)) != 0
    }

    /// The set as the user wrote it (normalised), for messages.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for StatusSet {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut bits = [0u64; 16];
        let mut parts = Vec::new();
        for part in s.split(',').map(str::trim) {
            if part.is_empty() {
                continue;
            }
            let code = |x: &str| -> Result<u16, String> {
                match x.trim().parse::<u16>() {
                    Ok(c) if (100..=999).contains(&c) => Ok(c),
                    _ => Err(format!(
                        "invalid status `{}` in `{s}`; use codes 100-999 and ranges, e.g. 200-299,304",
                        x.trim()
                    )),
                }
            };
            let (lo, hi) = match part.split_once('-') {
                Some((a, b)) => (code(a)?, code(b)?),
                None => {
                    let c = code(part)?;
                    (c, c)
                }
            };
            if lo > hi {
                return Err(format!(
                    "invalid range `{part}`: {lo} is above {hi}; use e.g. 200-299"
                ));
            }
            for c in lo..=hi {
                bits[c as usize / 64] |= 1 << (c as usize % 64);
            }
            parts.push(if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}-{hi}")
            });
        }
        if parts.is_empty() {
            return Err("empty status list; use e.g. 200-299 or 200,301".into());
        }
        Ok(StatusSet {
            bits,
            text: parts.join(","),
        })
    }
}

impl fmt::Display for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StatusSet({})", self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dur(s: &str) -> Result<Duration, String> {
        s.parse::<Dur>().map(|d| d.0)
    }

    #[test]
    fn durations_with_units_and_bare_seconds() {
        assert_eq!(dur("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(dur("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(dur("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(dur("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(dur("3"), Ok(Duration::from_secs(3)));
        assert_eq!(dur("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(dur(" 7s "), Ok(Duration::from_secs(7)));
    }

    #[test]
    fn bad_durations_are_errors_not_panics() {
        for s in [
            "",
            "abc",
            "5 parsecs",
            "1..2",
            "-1s",
            "1e400",
            "99999999999999999999999",
        ] {
            assert!(dur(s).is_err(), "{s:?} should not parse");
        }
    }

    #[test]
    fn durations_display_round_trips() {
        for s in ["200ms", "10s", "1h 30m"] {
            let d: Dur = s.parse().unwrap();
            assert_eq!(d.to_string().parse::<Dur>().unwrap(), d);
        }
        assert_eq!(Dur(Duration::from_millis(200)).to_string(), "200ms");
    }

    #[test]
    fn sizes_in_decimal_and_binary_units() {
        let size = |s: &str| s.parse::<Size>().map(|s| s.0);
        assert_eq!(size("512"), Ok(512));
        assert_eq!(size("1KB"), Ok(1000));
        assert_eq!(size("1KiB"), Ok(1024));
        assert_eq!(size("10MiB"), Ok(10 << 20));
        assert_eq!(size("2MB"), Ok(2_000_000));
        assert_eq!(size("1GiB"), Ok(1 << 30));
        assert_eq!(size("1gb"), Ok(1_000_000_000));
        assert_eq!(size("1.5KiB"), Ok(1536));
        for bad in [
            "",
            "KiB",
            "10 parsecs",
            "-1",
            "99999999999999999999GiB",
            "1.2.3MB",
        ] {
            assert!(size(bad).is_err(), "{bad:?} should not parse");
        }
        assert_eq!(Size(10 << 20).to_string(), "10MiB");
        assert_eq!(Size(1000).to_string(), "1000");
    }

    #[test]
    fn rates_per_second_minute_hour() {
        let per_s = |s: &str| s.parse::<Rate>().map(|r| r.per_second);
        assert_eq!(per_s("10"), Ok(10.0));
        assert_eq!(per_s("10/s"), Ok(10.0));
        assert_eq!(per_s("600/m"), Ok(10.0));
        assert_eq!(per_s("3600/h"), Ok(1.0));
        assert_eq!(per_s("0.5/s"), Ok(0.5));
        let r: Rate = "600/m".parse().unwrap();
        assert_eq!(r.interval(), Duration::from_millis(100));
        assert_eq!(r.to_string(), "600/m");
        for bad in [
            "", "0", "-5", "ten", "10/d", "10/", "/s", "NaN", "inf", "1e-300",
        ] {
            assert!(bad.parse::<Rate>().is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn status_lists_and_ranges() {
        let s: StatusSet = "200,204,300-399".parse().unwrap();
        for c in [200, 204, 300, 350, 399] {
            assert!(s.contains(c), "{c}");
        }
        for c in [199, 201, 299, 400, 0, 65535] {
            assert!(!s.contains(c), "{c}");
        }
        assert_eq!(s.as_str(), "200,204,300-399");
        let d: StatusSet = "408,429,500,502,503,504".parse().unwrap();
        assert!(d.contains(503) && d.contains(429) && !d.contains(501));
        for bad in ["", ",", "abc", "99", "1000", "300-200", "200-", "2xx"] {
            assert!(
                bad.parse::<StatusSet>().is_err(),
                "{bad:?} should not parse"
            );
        }
    }
}
