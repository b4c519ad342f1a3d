//! The parsers of flag values: each accepts what a user would type and
//! says in one line what was expected.

use xbar_crossbar::Solver;

pub fn parse_resistance(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r >= 0.0 => Ok(r),
        _ => Err(format!(
            "expected a finite resistance ≥ 0 in ohms, found `{text}`"
        )),
    }
}

pub fn parse_positive(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!("expected a finite number > 0, found `{text}`")),
    }
}

pub fn parse_solver(text: &str) -> Result<Solver, String> {
    Solver::from_name(text.trim()).ok_or_else(|| {
        let names: Vec<&str> = Solver::ALL.iter().map(|s| s.name()).collect();
        format!("expected one of {}, found `{text}`", names.join(", "))
    })
}

/// A bit-sliced mapping as comma-separated `key=value` pairs, the keys of
/// `[array.mapping]` (e.g. `bits_per_cell=2,cells_per_weight=4,adc_bits=6`).
pub fn parse_mapping(text: &str) -> Result<xbar_crossbar::slicing::Slicing, String> {
    let mut table = String::new();
    for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (key, value) = item.split_once('=').ok_or_else(|| {
            format!("`{item}` is not key=value; expected e.g. bits_per_cell=2,cells_per_weight=4,adc_bits=6")
        })?;
        let value = value.trim();
        let quoted = if value.parse::<i64>().is_ok() {
            value.to_string()
        } else {
            format!("{value:?}")
        };
        table.push_str(&format!("{} = {quoted}\n", key.trim()));
    }
    toml::from_str(&table).map_err(|e| e.message().to_string())
}

/// Comma-separated layer widths.
#[derive(Debug, Clone, PartialEq)]
pub struct Widths(pub Vec<usize>);

pub fn parse_widths(text: &str) -> Result<Widths, String> {
    text.split(',')
        .map(|item| match item.trim().parse::<usize>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(format!(
                "`{}` is not a layer width; expected comma-separated whole numbers ≥ 1, e.g. 256 or 500,200",
                item.trim()
            )),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Widths)
}

pub fn parse_size(text: &str) -> Result<usize, String> {
    match parse_whole(text) {
        Ok(n) if n >= 1 && n <= usize::MAX as u64 => Ok(n as usize),
        _ => Err(format!("expected a whole number ≥ 1, found `{text}`")),
    }
}

/// A comma-separated list of non-negative finite numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct List(pub Vec<f64>);

/// Largest device count accepted (devices are held in memory).
pub const MAX_COUNT: usize = 10_000_000;

/// A whole number ≥ 1 (`10000`, `10_000` and `1e4` are accepted).
pub fn parse_count(text: &str) -> Result<usize, String> {
    let n = parse_whole(text)?;
    if n < 1 {
        return Err(format!("expected a number of devices ≥ 1, found {text}"));
    }
    if n > MAX_COUNT as u64 {
        return Err(format!(
            "expected at most {MAX_COUNT} devices, found {text}"
        ));
    }
    Ok(n as usize)
}

pub fn parse_pulses(text: &str) -> Result<u32, String> {
    let n = parse_whole(text)?;
    if !(1..=1_000_000).contains(&n) {
        return Err(format!(
            "expected a number of pulses from 1 to 1000000, found {text}"
        ));
    }
    Ok(n as u32)
}

pub fn parse_whole(text: &str) -> Result<u64, String> {
    let clean = text.trim().replace('_', "");
    if let Ok(n) = clean.parse::<u64>() {
        return Ok(n);
    }
    match clean.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x < 1.8e19 => Ok(x as u64),
        _ => Err(format!("expected a whole number ≥ 1, found `{text}`")),
    }
}

pub fn parse_list(text: &str, what: &str, unit: &str) -> Result<List, String> {
    let items: Vec<&str> = text.split(',').map(str::trim).collect();
    let mut values = Vec::with_capacity(items.len());
    for (k, item) in items.iter().enumerate() {
        let position = k + 1;
        if item.is_empty() {
            return Err(format!(
                "item {position} is empty; expected comma-separated {what} in {unit}"
            ));
        }
        let value: f64 = item.parse().map_err(|_| {
            format!("item {position} `{item}` is not a number; expected comma-separated {what} in {unit}")
        })?;
        if !value.is_finite() || value < 0.0 {
            return Err(format!(
                "item {position} `{item}` is not a finite value ≥ 0; expected comma-separated {what} in {unit}"
            ));
        }
        values.push(value);
    }
    Ok(List(values))
}

pub fn parse_times(text: &str) -> Result<List, String> {
    parse_list(text, "times", "seconds")
}

pub fn parse_means(text: &str) -> Result<List, String> {
    parse_list(text, "per-channel means", "image units")
}

pub fn parse_stds(text: &str) -> Result<List, String> {
    parse_list(text, "per-channel standard deviations", "image units")
}

pub fn parse_targets(text: &str) -> Result<List, String> {
    parse_list(text, "conductances", "siemens")
}

/// Parallel jobs: 1 to 4096.
pub fn parse_jobs(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=4096).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a whole number from 1 to 4096, found `{text}`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn lists_name_the_bad_item() {
        assert_eq!(
            parse_times("1, 3600,3.15e7").unwrap().0,
            vec![1.0, 3600.0, 3.15e7]
        );
        assert!(parse_times("1,abc").unwrap_err().contains("item 2 `abc`"));
        assert!(parse_times("1,,2").unwrap_err().contains("item 2 is empty"));
        assert!(parse_times("-1").unwrap_err().contains("item 1 `-1`"));
        assert!(parse_targets("nan").unwrap_err().contains("`nan`"));
        assert!(parse_targets("inf").is_err());
    }

    #[test]
    fn counts_are_whole_and_positive() {
        assert_eq!(parse_count("10_000").unwrap(), 10_000);
        assert_eq!(parse_count("1e4").unwrap(), 10_000);
        assert!(parse_count("0").is_err());
        assert!(parse_count("2.5").is_err());
        assert!(parse_count("-3").is_err());
        assert!(parse_pulses("0").is_err());
    }
}
