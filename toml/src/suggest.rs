//! The nearest valid name for a misspelling.

/// The candidate nearest to `given` (Jaro-Winkler similarity), when it is
/// close enough to be a plausible typo (similarity ≥ 0.84: `nl_lpt` →
/// `nl_ltp`, `g_mn` → `g_min`, `pcmo2` → `pcmo`, but `foo` → nothing).
pub fn suggest<'a, I, S>(given: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str> + 'a,
{
    candidates
        .into_iter()
        .map(|c| {
            let score = strsim::jaro_winkler(given, c.as_ref());
            (score, c.as_ref().to_string())
        })
        .filter(|(score, c)| *score >= 0.84 && c != given)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_need_to_be_close() {
        assert_eq!(suggest("pcmo2", ["pcmo", "ideal"]).as_deref(), Some("pcmo"));
        assert_eq!(suggest("foo", ["faults", "g_min"]), None);
        assert_eq!(suggest("pcmo", ["pcmo"]), None);
    }
}
