//! Durations, sizes and status lists as typed on the command line: any text
//! parses or is an error, never a panic, and what parses prints back to the
//! same value.

#![no_main]

use fanout::values::{Dur, Size, StatusSet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    if let Ok(d) = s.parse::<Dur>() {
        let shown = d.to_string();
        assert_eq!(shown.parse::<Dur>(), Ok(d), "{s:?} shown as {shown:?}");
    }
    if let Ok(n) = s.parse::<Size>() {
        let shown = n.to_string();
        assert_eq!(shown.parse::<Size>(), Ok(n), "{s:?} shown as {shown:?}");
    }
    if let Ok(set) = s.parse::<StatusSet>() {
        let again: StatusSet = set.as_str().parse().expect("normalised text parses");
        for code in 0..=1000u16 {
            assert_eq!(set.contains(code), again.contains(code), "{s:?} at {code}");
        }
        assert!(!set.contains(0) && !set.contains(99) && !set.contains(1000));
    }
});
