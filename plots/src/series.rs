//! Series of a line plot: which columns split the rows into lines, and the
//! legend entry and title each line gets.

use crate::axis::{column_name, compact};
use crate::error::PlotError;
use crate::spec::{series_columns, PlotSpec};
use crate::table::{Key, Reader, Values};
use crate::units::{self, sentence_case, Shown};

/// The sweep's point number: never a legend entry by itself.
const POINT: &str = "point";

/// How the entries of `series` are written.
pub(crate) struct SeriesFormat {
    /// The template (`"{a}, refresh {b}"`); a plain column name is `"{a}"`.
    template: String,
    columns: Vec<Column>,
    /// `series` names one column: its unit goes in the legend title and the
    /// entries are plain numbers.
    single: bool,
    /// `series` is a list (the template `"{a}, {b}"`): booleans and
    /// numbers without a unit are written with their column's name.
    list: bool,
}

struct Column {
    name: String,
    values: Values,
    /// The unit numbers are shown in (`None` for strings and booleans).
    shown: Option<Shown>,
}

impl SeriesFormat {
    /// Reads the columns `series` names, over the rows in `mask`.
    pub(crate) fn read(
        series: &str,
        reader: &Reader<'_>,
        mask: &[bool],
    ) -> Result<Self, PlotError> {
        let names = series_columns(series);
        let template = if series.contains('{') {
            series.to_string()
        } else {
            format!("{{{series}}}")
        };
        let list = template
            == names
                .iter()
                .map(|c| format!("{{{c}}}"))
                .collect::<Vec<_>>()
                .join(", ");
        let mut columns = Vec::with_capacity(names.len());
        for name in names {
            let values = reader.values(&name, "series")?;
            let shown = match &values {
                Values::Num(v) => {
                    let biggest = v
                        .iter()
                        .zip(mask)
                        .filter_map(|(x, m)| x.filter(|x| *m && x.is_finite()))
                        .fold(0f64, |a, x| a.max(x.abs()));
                    Some(units::choose(units::split(&name).1, biggest))
                }
                _ => None,
            };
            columns.push(Column {
                name,
                values,
                shown,
            });
        }
        Ok(SeriesFormat {
            template,
            single: columns.len() == 1 && (list || !series.contains('{')),
            list,
            columns,
        })
    }

    /// Row `i`'s entry key (`None` when a value is missing).
    pub(crate) fn key(&self, i: usize) -> Option<Vec<Key>> {
        self.columns.iter().map(|c| c.values.key(i)).collect()
    }

    /// One value as it appears in an entry.
    fn value(&self, column: &Column, key: &Key) -> String {
        let name = column_name(&column.name);
        match (key, &column.shown) {
            (Key::Num(v), Some(shown)) => {
                let number = compact(v * shown.factor);
                if self.single || shown.symbol.is_empty() {
                    if self.list && !self.single {
                        format!("{name} {number}")
                    } else {
                        number
                    }
                } else if shown.symbol.starts_with('×') {
                    format!("{number}{}", shown.symbol)
                } else {
                    format!("{number} {}", shown.symbol)
                }
            }
            (Key::Bool(b), _) if self.list && !self.single => {
                if *b {
                    name
                } else {
                    format!("no {name}")
                }
            }
            _ => key.label(),
        }
    }

    /// The entry for a key, before `series_labels`.
    fn entry(&self, key: &[Key]) -> String {
        let mut out = self.template.clone();
        for (column, k) in self.columns.iter().zip(key) {
            out = out.replace(&format!("{{{}}}", column.name), &self.value(column, k));
        }
        out
    }

    /// The legend entries of the lines with these keys, `series_labels`
    /// applied. Refused: an entry that is only a point number or a TOML
    /// table without a label, and a label for an entry that does not exist.
    pub(crate) fn entries(
        &self,
        keys: &[&[Key]],
        spec: &PlotSpec,
    ) -> Result<Vec<String>, PlotError> {
        let spec_error = |message: String| PlotError::Spec {
            file: spec.file.clone(),
            message,
        };
        let raw: Vec<String> = keys.iter().map(|k| self.entry(k)).collect();
        let unreadable: Vec<&String> = raw
            .iter()
            .zip(keys)
            .filter(|(e, key)| {
                !spec.series_labels.contains_key(e.as_str())
                    && self.columns.iter().zip(key.iter()).any(|(c, k)| {
                        c.name == POINT
                            || matches!(k, Key::Str(s) if s.starts_with('{') || s.starts_with('['))
                    })
            })
            .map(|(e, _)| e)
            .collect();
        if !unreadable.is_empty() {
            let example: Vec<String> = unreadable
                .iter()
                .take(2)
                .map(|e| format!("{e:?} = \"…\""))
                .collect();
            return Err(spec_error(format!(
                "the legend would show {} as {}, which a reader cannot decode (a sweep point's number or a TOML table); name the swept columns instead (`series = [\"a\", \"b\"]` or a template \"{{a}}, {{b}} …\") or label each entry with `series_labels = {{ {} }}`",
                if unreadable.len() == 1 { "an entry" } else { "entries" },
                unreadable.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", "),
                example.join(", "),
            )));
        }
        if let Some(extra) = spec
            .series_labels
            .keys()
            .find(|k| !raw.iter().any(|e| e == *k))
        {
            return Err(spec_error(format!(
                "`series_labels` relabels `{extra}`, which is not a legend entry; the entries are {}",
                raw.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ")
            )));
        }
        Ok(raw
            .into_iter()
            .map(|e| spec.series_labels.get(&e).cloned().unwrap_or(e))
            .collect())
    }

    /// The legend title: `series_label` as given (its unit made the shown
    /// one), else the column's name with its unit for one column, the
    /// names for a list, nothing for a template or point labels.
    pub(crate) fn title(&self, spec: &PlotSpec) -> String {
        let single_shown = if self.single {
            self.columns[0].shown.clone()
        } else {
            None
        };
        let label = match &spec.series_label {
            Some(l) => l.clone(),
            None if self.columns.iter().any(|c| c.name == POINT) => String::new(),
            None if self.single => {
                let column = &self.columns[0];
                return match &column.shown {
                    Some(shown) => units::default_title(&column.name, shown),
                    None => sentence_case(&column_name(&column.name)),
                };
            }
            None if self.list => self
                .columns
                .iter()
                .map(|c| column_name(&c.name))
                .collect::<Vec<_>>()
                .join(", "),
            None => String::new(),
        };
        if label.is_empty() {
            return label;
        }
        let label = match &single_shown {
            Some(shown) => units::title(&label, shown),
            None => label,
        };
        sentence_case(&label)
    }
}
