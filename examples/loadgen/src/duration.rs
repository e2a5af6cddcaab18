//! Durations on the command line: `500ms`, `10s`, `2m`, or bare seconds.

use std::time::Duration;

/// The longest duration accepted, so that every loop stays bounded.
const LONGEST: Duration = Duration::from_secs(3600);

/// Parses `500ms`, `1.5s`, `2m` or `10` (seconds); at most an hour.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration; write for example 500ms, 10s or 2m"))?;
    let seconds = match unit.trim() {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" | "min" => value * 60.0,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{text}`; use ms, s or m"
            ));
        }
    };
    if !seconds.is_finite() || seconds > LONGEST.as_secs_f64() {
        return Err(format!("`{text}` is longer than the limit of one hour"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit_and_bare_seconds() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
    }

    #[test]
    fn refuses_garbage_unknown_units_and_huge_values_with_a_reason() {
        assert!(
            parse_duration("soon")
                .unwrap_err()
                .contains("not a duration")
        );
        assert!(parse_duration("3h").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("99999s").unwrap_err().contains("one hour"));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("1.2.3s").is_err());
    }
}
