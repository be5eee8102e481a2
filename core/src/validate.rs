//! Checking an input against an operation's members before anything is built.

use crate::error::{Error, Result};
use crate::input::Members;
use crate::operations::{Format, Member, OperationSpec, Rules, Type};
use crate::time::days_in_month;
use crate::util::{comma_list, json_text, quoted};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Checks `input` (a flat object of wire names) against `op`: no unknown member, every
/// required member set, every value of its type and within its rules, exactly one member
/// of each `one_of` group. `null` counts as not set.
pub fn validate(op: &OperationSpec, input: &Map<String, Value>) -> Result<()> {
    check_input(op, Members::Map(input))
}

/// [`validate`] of the members of an input, however they were given.
pub(crate) fn check_input(op: &OperationSpec, input: Members<'_>) -> Result<()> {
    if let Some(key) = input.unknown(|key| op.member(key).is_some()) {
        let names = member_names(op.members);
        let expected = if names.is_empty() {
            "it takes no member".to_owned()
        } else {
            format!("its members are {}", comma_list(&names))
        };
        return Err(Error::validation(key, format!("`{}` has no member `{key}`; {expected}", op.name)));
    }
    check_members(op.members, input, "")?;
    for group in op.one_of {
        let mut set = 0;
        for name in *group {
            if is_set(input.get(name)) {
                set += 1;
            }
        }
        if set != 1 {
            let reason = if set == 0 { "none is set" } else { "more than one is set" };
            return Err(Error::validation(
                group[0],
                format!("exactly one of {} must be set; {reason}", comma_list(group)),
            ));
        }
    }
    Ok(())
}

/// The names of `members` (a loop: each `collect` is code of its own where size counts).
fn member_names(members: &[Member]) -> Vec<&'static str> {
    let mut names = Vec::with_capacity(members.len());
    for member in members {
        names.push(member.name);
    }
    names
}

fn is_set(value: Option<&Value>) -> bool {
    !matches!(value, None | Some(Value::Null))
}

/// `prefix.name`, or `name` as it is at the top level (no copy: most members are there).
fn join<'a>(prefix: &str, name: &'a str) -> Cow<'a, str> {
    if prefix.is_empty() {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(format!("{prefix}.{name}"))
    }
}

fn check_members(members: &[Member], object: Members<'_>, prefix: &str) -> Result<()> {
    for member in members {
        let path = join(prefix, member.name);
        match object.get(member.name) {
            None | Some(Value::Null) if member.required => return Err(Error::validation(path, "is required")),
            None | Some(Value::Null) => {}
            Some(value) => check_value(member.ty, member.rules, value, &path)?,
        }
    }
    Ok(())
}

/// Checks one value. As the official SDK takes them (and sends them as given), a text
/// member also takes an integer (`"limit": 10` for a limit the API types as text) and an
/// integer member a string holding one (`"recovery_window_in_days": "7"`). A boolean or a
/// fraction for text is refused: no text member of the API means one.
fn check_value(ty: &Type, rules: &Rules, value: &Value, path: &str) -> Result<()> {
    let wrong = |expected: &str| Error::validation(path, format!("must be {expected}, not {}", describe(value)));
    match ty {
        Type::String | Type::Date => {
            let text = match value {
                Value::String(s) => s.as_str(),
                Value::Number(n) if matches!(ty, Type::String) && !n.is_f64() => {
                    return check_text(rules, &json_text(value), path)
                }
                _ => return Err(wrong("a string")),
            };
            check_text(rules, text, path)?;
            if matches!(ty, Type::Date) && !is_date(text) {
                return Err(Error::validation(path, "must be a date written YYYY-MM-DD"));
            }
        }
        Type::Integer => {
            let n = match value {
                Value::String(s) => crate::util::parse_i64(s)
                    .ok_or_else(|| Error::validation(path, "must be an integer, or a string holding one"))?,
                _ => as_integer(value).ok_or_else(|| wrong("an integer"))?,
            };
            check_range(rules, n, path)?;
        }
        Type::Number => {
            value.as_f64().ok_or_else(|| wrong("a number"))?;
        }
        Type::Boolean => {
            value.as_bool().ok_or_else(|| wrong("a boolean (true or false)"))?;
        }
        Type::Any => {}
        Type::List(item) => {
            let items = value.as_array().ok_or_else(|| wrong("a list"))?;
            if let Some((min, max)) = rules.items {
                if items.len() < min as usize || items.len() > max as usize {
                    return Err(Error::validation(
                        path,
                        format!("must have {} items, not {}", bounds(min, max), items.len()),
                    ));
                }
            }
            for (i, v) in items.iter().enumerate() {
                if v.is_null() {
                    return Err(Error::validation(format!("{path}[{i}]"), "must not be null"));
                }
                // The member's rules (an enumeration, a length) apply to each item.
                check_value(item, &Rules { items: None, ..*rules }, v, &format!("{path}[{i}]"))?;
            }
        }
        Type::Model(model) => {
            let object = value.as_object().ok_or_else(|| wrong(&format!("an object ({})", model.name)))?;
            for key in object.keys() {
                if !model.fields.iter().any(|f| f.name == key) {
                    let names = member_names(model.fields);
                    return Err(Error::validation(
                        join(path, key),
                        format!("`{}` has no field `{key}`; its fields are {}", model.name, comma_list(&names)),
                    ));
                }
            }
            check_members(model.fields, Members::Map(object), path)?;
        }
    }
    Ok(())
}

fn check_text(rules: &Rules, text: &str, path: &str) -> Result<()> {
    if let Some((min, max)) = rules.len {
        // Characters are the bytes that do not continue a UTF-8 sequence (counted in a plain
        // loop: the iterator adapters are calls of their own where the module is size-tuned).
        let bytes = text.as_bytes();
        let (mut n, mut i) = (0, 0);
        while i < bytes.len() {
            n += usize::from(bytes[i] & 0xC0 != 0x80);
            i += 1;
        }
        if n < min as usize || n > max as usize {
            return Err(Error::validation(path, format!("must be {} characters long, not {n}", bounds(min, max))));
        }
    }
    if let Some(max) = rules.max_bytes {
        if text.len() > max as usize {
            return Err(Error::validation(path, format!("must be at most {max} bytes of UTF-8, not {}", text.len())));
        }
    }
    if let Some(class) = rules.charset {
        if let Some(c) = text.chars().find(|&c| !in_class(class, c)) {
            return Err(Error::validation(
                path,
                format!("may hold only the characters {class}; found {}", quoted(&c.to_string(), '\'')),
            ));
        }
    }
    if !rules.allowed.is_empty() && !rules.allowed.contains(&text) {
        return Err(Error::validation(
            path,
            format!("must be one of {}, not {}", comma_list(rules.allowed), quoted(text, '"')),
        ));
    }
    if rules.not_blank && text.trim().is_empty() {
        return Err(Error::validation(path, "must not be blank"));
    }
    if let Some((lo, hi)) = rules.range {
        let n = crate::util::parse_i64(text.trim()).ok_or_else(|| Error::validation(path, "must be an integer"))?;
        check_range(&Rules { range: Some((lo, hi)), ..Rules::NONE }, n, path)?;
    }
    match rules.format {
        Some(Format::RotationPeriod) => check_rotation_period(text, path),
        Some(Format::Base64) if !is_base64(text) => {
            Err(Error::validation(path, "must be standard base64 (A-Z a-z 0-9 + /, padded with =)"))
        }
        Some(Format::Date) if !is_date(text) => Err(Error::validation(path, "must be a date written YYYY-MM-DD")),
        _ => Ok(()),
    }
}

fn check_range(rules: &Rules, n: i64, path: &str) -> Result<()> {
    match rules.range {
        Some((lo, hi)) if n < lo || n > hi => {
            Err(Error::validation(path, format!("must be between {lo} and {hi}, not {n}")))
        }
        _ => Ok(()),
    }
}

fn bounds(min: u32, max: u32) -> String {
    if min == 0 {
        format!("at most {max}")
    } else if min == max {
        format!("exactly {min}")
    } else {
        format!("between {min} and {max}")
    }
}

/// An integer, also from a float with no fraction (JavaScript numbers arrive that way).
pub(crate) fn as_integer(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15).map(|f| f as i64))
}

pub(crate) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Whether `c` is in a regex-style class body such as `a-zA-Z0-9_-`.
fn in_class(class: &str, c: char) -> bool {
    // Read in place (collecting the class first allocated once per character checked).
    let mut rest = class.chars();
    while let Some(first) = rest.next() {
        let mut ahead = rest.clone();
        if let (Some('-'), Some(last)) = (ahead.next(), ahead.next()) {
            if (first..=last).contains(&c) {
                return true;
            }
            rest = ahead;
        } else if first == c {
            return true;
        }
    }
    false
}

/// `<integer><unit>` with unit d, h, m or s, between 6 hours and 8,760 hours.
fn check_rotation_period(text: &str, path: &str) -> Result<()> {
    let bad = |why: &str| {
        Error::validation(
            path,
            format!("{why}; write an integer and a unit d, h, m or s between 6h and 8760h, such as 30d or 6h"),
        )
    };
    let unit_len = text.chars().next_back().map_or(0, char::len_utf8);
    let cut = text.len() - unit_len;
    let (digits, unit) = (crate::util::slice(text, 0, cut), crate::util::slice(text, cut, text.len()));
    let seconds_per_unit: u64 = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" => 1,
        _ => return Err(bad(&format!("{} has no unit", quoted(text, '"')))),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(&format!("{} is not an integer with a unit", quoted(text, '"'))));
    }
    let n = crate::util::parse_u64(digits).ok_or_else(|| bad(&format!("{} is too large", quoted(text, '"'))))?;
    let seconds = n.checked_mul(seconds_per_unit).ok_or_else(|| bad(&format!("{} is too large", quoted(text, '"'))))?;
    if !(6 * 3_600..=8_760 * 3_600).contains(&seconds) {
        return Err(bad(&format!("{} is out of range", quoted(text, '"'))));
    }
    Ok(())
}

fn is_base64(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() % 4 != 0 {
        return false;
    }
    let pad = b.iter().rev().take_while(|&&c| c == b'=').count();
    pad <= 2 && b[..b.len() - pad].iter().all(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
}

/// Whether `text` is a date `YYYY-MM-DD` of the calendar (the day exists in that month,
/// 29 February in leap years only).
fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || ![0, 1, 2, 3, 5, 6, 8, 9].iter().all(|&i| b[i].is_ascii_digit())
    {
        return false;
    }
    let number = |from: usize, to: usize| b[from..to].iter().fold(0, |n, &d| n * 10 + i64::from(d - b'0'));
    let (year, month, day) = (number(0, 4), number(5, 7), number(8, 10));
    (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rotation_period_bounds() {
        for ok in ["6h", "360m", "21600s", "1d", "365d", "8760h"] {
            assert!(check_rotation_period(ok, "p").is_ok(), "{ok}");
        }
        for bad in ["5h", "8761h", "366d", "abc", "h", "6", "-6h", "6H", "1.5d", "99999999999999999999d", "", "ü", "6ü"]
        {
            assert!(check_rotation_period(bad, "p").is_err(), "{bad}");
        }
    }

    #[test]
    fn character_classes() {
        assert!(in_class("a-zA-Z0-9_-", '_') && in_class("a-zA-Z0-9_-", '-') && in_class("a-zA-Z0-9_-", 'Q'));
        assert!(!in_class("a-zA-Z0-9_-", ' ') && !in_class("a-zA-Z0-9_-", 'é'));
        // Every ASCII character: exactly the ranges' ends and what lies between, and the two
        // single characters (a trailing `-` is itself, not a range).
        for c in (0u8..128).map(char::from) {
            let expected = c.is_ascii_alphanumeric() || c == '_' || c == '-';
            assert_eq!(in_class("a-zA-Z0-9_-", c), expected, "{c:?}");
        }
        assert!(in_class("x-", '-') && in_class("-", '-') && !in_class("", 'a'));
    }

    #[test]
    fn text_takes_integers_and_integers_take_numeric_strings_as_the_official_sdk_does() {
        let text = Type::String;
        for ok in [json!("10"), json!(10), json!(-3), json!(u64::MAX)] {
            assert!(check_value(&text, &Rules::NONE, &ok, "limit").is_ok(), "{ok}");
        }
        for bad in [json!(true), json!(1.5), json!(null), json!([1])] {
            let err = check_value(&text, &Rules::NONE, &bad, "limit").unwrap_err();
            assert!(matches!(&err, Error::Validation { field, .. } if field == "limit"), "{bad}: {err}");
        }
        // A date stays a string.
        assert!(check_value(&Type::Date, &Rules::NONE, &json!(20300102), "d").is_err());
        let days = Rules { range: Some((7, 30)), ..Rules::NONE };
        for ok in [json!("7"), json!(30), json!("+8"), json!(10.0)] {
            assert!(check_value(&Type::Integer, &days, &ok, "days").is_ok(), "{ok}");
        }
        for bad in [json!("6"), json!("31"), json!(" 7"), json!("7.0"), json!("seven"), json!(""), json!(true)] {
            let err = check_value(&Type::Integer, &days, &bad, "days").unwrap_err();
            assert!(matches!(&err, Error::Validation { field, .. } if field == "days"), "{bad}: {err}");
        }
        // Range rules on text read the number in the text, whichever way it came.
        let limit = Rules { range: Some((1, 1000)), ..Rules::NONE };
        assert!(check_value(&text, &limit, &json!(1001), "limit").is_err());
        assert!(check_value(&text, &limit, &json!(1000), "limit").is_ok());
    }

    #[test]
    fn base64_and_dates() {
        assert!(is_base64("") && is_base64("YWJj") && is_base64("YWI=") && is_base64("YQ=="));
        assert!(!is_base64("YQ=") && !is_base64("Y===") && !is_base64("YW J") && !is_base64("YQ==YQ=="));
        assert!(is_date("2030-01-02") && !is_date("2030-13-02") && !is_date("2030/01/02"));
        assert!(is_date("2024-02-29") && is_date("2000-02-29") && is_date("2024-12-31") && is_date("2023-04-30"));
        for bad in ["2024-02-31", "2023-02-29", "1900-02-29", "2024-04-31", "2024-00-10", "2024-01-00", "2024-01-32"] {
            assert!(!is_date(bad), "{bad}");
        }
    }
}
