//! What the machine can hold: sizes are checked against the available
//! memory when a config is read, before anything is allocated, so that an
//! absurd size (an array of 10⁷ × 10⁷ cells, a hidden layer of 10⁸
//! neurons) is refused with the estimate and the limit instead of
//! aborting the process halfway through a run.
//!
//! The limit is the memory the operating system reports available
//! (`MemAvailable` in `/proc/meminfo`), or `XBARSIM_MEMORY_LIMIT` (bytes,
//! e.g. `8e9`) when set — for batch jobs whose allocation is smaller than
//! the node, and for tests. The estimates come from the models themselves
//! ([`xbar_crossbar::Solver::memory_bytes`],
//! [`xbar_training::NetworkConfig::training_memory_bytes`]).

use crate::error::FieldError;

/// The environment variable that overrides the memory limit (bytes).
pub const LIMIT_VAR: &str = "XBARSIM_MEMORY_LIMIT";

/// Bytes of memory a run may use: `XBARSIM_MEMORY_LIMIT`, else the
/// available memory the system reports, else unlimited (a system that
/// reports nothing).
pub fn available_bytes() -> f64 {
    if let Some(limit) = std::env::var(LIMIT_VAR)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v > 0.0)
    {
        return limit;
    }
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<f64>().ok())
        })
        .map_or(f64::INFINITY, |kib| kib * 1024.0)
}

/// Refuses `bytes` (what `what` needs) at `field` when it exceeds
/// [`available_bytes`].
///
/// # Errors
/// `field: needs about 2.9 TiB of memory for …; this machine has 21.3 GiB
/// available (set XBARSIM_MEMORY_LIMIT to change the limit)`.
pub fn check_memory(field: &str, bytes: f64, what: &str) -> Result<(), FieldError> {
    let limit = available_bytes();
    if bytes > limit {
        return Err(FieldError::new(
            field,
            format!(
                "needs about {} of memory {what}; this machine has {} available (reduce the size, or set {LIMIT_VAR} in bytes if more is really there)",
                human(bytes),
                human(limit)
            ),
        ));
    }
    Ok(())
}

/// `bytes` in binary units: `512 B`, `1.3 GiB`, `2.9 TiB`.
pub fn human(bytes: f64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_binary_units() {
        assert_eq!(human(512.0), "512 B");
        assert_eq!(human(1.5 * 1024.0 * 1024.0 * 1024.0), "1.5 GiB");
        assert_eq!(human(3.0 * 1024f64.powi(4)), "3.0 TiB");
        assert_eq!(human(1e30), format!("{:.1} EiB", 1e30 / 1024f64.powi(6)));
    }

    #[test]
    fn the_system_reports_some_available_memory() {
        let bytes = available_bytes();
        assert!(bytes > 1e6, "{bytes}");
        // Nothing reasonable is refused, an exabyte is.
        check_memory("x", 1e3, "for a test").unwrap();
        let err = check_memory("array.size", 1e21, "for the nodal solve")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("array.size: needs about 867.4 EiB of memory for the nodal solve; this machine has "), "{err}");
    }
}
