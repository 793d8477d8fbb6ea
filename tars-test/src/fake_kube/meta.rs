//! Small helpers on JSON objects and their `metadata`, and the time format the API uses.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

/// A non-empty string field of `metadata`.
pub(crate) fn meta_str<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object
        .get("metadata")?
        .get(key)?
        .as_str()
        .filter(|value| !value.is_empty())
}

/// The value as a JSON object, replacing it by `{}` first if it is anything else.
pub(crate) fn object_mut(value: &mut Value) -> &mut Map<String, Value> {
    if !value.is_object() {
        *value = Value::Object(Map::new());
    }
    match value {
        Value::Object(map) => map,
        _ => unreachable!("the value was just made an object"),
    }
}

/// The `metadata` object of an object, created if missing.
pub(crate) fn metadata_mut(object: &mut Value) -> &mut Map<String, Value> {
    let metadata = object_mut(object)
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    object_mut(metadata)
}

/// Sets `key` to a copy of `value`, or removes it when `value` is `None`.
pub(crate) fn set_or_remove(map: &mut Map<String, Value>, key: &str, value: Option<&Value>) {
    match value {
        Some(value) => {
            map.insert(key.to_owned(), value.clone());
        }
        None => {
            map.remove(key);
        }
    }
}

/// The current time as RFC 3339 in UTC with seconds, as `metav1.Time` is written.
pub(crate) fn now_rfc3339() -> String {
    rfc3339_in(0)
}

/// The time `seconds` from now, as [`now_rfc3339`] writes it.
pub(crate) fn rfc3339_in(seconds: u64) -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
        .saturating_add(seconds);
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let of_day = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_from_days_matches_known_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_810), (2024, 3, 28));
    }

    #[test]
    fn now_is_rfc3339_utc() {
        let now = now_rfc3339();
        assert_eq!(now.len(), 20, "{now}");
        assert!(now.ends_with('Z'));
        assert_eq!(&now[10..11], "T");
    }

    #[test]
    fn metadata_is_made_when_missing() {
        let mut object = Value::Null;
        metadata_mut(&mut object).insert("name".to_owned(), Value::from("a"));
        assert_eq!(meta_str(&object, "name"), Some("a"));
        set_or_remove(metadata_mut(&mut object), "name", None);
        assert_eq!(meta_str(&object, "name"), None);
    }
}
