//! The minute clock: which window a moment belongs to, and the `f_date` / `f_tflag` stamps
//! K8SFramework writes for it (framework facts §5.2).
//!
//! K8SFramework stamps a minute by its **end**: the minute starting at `HH:MM` gets
//! `f_tflag = HH*100 + MM + 1`, four digits, so minutes run `01..60` within the hour (`0959`,
//! `0960`, `1001`), `HH00` never occurs, the last minute of a day is `2360`, and `f_date` is
//! the day the minute starts in. We produce exactly those stamps. Unlike the reference, which
//! checks the clock every 7 s (so a report arriving in the first seconds of a minute can be
//! counted in the previous one, and the 00:00 minute is flushed several times), windows here
//! close on the minute boundary itself and once per minute.

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// The zone named `name`: an IANA name (`Asia/Shanghai`), `UTC`, or `local` (the system's
/// zone: `TZ`, then `/etc/localtime`, else UTC — what a C++ service sees).
///
/// # Errors
/// The name is not a known zone; the message names it.
pub fn time_zone(name: &str) -> Result<TimeZone, String> {
    match name {
        "local" | "" => Ok(TimeZone::system()),
        "UTC" | "utc" => Ok(TimeZone::UTC),
        name => TimeZone::get(name).map_err(|e| format!("unknown time zone {name:?}: {e}")),
    }
}

/// One window: a minute of local time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Minute {
    /// Unix seconds at which the minute starts.
    pub start: i64,
    /// `YYYYMMDD` of the minute's start, local time.
    pub date: String,
    /// `HHMM` end stamp (`0001`..`2360`).
    pub tflag: String,
}

impl Minute {
    /// Unix seconds at which the minute ends (the next window starts).
    pub fn end(&self) -> i64 {
        self.start + 60
    }
}

/// Maps moments to minutes in a time zone.
#[derive(Debug, Clone)]
pub struct MinuteClock {
    tz: TimeZone,
}

impl MinuteClock {
    /// A clock in `tz`.
    pub fn new(tz: TimeZone) -> Self {
        Self { tz }
    }

    /// A clock in the zone named `name`: an IANA name (`Asia/Shanghai`), `UTC`, or `local`
    /// (the system's zone: `TZ`, then `/etc/localtime`, else UTC — what a C++ service sees).
    ///
    /// # Errors
    /// The name is not a known zone; the message names it.
    pub fn from_name(name: &str) -> Result<Self, String> {
        time_zone(name).map(Self::new)
    }

    /// The minute containing `unix_seconds`.
    ///
    /// Every zone in use today is offset from UTC by whole minutes, so local minutes start on
    /// UTC minute boundaries.
    pub fn minute(&self, unix_seconds: i64) -> Minute {
        let start = unix_seconds.div_euclid(60) * 60;
        let local = self
            .tz
            .to_datetime(Timestamp::from_second(start).unwrap_or(Timestamp::UNIX_EPOCH));
        let stamp = i32::from(local.hour()) * 100 + i32::from(local.minute()) + 1;
        Minute {
            start,
            date: format!("{:04}{:02}{:02}", local.year(), local.month(), local.day()),
            tflag: format!("{stamp:04}"),
        }
    }

    /// The minute containing now.
    pub fn now(&self) -> Minute {
        self.minute(Timestamp::now().as_second())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(clock: &MinuteClock, text: &str) -> (String, String) {
        let ts: Timestamp = text.parse().expect("timestamp");
        let m = clock.minute(ts.as_second());
        (m.date, m.tflag)
    }

    fn pair(date: &str, tflag: &str) -> (String, String) {
        (date.into(), tflag.into())
    }

    #[test]
    fn minutes_are_stamped_by_their_end_like_k8sframework() {
        let utc = MinuteClock::new(TimeZone::UTC);
        assert_eq!(at(&utc, "2024-03-28T09:59:00Z"), pair("20240328", "0960"));
        assert_eq!(at(&utc, "2024-03-28T09:59:59Z"), pair("20240328", "0960"));
        assert_eq!(at(&utc, "2024-03-28T10:00:00Z"), pair("20240328", "1001"));
        assert_eq!(at(&utc, "2024-03-28T23:59:30Z"), pair("20240328", "2360"));
        assert_eq!(at(&utc, "2024-03-29T00:00:10Z"), pair("20240329", "0001"));
        assert_eq!(at(&utc, "2024-03-29T00:01:00Z"), pair("20240329", "0002"));
    }

    #[test]
    fn a_boundary_splits_windows() {
        let utc = MinuteClock::new(TimeZone::UTC);
        let a = utc.minute(1_711_619_999);
        let b = utc.minute(1_711_620_000);
        assert_eq!(a.end(), b.start);
        assert_ne!(a.tflag, b.tflag);
    }

    #[test]
    fn the_zone_decides_date_and_hour() {
        let shanghai = MinuteClock::from_name("Asia/Shanghai").expect("bundled zone");
        // 16:30 UTC is 00:30 the next day in Shanghai (UTC+8).
        assert_eq!(
            at(&shanghai, "2024-03-28T16:30:00Z"),
            pair("20240329", "0031")
        );
        assert!(MinuteClock::from_name("Mars/Olympus").is_err());
    }

    #[test]
    fn daylight_saving_changes_follow_local_time() {
        let berlin = MinuteClock::from_name("Europe/Berlin").expect("bundled zone");
        // 2024-03-31 01:59:30 UTC is 03:59:30 CEST (after the spring-forward at 02:00 CET).
        assert_eq!(
            at(&berlin, "2024-03-31T01:59:30Z"),
            pair("20240331", "0360")
        );
        assert_eq!(
            at(&berlin, "2024-03-31T00:59:30Z"),
            pair("20240331", "0160")
        );
    }
}
