//! The per-head aggregate and its merge rule (framework facts §5.2 step 5).

use aggregate::Merge;
use tars_rpc::interfaces::stat::StatMicMsgBody;

/// The counters of one head in one minute. Sums are 64-bit (the reference's 32-bit counters
/// wrap on busy servers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatValue {
    /// Successful calls.
    pub count: i64,
    /// Timed-out calls.
    pub timeout_count: i64,
    /// Failed calls.
    pub exec_count: i64,
    /// Response-time bucket to calls, ascending by bucket.
    pub intervals: Vec<(i32, i64)>,
    /// Sum of response times, ms.
    pub total_rsp_time: i64,
    /// Longest response time, ms.
    pub max_rsp_time: i32,
    /// Shortest non-zero response time, ms (0 while none was seen).
    pub min_rsp_time: i32,
}

impl StatValue {
    fn add_intervals(&mut self, body: &StatMicMsgBody) {
        for &(bucket, calls) in body.interval_count.entries() {
            match self.intervals.binary_search_by_key(&bucket, |&(b, _)| b) {
                Ok(i) => self.intervals[i].1 += i64::from(calls),
                Err(i) => self.intervals.insert(i, (bucket, i64::from(calls))),
            }
        }
    }

    /// `interv_count`: `bucket|calls` items in ascending bucket order, joined by commas.
    pub fn interv_count(&self) -> String {
        let mut out = String::with_capacity(self.intervals.len() * 8);
        for (i, (bucket, calls)) in self.intervals.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(itoa_i64(i64::from(*bucket)).as_str());
            out.push('|');
            out.push_str(itoa_i64(*calls).as_str());
        }
        out
    }

    /// `ave_time`: integer `total / count`, or 1 when there is no successful call (as the
    /// reference).
    pub fn ave_time(&self) -> i64 {
        if self.count == 0 {
            1
        } else {
            self.total_rsp_time / self.count
        }
    }
}

fn itoa_i64(n: i64) -> String {
    n.to_string()
}

impl Merge<StatMicMsgBody> for StatValue {
    fn start(body: &StatMicMsgBody) -> Self {
        let mut value = Self {
            count: i64::from(body.count),
            timeout_count: i64::from(body.timeout_count),
            exec_count: i64::from(body.exec_count),
            intervals: Vec::with_capacity(body.interval_count.len()),
            total_rsp_time: body.total_rsp_time,
            max_rsp_time: body.max_rsp_time,
            min_rsp_time: body.min_rsp_time,
        };
        value.add_intervals(body);
        value
    }

    fn merge(&mut self, body: &StatMicMsgBody) {
        self.count += i64::from(body.count);
        self.timeout_count += i64::from(body.timeout_count);
        self.exec_count += i64::from(body.exec_count);
        self.total_rsp_time = self.total_rsp_time.saturating_add(body.total_rsp_time);
        self.max_rsp_time = self.max_rsp_time.max(body.max_rsp_time);
        if self.min_rsp_time == 0
            || (body.min_rsp_time != 0 && body.min_rsp_time < self.min_rsp_time)
        {
            self.min_rsp_time = body.min_rsp_time;
        }
        self.add_intervals(body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tars_codec::TarsMap;

    fn body(
        count: i32,
        timeout: i32,
        exec: i32,
        intervals: &[(i32, i32)],
        total: i64,
        max: i32,
        min: i32,
    ) -> StatMicMsgBody {
        StatMicMsgBody {
            count,
            timeout_count: timeout,
            exec_count: exec,
            interval_count: intervals.iter().copied().collect::<TarsMap<_, _>>(),
            total_rsp_time: total,
            max_rsp_time: max,
            min_rsp_time: min,
        }
    }

    #[test]
    fn every_field_merges_by_its_rule() {
        let mut v = StatValue::start(&body(3, 1, 0, &[(200, 1), (100, 2)], 300, 150, 0));
        v.merge(&body(2, 0, 4, &[(100, 5), (500, 1)], 90, 120, 7));
        v.merge(&body(1, 0, 0, &[], 10, 10, 3));
        v.merge(&body(0, 0, 1, &[], 0, 0, 0));
        assert_eq!(
            v,
            StatValue {
                count: 6,
                timeout_count: 1,
                exec_count: 5,
                intervals: vec![(100, 7), (200, 1), (500, 1)],
                total_rsp_time: 400,
                max_rsp_time: 150,
                min_rsp_time: 3,
            }
        );
        assert_eq!(v.interv_count(), "100|7,200|1,500|1");
        assert_eq!(v.ave_time(), 66);
    }

    #[test]
    fn ave_time_is_one_without_successful_calls() {
        let v = StatValue::start(&body(0, 3, 0, &[], 50, 20, 10));
        assert_eq!(v.ave_time(), 1);
        assert_eq!(StatValue::default().interv_count(), "");
    }
}
