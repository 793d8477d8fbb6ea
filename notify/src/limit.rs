//! The per-server alarm rate limit (framework facts §5.4): at most `count` records per
//! `interval` seconds per `app.server`, in fixed windows that start with a key's first record.

use std::collections::HashMap;

use parking_lot::Mutex;

/// Keys tracked before expired windows are swept out.
const SWEEP_AT_KEYS: usize = 100_000;

/// `interval:count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Window length, seconds.
    pub interval_secs: i64,
    /// Records accepted per window (at least 1).
    pub count: u32,
}

impl RateLimit {
    /// Parses K8SFramework's `notify_limit` value: two numbers separated by `:`, `,` or `|`
    /// (`300:300`). Anything else means 300 s / 10, as in the reference; a count below 1 is 1.
    pub fn parse(text: &str) -> Self {
        let parts: Vec<&str> = text
            .split([':', ',', '|'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        let parsed = match parts.as_slice() {
            [interval, count] => interval.parse::<i64>().ok().zip(count.parse::<i64>().ok()),
            _ => None,
        };
        let (interval_secs, count) = parsed.unwrap_or((300, 10));
        Self {
            interval_secs,
            count: count.clamp(1, i64::from(u32::MAX)) as u32,
        }
    }
}

/// Windows per key.
#[derive(Debug)]
pub struct Limiter {
    limit: RateLimit,
    windows: Mutex<HashMap<Vec<u8>, (i64, u32)>>,
}

impl Limiter {
    /// A limiter with no window open.
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Whether a record of `key` arriving at `now_secs` is accepted.
    pub fn allow(&self, key: &[u8], now_secs: i64) -> bool {
        let RateLimit {
            interval_secs,
            count,
        } = self.limit;
        let mut windows = self.windows.lock();
        if windows.len() >= SWEEP_AT_KEYS {
            windows.retain(|_, (start, _)| now_secs <= *start + interval_secs);
        }
        if let Some((start, n)) = windows.get_mut(key) {
            if now_secs > *start + interval_secs {
                *start = now_secs;
                *n = 1;
                return true;
            }
            if *n >= count {
                return false;
            }
            *n += 1;
            return true;
        }
        windows.insert(key.to_vec(), (now_secs, 1));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setting_parses_like_the_reference() {
        assert_eq!(
            RateLimit::parse("300:300"),
            RateLimit {
                interval_secs: 300,
                count: 300
            }
        );
        assert_eq!(
            RateLimit::parse("60,5"),
            RateLimit {
                interval_secs: 60,
                count: 5
            }
        );
        assert_eq!(
            RateLimit::parse("60|0"),
            RateLimit {
                interval_secs: 60,
                count: 1
            }
        );
        assert_eq!(
            RateLimit::parse("60"),
            RateLimit {
                interval_secs: 300,
                count: 10
            }
        );
        assert_eq!(
            RateLimit::parse("a:b"),
            RateLimit {
                interval_secs: 300,
                count: 10
            }
        );
        assert_eq!(
            RateLimit::parse("1:2:3"),
            RateLimit {
                interval_secs: 300,
                count: 10
            }
        );
    }

    #[test]
    fn a_window_admits_count_records_then_restarts_after_the_interval() {
        let l = Limiter::new(RateLimit {
            interval_secs: 10,
            count: 3,
        });
        let accepted: Vec<bool> = (0..5).map(|_| l.allow(b"A.B", 100)).collect();
        assert_eq!(accepted, [true, true, true, false, false]);
        assert!(l.allow(b"C.D", 100), "keys are independent");
        assert!(
            !l.allow(b"A.B", 110),
            "the window still runs at start + interval"
        );
        assert!(l.allow(b"A.B", 111), "a new window after it");
        assert!(l.allow(b"A.B", 111));
    }
}
