//! Property aggregates: one value per policy, merged exactly (framework facts §5.3).
//!
//! Fixes over K8SFramework, documented for users:
//! - `Sum`, `Count`, `Max`, `Min` are doubles: the reference parses 64-bit integers, so
//!   fractional values were truncated.
//! - `Avg` keeps an exact running sum and count. A value `sum=count` adds both; a bare number
//!   (what current clients send: an average over their interval) counts as one sample, as in
//!   the reference. The reference stored `sum=count` back as text with 6 significant digits,
//!   losing precision on every merge.
//! - `Distr` merges bucket by bucket (`bucket|count` items), so reports with different bucket
//!   lists add up correctly; the reference added positions, assuming equal lists. The
//!   document's `value` stays 0 for `Distr`, as in the reference.

use aggregate::Merge;
use tars_rpc::interfaces::property::StatPropMsgBody;

/// One policy's aggregate.
#[derive(Debug, Clone, PartialEq)]
pub enum PolicyValue {
    /// `Sum`.
    Sum(f64),
    /// `Count`.
    Count(f64),
    /// `Max`.
    Max(f64),
    /// `Min`.
    Min(f64),
    /// `Avg`: sum of samples and their number.
    Avg {
        /// Sum of the samples.
        sum: f64,
        /// Number of samples.
        count: f64,
    },
    /// `Distr`: bucket to count, ascending by bucket.
    Distr(Vec<(i64, i64)>),
    /// Any other policy: the first value is kept, as text.
    Other(Box<[u8]>),
}

fn number(text: &[u8]) -> f64 {
    std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .unwrap_or(0.0)
}

fn avg_parts(text: &[u8]) -> (f64, f64) {
    match text.iter().position(|&b| b == b'=') {
        Some(eq) => (number(&text[..eq]), number(&text[eq + 1..])),
        None => (number(text), 1.0),
    }
}

fn add_buckets(into: &mut Vec<(i64, i64)>, text: &[u8]) {
    for item in text.split(|&b| b == b',') {
        let Some(bar) = item.iter().position(|&b| b == b'|') else {
            continue;
        };
        let parse = |t: &[u8]| std::str::from_utf8(t).ok()?.trim().parse::<i64>().ok();
        let (Some(bucket), Some(count)) = (parse(&item[..bar]), parse(&item[bar + 1..])) else {
            continue;
        };
        match into.binary_search_by_key(&bucket, |&(b, _)| b) {
            Ok(i) => into[i].1 += count,
            Err(i) => into.insert(i, (bucket, count)),
        }
    }
}

impl PolicyValue {
    /// The aggregate of a policy's first value.
    pub fn start(policy: &[u8], value: &[u8]) -> Self {
        match policy {
            b"Sum" => Self::Sum(number(value)),
            b"Count" => Self::Count(number(value)),
            b"Max" => Self::Max(number(value)),
            b"Min" => Self::Min(number(value)),
            b"Avg" => {
                let (sum, count) = avg_parts(value);
                Self::Avg { sum, count }
            }
            b"Distr" => {
                let mut buckets = Vec::new();
                add_buckets(&mut buckets, value);
                Self::Distr(buckets)
            }
            _ => Self::Other(value.into()),
        }
    }

    /// Adds a later value of the same policy.
    pub fn merge(&mut self, value: &[u8]) {
        match self {
            Self::Sum(s) | Self::Count(s) => *s += number(value),
            Self::Max(m) => *m = m.max(number(value)),
            Self::Min(m) => *m = m.min(number(value)),
            Self::Avg { sum, count } => {
                let (s, c) = avg_parts(value);
                *sum += s;
                *count += c;
            }
            Self::Distr(buckets) => add_buckets(buckets, value),
            Self::Other(_) => {}
        }
    }

    /// The document's `value`.
    pub fn document_value(&self) -> f64 {
        match self {
            Self::Sum(v) | Self::Count(v) | Self::Max(v) | Self::Min(v) => *v,
            Self::Avg { sum, count } => {
                if *count == 0.0 {
                    *sum
                } else {
                    sum / count
                }
            }
            Self::Distr(_) => 0.0,
            Self::Other(text) => number(text),
        }
    }
}

/// A head's policies, sorted by policy name (as the reference re-sorts them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PropertyValue {
    /// Policy name to aggregate.
    pub policies: Vec<(Box<[u8]>, PolicyValue)>,
}

impl PropertyValue {
    fn add(&mut self, body: &StatPropMsgBody<'_>) {
        for info in &body.info {
            match self
                .policies
                .binary_search_by(|(name, _)| (**name).cmp(info.policy))
            {
                Ok(i) => self.policies[i].1.merge(info.value),
                Err(i) => self.policies.insert(
                    i,
                    (
                        info.policy.into(),
                        PolicyValue::start(info.policy, info.value),
                    ),
                ),
            }
        }
    }
}

impl Merge<StatPropMsgBody<'_>> for PropertyValue {
    fn start(body: &StatPropMsgBody<'_>) -> Self {
        let mut value = Self::default();
        value.add(body);
        value
    }

    fn merge(&mut self, body: &StatPropMsgBody<'_>) {
        self.add(body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tars_rpc::interfaces::property::StatPropInfo;

    fn body<'a>(items: &[(&'a str, &'a str)]) -> StatPropMsgBody<'a> {
        StatPropMsgBody {
            info: items
                .iter()
                .map(|(p, v)| StatPropInfo {
                    policy: p.as_bytes(),
                    value: v.as_bytes(),
                })
                .collect(),
        }
    }

    fn values(v: &PropertyValue) -> Vec<(String, f64)> {
        v.policies
            .iter()
            .map(|(n, p)| (String::from_utf8_lossy(n).into_owned(), p.document_value()))
            .collect()
    }

    #[test]
    fn every_policy_merges_across_reports() {
        let mut v = PropertyValue::start(&body(&[
            ("Sum", "1.5"),
            ("Count", "2"),
            ("Max", "7"),
            ("Min", "3"),
            ("Avg", "10"),
            ("Distr", "0|1,10|2"),
            ("Custom", "42"),
        ]));
        v.merge(&body(&[
            ("Sum", "2.25"),
            ("Count", "3"),
            ("Max", "9"),
            ("Min", "-1"),
            ("Avg", "30=2"),
            ("Distr", "10|5,50|1"),
            ("Custom", "99"),
        ]));
        v.merge(&body(&[("Avg", "20")]));
        assert_eq!(
            values(&v),
            [
                ("Avg".into(), 60.0 / 4.0),
                ("Count".into(), 5.0),
                ("Custom".into(), 42.0),
                ("Distr".into(), 0.0),
                ("Max".into(), 9.0),
                ("Min".into(), -1.0),
                ("Sum".into(), 3.75),
            ]
        );
        let distr = v
            .policies
            .iter()
            .find(|(n, _)| &**n == b"Distr")
            .map(|(_, p)| p);
        assert_eq!(
            distr,
            Some(&PolicyValue::Distr(vec![(0, 1), (10, 7), (50, 1)]))
        );
    }

    #[test]
    fn bad_numbers_count_as_zero_and_never_panic() {
        let v = PropertyValue::start(&body(&[
            ("Sum", "abc"),
            ("Avg", "x=y"),
            ("Distr", "a|b,|,5|"),
        ]));
        assert_eq!(
            values(&v),
            [
                ("Avg".into(), 0.0),
                ("Distr".into(), 0.0),
                ("Sum".into(), 0.0)
            ]
        );
    }
}
