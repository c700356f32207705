//! The progress bar of `decode` and `encode` (REQ-CLI-3), drawn on stderr
//! only when stderr is a terminal.
//!
//! Rates and the ETA come from the average since the phase started (the
//! bar's elapsed time is reset with each phase), not from indicatif's
//! running estimate, which starts from nothing and shows hours on the
//! first tick. Rates are whole numbers with a unit (`12 MiB/s`,
//! `1,828,507 msg/s`); until a phase has run for a moment the ETA is `--`.

use std::time::Duration;

use indicatif::{HumanCount, ProgressState, ProgressStyle};

/// How long a phase runs before its ETA is shown.
const SETTLE: Duration = Duration::from_millis(500);

/// A style from `template`, which may use `{rate_bytes}`, `{rate_msgs}`
/// and `{eta_avg}` besides indicatif's own keys.
pub fn style(template: &str) -> Option<ProgressStyle> {
    let style = ProgressStyle::with_template(template).ok()?;
    Some(
        style
            .with_key(
                "rate_bytes",
                |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = w.write_str(&rate_bytes(s.pos(), s.elapsed()));
                },
            )
            .with_key(
                "rate_msgs",
                |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{} msg/s", HumanCount(per_sec(s.pos(), s.elapsed())));
                },
            )
            .with_key(
                "eta_avg",
                |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = w.write_str(&eta(s.pos(), s.len(), s.elapsed()));
                },
            )
            .progress_chars("=> "),
    )
}

/// `done` per second over `elapsed`, rounded down; 0 before any time.
pub fn per_sec(done: u64, elapsed: Duration) -> u64 {
    let ms = elapsed.as_millis();
    if ms == 0 {
        return 0;
    }
    u64::try_from(u128::from(done) * 1000 / ms).unwrap_or(u64::MAX)
}

/// A byte rate as a whole number with a binary unit: `0 B/s`, `900 KiB/s`,
/// `12 MiB/s`.
pub fn rate_bytes(done: u64, elapsed: Duration) -> String {
    let mut rate = per_sec(done, elapsed);
    for unit in ["B", "KiB", "MiB", "GiB"] {
        if rate < 10 * 1024 {
            return format!("{rate} {unit}/s");
        }
        rate /= 1024;
    }
    format!("{rate} TiB/s")
}

/// The time left at the average rate so far: `--` while unknown (no
/// length, nothing done yet, or under half a second in), else `42s`,
/// `3m05s` or `2h07m`.
pub fn eta(done: u64, len: Option<u64>, elapsed: Duration) -> String {
    let Some(len) = len else {
        return "--".to_string();
    };
    if done == 0 || elapsed < SETTLE {
        return "--".to_string();
    }
    let left = len.saturating_sub(done);
    let secs = u128::from(left) * elapsed.as_millis() / u128::from(done) / 1000;
    let secs = u64::try_from(secs).unwrap_or(u64::MAX);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // REQ-CLI-3
    #[test]
    fn rates_are_whole_numbers_with_units_and_the_eta_waits_for_data() {
        let s = Duration::from_secs;
        assert_eq!(per_sec(1_828_506, Duration::from_millis(999)), 1_830_336);
        assert_eq!(per_sec(5, Duration::ZERO), 0);
        assert_eq!(rate_bytes(0, s(1)), "0 B/s");
        assert_eq!(rate_bytes(9_000, s(1)), "9000 B/s");
        assert_eq!(rate_bytes(900 << 10, s(1)), "900 KiB/s");
        assert_eq!(rate_bytes(120 << 20, s(2)), "60 MiB/s");
        assert_eq!(
            rate_bytes(u64::MAX, Duration::from_millis(1)),
            "16777215 TiB/s"
        );
        assert_eq!(eta(0, Some(100), s(10)), "--");
        assert_eq!(eta(10, None, s(10)), "--");
        assert_eq!(eta(10, Some(100), Duration::from_millis(100)), "--");
        assert_eq!(eta(50, Some(100), s(1)), "1s");
        assert_eq!(eta(10, Some(100), s(20)), "3m00s");
        assert_eq!(eta(1, Some(10_000), s(1)), "2h46m");
        assert_eq!(eta(200, Some(100), s(1)), "0s");
        assert!(style("{rate_bytes} {rate_msgs} eta {eta_avg}").is_some());
    }
}
