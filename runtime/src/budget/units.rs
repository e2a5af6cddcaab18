//! Durations ("30s") and amounts of money ("$0.50") as written in
//! `#[agent(budget(...))]` and `agentwire.toml`.
//!
//! The parsers are `const fn`, so the macro's values are checked while the
//! user's crate compiles and the config file's at start-up, by one parser.

use std::time::Duration;

/// Reads a duration: a whole number followed by `ms`, `s`, `m` or `h`.
pub const fn parse_duration(text: &str) -> Result<Duration, &'static str> {
    const PROBLEM: &str =
        "a duration is a whole number followed by `ms`, `s`, `m` or `h`, such as \"30s\"";
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut value: u64 = 0;
    while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'_') {
        if bytes[i] != b'_' {
            value = match value.checked_mul(10) {
                Some(v) => match v.checked_add((bytes[i] - b'0') as u64) {
                    Some(v) => v,
                    None => return Err("the duration is too large"),
                },
                None => return Err("the duration is too large"),
            };
        }
        i += 1;
    }
    if i == 0 {
        return Err(PROBLEM);
    }
    let unit_ms: u64 = match (bytes.len() - i, bytes.len()) {
        (2, n) if bytes[n - 2] == b'm' && bytes[n - 1] == b's' => 1,
        (1, n) if bytes[n - 1] == b's' => 1_000,
        (1, n) if bytes[n - 1] == b'm' => 60_000,
        (1, n) if bytes[n - 1] == b'h' => 3_600_000,
        _ => return Err(PROBLEM),
    };
    match value.checked_mul(unit_ms) {
        Some(ms) => Ok(Duration::from_millis(ms)),
        None => Err("the duration is too large"),
    }
}

/// Reads an amount of US dollars, `$` optional, with at most six decimals,
/// as micro-USD: "$0.50" is 500,000.
pub const fn parse_cost_micros(text: &str) -> Result<u64, &'static str> {
    const PROBLEM: &str =
        "a cost is an amount of US dollars with at most six decimals, such as \"$0.50\"";
    let bytes = text.as_bytes();
    let mut i = if !bytes.is_empty() && bytes[0] == b'$' {
        1
    } else {
        0
    };
    let start = i;
    let mut micros: u64 = 0;
    let mut decimals: i32 = -1; // -1 until the decimal point
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'.' && decimals < 0 {
            decimals = 0;
        } else if b.is_ascii_digit() {
            if decimals >= 6 {
                return Err("a cost has at most six decimals (one micro-USD)");
            }
            if decimals >= 0 {
                decimals += 1;
            }
            micros = match micros.checked_mul(10) {
                Some(v) => match v.checked_add((b - b'0') as u64) {
                    Some(v) => v,
                    None => return Err("the cost is too large"),
                },
                None => return Err("the cost is too large"),
            };
        } else if b != b'_' {
            return Err(PROBLEM);
        }
        i += 1;
    }
    if i == start || (decimals == 0 && i == start + 1) {
        return Err(PROBLEM);
    }
    let mut scale = if decimals < 0 { 0 } else { decimals };
    while scale < 6 {
        micros = match micros.checked_mul(10) {
            Some(v) => v,
            None => return Err("the cost is too large"),
        };
        scale += 1;
    }
    Ok(micros)
}

/// [`parse_duration`] for the macro: an invalid text fails the build.
pub const fn duration(text: &str) -> Duration {
    match parse_duration(text) {
        Ok(duration) => duration,
        Err(problem) => panic!("{}", problem),
    }
}

/// [`parse_cost_micros`] for the macro: an invalid text fails the build.
pub const fn cost_micros(text: &str) -> u64 {
    match parse_cost_micros(text) {
        Ok(micros) => micros,
        Err(problem) => panic!("{}", problem),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_each_unit() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1_000ms"), Ok(Duration::from_secs(1)));
        for bad in [
            "",
            "s",
            "30",
            "30 s",
            "3.5s",
            "-1s",
            "10d",
            "99999999999999999999s",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn costs_read_dollars_into_micros() {
        assert_eq!(parse_cost_micros("$0.50"), Ok(500_000));
        assert_eq!(parse_cost_micros("$2"), Ok(2_000_000));
        assert_eq!(parse_cost_micros("0.000001"), Ok(1));
        assert_eq!(parse_cost_micros("$1_000"), Ok(1_000_000_000));
        for bad in ["", "$", "$.", "$0.0000001", "$1.2.3", "€5", "five"] {
            assert!(parse_cost_micros(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
