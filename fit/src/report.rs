//! The report of a fit as typed sections: what each fit says about the
//! data, laid out as titled lines and tables of formatted cells. Each fit
//! describes itself (`PulseFit::report`, `RetentionFit::report`, …), as the
//! device models do with [`xbar_devices::describe`]; a front end prints
//! [`render`]'s text or lays the sections out its own way. The numbers
//! themselves, unformatted, are the fits' serialised fields (the `fits` of
//! [`crate::device::Fits`]).
//!
//! ```
//! use xbar_fit::report::{render, Item, Section};
//!
//! let mut s = Section::new("models", "Pulse trains: d.csv (wide layout), 2 devices");
//! s.table(&["model", "R²"], vec![vec!["exponential".into(), "0.999".into()]]);
//! s.line("kept: exponential (chosen by the user)");
//! assert_eq!(
//!     render(&[s]),
//!     "Pulse trains: d.csv (wide layout), 2 devices\nmodel        R²\nexponential  0.999\nkept: exponential (chosen by the user)\n"
//! );
//! ```

use serde::Serialize;
use xbar_devices::units::format_significant as sig;

use crate::stats::Estimate;

/// One part of a report: a title line, then lines and tables in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    /// What the section reports, for a front end to find it: `"pulses"`,
    /// `"pulse-population"`, `"pulse-devices"`, `"retention"`,
    /// `"read-noise"`, `"programming"`, `"iv"`.
    pub key: &'static str,
    /// The title line (the file and what was found in it).
    pub title: String,
    /// What follows the title, in order.
    pub items: Vec<Item>,
}

/// A line or a table of a [`Section`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Item {
    /// One line of text (a note, a summary, the model kept and why).
    Line(String),
    /// A table of formatted cells, one row per entry.
    Table {
        /// Column headings.
        header: Vec<String>,
        /// Rows, each as long as the header (or shorter: empty cells).
        rows: Vec<Vec<String>>,
    },
}

impl Section {
    /// A section with its title and nothing under it yet.
    pub fn new(key: &'static str, title: impl Into<String>) -> Self {
        Section {
            key,
            title: title.into(),
            items: Vec::new(),
        }
    }

    /// Adds a line.
    pub fn line(&mut self, text: impl Into<String>) {
        self.items.push(Item::Line(text.into()));
    }

    /// Adds a table.
    pub fn table(&mut self, header: &[&str], rows: Vec<Vec<String>>) {
        self.items.push(Item::Table {
            header: header.iter().map(|h| (*h).to_string()).collect(),
            rows,
        });
    }
}

/// The sections as plain text: each title, its lines and its tables
/// (columns aligned, two spaces apart), a blank line between sections.
pub fn render(sections: &[Section]) -> String {
    let mut text = String::new();
    for (k, s) in sections.iter().enumerate() {
        if k > 0 {
            text.push('\n');
        }
        text += &s.title;
        text.push('\n');
        for item in &s.items {
            match item {
                Item::Line(line) => {
                    text += line;
                    text.push('\n');
                }
                Item::Table { header, rows } => text += &aligned_table(header, rows),
            }
        }
    }
    text
}

/// Display width of `s` in a terminal: characters, not counting combining
/// marks (the macron of `ν̄`).
pub fn width(s: &str) -> usize {
    s.chars()
        .filter(|c| !('\u{0300}'..='\u{036f}').contains(c))
        .count()
}

/// `rows` as aligned plain-text columns (two spaces apart), header first.
pub fn aligned_table<H: AsRef<str>>(header: &[H], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| width(h.as_ref())).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let mut text = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut l = String::new();
        for (k, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            l.push_str(cell);
            if k + 1 < cells.len() {
                l.push_str(&" ".repeat(w - width(cell) + 2));
            }
        }
        text.push_str(l.trim_end());
        text.push('\n');
    };
    line(header.iter().map(AsRef::as_ref).collect());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    text
}

/// `value [low, high]` with 4 significant digits (the interval with 3), or
/// `value [not identified]` without a finite standard error.
pub fn with_ci(e: &Estimate) -> String {
    if e.std_error.is_finite() {
        format!(
            "{} [{}, {}]",
            sig(e.value, 4),
            sig(e.ci_low, 3),
            sig(e.ci_high, 3)
        )
    } else {
        format!("{} [not identified]", sig(e.value, 4))
    }
}

/// A relative quantity as a percentage with 3 significant digits: `1.23 %`.
pub fn percent(x: f64) -> String {
    format!("{} %", sig(100.0 * x, 3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_render_with_a_blank_line_between_and_aligned_tables() {
        let mut a = Section::new("a", "A");
        a.table(&["x", "long"], vec![vec!["ν̄ 1".into(), "y".into()]]);
        a.line("note");
        let b = Section::new("b", "B");
        assert_eq!(render(&[a, b]), "A\nx    long\nν̄ 1  y\nnote\n\nB\n");
        assert_eq!(render(&[]), "");
    }

    #[test]
    fn estimates_show_their_interval_or_that_there_is_none() {
        let e = Estimate::normal(1.23456, 0.01);
        assert!(with_ci(&e).starts_with("1.235 [1.21"), "{}", with_ci(&e));
        let n = Estimate::normal(2.0, f64::INFINITY);
        assert_eq!(with_ci(&n), "2 [not identified]");
        assert_eq!(percent(0.012345), "1.23 %");
    }
}
