//! Pulse trains from a table: the wide and long layouts, each device's
//! points and steps.

use std::collections::BTreeMap;
use std::path::Path;

use super::{Cell, DataError, Table};

/// One step: the conductance before and after one pulse.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// Conductance before the pulse (S).
    pub g0: f64,
    /// Conductance after the pulse (S).
    pub g1: f64,
    /// +1 potentiation, −1 depression.
    pub polarity: i8,
    /// The line of the point after the pulse.
    pub line: usize,
}

/// One measured point of a device in time order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Pulse index within the device's record, from 0.
    pub pulse: usize,
    /// Conductance after the pulse (S).
    pub g: f64,
    /// The pulse's polarity.
    pub polarity: i8,
    /// Line in the file.
    pub line: usize,
}

/// One device's pulse train.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceTrain {
    /// The device's name (its column in a wide table).
    pub name: String,
    /// Measured points in time order.
    pub points: Vec<Point>,
    /// Consecutive measured pairs.
    pub steps: Vec<Step>,
}

impl DeviceTrain {
    /// Number of half-cycles (runs of one polarity).
    pub fn half_cycles(&self) -> usize {
        let mut n = 0;
        let mut last = 0i8;
        for p in &self.points {
            if p.polarity != last {
                n += 1;
                last = p.polarity;
            }
        }
        n
    }
}

/// Pulse trains of several devices from one file.
#[derive(Debug, Clone, PartialEq)]
pub struct PulseData {
    /// The file as the user named it.
    pub file: String,
    /// `"wide"` or `"long"`.
    pub layout: &'static str,
    /// One entry per device, in file order.
    pub devices: Vec<DeviceTrain>,
}

fn polarity_of(table: &Table, row: usize, col: usize, voltage: bool) -> Result<i8, DataError> {
    let what = if voltage {
        "a pulse voltage in V"
    } else {
        "a polarity of +1 or -1"
    };
    let v = table.required_number(row, col, what)?;
    if voltage {
        if v == 0.0 {
            return Err(DataError::cell(
                &table.file,
                table.line(row),
                &table.header[col],
                "expected a nonzero pulse voltage (its sign is the polarity), found 0",
            ));
        }
        Ok(if v > 0.0 { 1 } else { -1 })
    } else if v == 1.0 || v == -1.0 {
        Ok(v as i8)
    } else {
        Err(DataError::cell(
            &table.file,
            table.line(row),
            &table.header[col],
            format!("expected a polarity of +1 or -1, found {v}"),
        ))
    }
}

impl PulseData {
    /// Reads a pulse-train file (wide or long layout, by its columns).
    ///
    /// # Errors
    /// See [`PulseData::from_table`] and [`Table::read`].
    pub fn read(path: &Path) -> Result<PulseData, DataError> {
        Self::read_sheet(path, None)
    }

    /// Reads a pulse-train file, a workbook's sheet `sheet` when it is
    /// `Some` ([`Table::read_sheet`]).
    ///
    /// # Errors
    /// See [`PulseData::from_table`] and [`Table::read_sheet`].
    pub fn read_sheet(path: &Path, sheet: Option<&str>) -> Result<PulseData, DataError> {
        Self::from_table(&Table::read_sheet(path, sheet)?)
    }

    /// Interprets a table: long when it has a `device` column, else wide.
    ///
    /// # Errors
    /// A missing column, text or a non-finite value, a negative conductance
    /// or one above 1 S, fewer than two rows; read from the first of
    /// several sheets of a workbook, the error names the others
    /// ([`Table::sheet_note`]).
    pub fn from_table(table: &Table) -> Result<PulseData, DataError> {
        Self::interpret(table).map_err(|e| table.sheet_note(e))
    }

    fn interpret(table: &Table) -> Result<PulseData, DataError> {
        if table.rows.is_empty() {
            return Err(DataError::file(
                &table.file,
                "no data rows after the header: expected one row per pulse",
            ));
        }
        if table.rows.len() == 1 {
            return Err(DataError {
                file: table.file.clone(),
                line: Some(table.line(0)),
                column: None,
                message: "a single measured point: expected a pulse train (one row per pulse, several pulses of each polarity)".into(),
            });
        }
        let data = if table.find("device").is_some() {
            Self::long(table)?
        } else {
            Self::wide(table)?
        };
        if data.devices.is_empty() {
            return Err(DataError::file(
                &table.file,
                "no device columns: expected one conductance column (S) per device after pulse_voltage_V",
            ));
        }
        Ok(data)
    }

    fn wide(table: &Table) -> Result<PulseData, DataError> {
        let (pcol, voltage) = match (table.find("pulse_voltage_V"), table.find("polarity")) {
            (Some(c), _) => (c, true),
            (None, Some(c)) => (c, false),
            (None, None) => {
                return Err(DataError::column(
                    &table.file,
                    "pulse_voltage_V",
                    format!(
                        "missing: expected a `pulse_voltage_V` column (sign: + potentiation, − depression), a `polarity` column of ±1, or a long table with `device`, `pulse`, `polarity`, `conductance_S`; found columns {}",
                        table.header.join(", ")
                    ),
                ))
            }
        };
        let mut polarity = Vec::with_capacity(table.rows.len());
        for r in 0..table.rows.len() {
            polarity.push(polarity_of(table, r, pcol, voltage)?);
        }
        let mut devices = Vec::new();
        for col in 0..table.header.len() {
            if col == pcol {
                continue;
            }
            let Some(name) = table.device_column(col)? else {
                continue;
            };
            let mut points = Vec::new();
            for (r, &pol) in polarity.iter().enumerate() {
                if let Some(g) = table.conductance(r, col)? {
                    points.push(Point {
                        pulse: r,
                        g,
                        polarity: pol,
                        line: table.line(r),
                    });
                }
            }
            devices.push(train(name, points));
        }
        Ok(PulseData {
            file: table.file.clone(),
            layout: "wide",
            devices,
        })
    }

    fn long(table: &Table) -> Result<PulseData, DataError> {
        let what = "the long layout has device, pulse, polarity, conductance_S";
        let dcol = table.require("device", what)?;
        let pcol = table.require("pulse", what)?;
        let polcol = table.require("polarity", what)?;
        let gcol = match table.find_measured(&["conductance", "resistance", "current"]) {
            Some(c) => c,
            None => table.require("conductance_S", what)?,
        };
        let ccol = table.find("cycle");
        // device → [(cycle, pulse, g, polarity, line)]
        let mut order: Vec<String> = Vec::new();
        let mut by_device: BTreeMap<String, Vec<LongRow>> = BTreeMap::new();
        for r in 0..table.rows.len() {
            let line = table.line(r);
            let name = match &table.rows[r].1[dcol] {
                Cell::Empty => {
                    return Err(DataError::cell(
                        &table.file,
                        line,
                        "device",
                        "expected a device name, found an empty cell",
                    ))
                }
                Cell::Number(x) => format!("{x}"),
                Cell::Text(t) => t.clone(),
            };
            let pulse = table.required_number(r, pcol, "a pulse index")?;
            if pulse.fract() != 0.0 || pulse < 0.0 {
                return Err(DataError::cell(
                    &table.file,
                    line,
                    &table.header[pcol],
                    format!("expected a pulse index (an integer ≥ 0), found {pulse}"),
                ));
            }
            let cycle = match ccol {
                Some(c) => {
                    let cycle = table.required_number(r, c, "a cycle number")?;
                    // Exactly an integer (|x| ≤ 2⁵³ converts without loss).
                    if cycle.fract() != 0.0 || cycle.abs() > 9_007_199_254_740_992.0 {
                        return Err(DataError::cell(
                            &table.file,
                            line,
                            &table.header[c],
                            format!("expected a cycle number (an integer), found {cycle}"),
                        ));
                    }
                    cycle as i64
                }
                None => 0,
            };
            let pol = polarity_of(table, r, polcol, false)?;
            let Some(g) = table.conductance(r, gcol)? else {
                continue;
            };
            if !by_device.contains_key(&name) {
                order.push(name.clone());
            }
            by_device
                .entry(name)
                .or_default()
                .push((cycle, pulse as i64, g, pol, line));
        }
        let mut devices = Vec::new();
        for name in order {
            let mut rows = by_device.remove(&name).unwrap_or_default();
            rows.sort_by_key(|&(c, p, _, _, _)| (c, p));
            let mut points = Vec::with_capacity(rows.len());
            let mut index = 0usize;
            let mut previous: Option<(i64, i64)> = None;
            for (c, p, g, pol, line) in rows {
                if let Some((pc, pp)) = previous {
                    if pc == c && p == pp {
                        return Err(DataError::cell(
                            &table.file,
                            line,
                            &table.header[pcol],
                            format!("pulse {p} of device `{name}` appears twice in cycle {c}"),
                        ));
                    }
                    // A skipped pulse number within a cycle is a gap.
                    index += if pc == c { (p - pp) as usize } else { 1 };
                }
                previous = Some((c, p));
                points.push(Point {
                    pulse: index,
                    g,
                    polarity: pol,
                    line,
                });
            }
            devices.push(train(name, points));
        }
        Ok(PulseData {
            file: table.file.clone(),
            layout: "long",
            devices,
        })
    }
}

/// `(cycle, pulse, conductance, polarity, line)` of one long-layout row.
type LongRow = (i64, i64, f64, i8, usize);

fn train(name: String, points: Vec<Point>) -> DeviceTrain {
    let steps = points
        .windows(2)
        .filter(|w| w[1].pulse == w[0].pulse + 1)
        .map(|w| Step {
            g0: w[0].g,
            g1: w[1].g,
            polarity: w[1].polarity,
            line: w[1].line,
        })
        .collect();
    DeviceTrain {
        name,
        points,
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conductances(d: &PulseData) -> Vec<Vec<f64>> {
        d.devices
            .iter()
            .map(|t| t.points.iter().map(|p| p.g).collect())
            .collect()
    }

    #[test]
    fn the_unit_in_a_column_name_is_respected() {
        // One device as 1, 2, 4 µS, written in five units; the row columns
        // time_s and cycle are not devices.
        let siemens = "pulse_voltage_V,read_voltage_V,time_s,cycle,d\n1,0.2,0,0,1e-6\n1,0.2,1,0,2e-6\n-1,0.2,2,0,4e-6\n";
        let read = |text: &str| {
            PulseData::from_table(&Table::from_csv_text("u.csv", text, b',').unwrap()).unwrap()
        };
        let reference = read(siemens);
        assert_eq!(reference.devices.len(), 1, "time_s and cycle are skipped");
        assert_eq!(reference.devices[0].name, "d");
        let expected = conductances(&reference);
        for text in [
            "pulse_voltage_V,d_uS\n1,1\n1,2\n-1,4\n",
            "pulse_voltage_V,d_µS\n1,1\n1,2\n-1,4\n",
            "pulse_voltage_V,d_nS\n1,1000\n1,2000\n-1,4000\n",
            "pulse_voltage_V,d_kohm\n1,1000\n1,500\n-1,250\n",
            // I = g·V at 0.2 V: 0.2, 0.4, 0.8 µA.
            "pulse_voltage_V,read_voltage_V,d_uA\n1,0.2,0.2\n1,0.2,0.4\n-1,0.2,0.8\n",
        ] {
            let d = read(text);
            assert_eq!(d.devices.len(), 1, "{text}");
            assert_eq!(d.devices[0].name, "d", "{text}");
            for (g, e) in conductances(&d)[0].iter().zip(&expected[0]) {
                assert!((g - e).abs() <= 1e-15 * e, "{text}: {g} vs {e}");
            }
        }
        // The long layout names its unit the same way.
        let long = read("device,pulse,polarity,conductance_uS\nd,0,1,1\nd,1,1,2\nd,2,-1,4\n");
        for (g, e) in conductances(&long)[0].iter().zip(&expected[0]) {
            assert!((g - e).abs() <= 1e-15 * e, "long: {g} vs {e}");
        }
    }

    #[test]
    fn a_semicolon_table_with_decimal_commas_reads_as_its_comma_twin() {
        let dir = std::env::temp_dir().join(format!("xbar-fit-semicolon-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let comma = dir.join("c.csv");
        let semicolon = dir.join("s.csv");
        std::fs::write(
            &comma,
            "pulse_voltage_V,a,b\n1,1e-6,2e-6\n1,2.5e-6,3e-6\n-1,1.5e-6,2e-6\n",
        )
        .unwrap();
        std::fs::write(
            &semicolon,
            "pulse_voltage_V;a;b\n1;1e-6;2e-6\n1;2,5e-6;3e-6\n-1;1,5e-6;2e-6\n",
        )
        .unwrap();
        let c = PulseData::read(&comma).unwrap();
        let s = PulseData::read(&semicolon).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(conductances(&c), conductances(&s));
        assert_eq!(s.devices.len(), 2);
    }

    #[test]
    fn columns_that_are_not_devices_or_lack_what_they_need_are_refused_where_they_are() {
        let fails = |text: &str| {
            PulseData::from_table(&Table::from_csv_text("u.csv", text, b',').unwrap())
                .unwrap_err()
                .to_string()
        };
        let e = fails("pulse_voltage_V,delay_ms,d\n1,5,1e-6\n-1,5,2e-6\n");
        assert!(
            e.starts_with("u.csv: column `delay_ms`") && e.contains("in ms is not a device"),
            "{e}"
        );
        let e = fails("pulse_voltage_V,d_nA\n1,5\n-1,6\n");
        assert!(
            e.contains("column `d_nA`") && e.contains("read_voltage_V"),
            "{e}"
        );
        let e = fails("pulse_voltage_V,read_voltage_V,d_nA\n1,0.2,5\n-1,0,6\n");
        assert!(
            e.starts_with("u.csv:3: column `read_voltage_V`") && e.contains("nonzero read voltage"),
            "{e}"
        );
        let e = fails("pulse_voltage_V,d_ohm\n1,1e4\n-1,0\n");
        assert!(
            e.starts_with("u.csv:3: column `d_ohm`") && e.contains("resistance > 0"),
            "{e}"
        );
        // µS values with no unit: above 1 S, and the message shows how to name it.
        let e = fails("pulse_voltage_V,d\n1,5\n-1,6\n");
        assert!(e.contains("above 1 S") && e.contains("`d_uS`"), "{e}");
    }

    #[test]
    fn wide_table_with_gaps_makes_steps_only_between_measured_neighbours() {
        let text = "pulse_voltage_V,read_voltage_V,a,b\n1,0.1,1e-6,2e-6\n1,0.1,2e-6,\n-1,0.1,1.5e-6,3e-6\n";
        let t = Table::from_csv_text("x.csv", text, b',').unwrap();
        let d = PulseData::from_table(&t).unwrap();
        assert_eq!(d.devices.len(), 2);
        assert_eq!(d.devices[0].steps.len(), 2);
        assert_eq!(d.devices[1].steps.len(), 0);
        assert_eq!(d.devices[0].steps[0].line, 3);
        assert_eq!(d.devices[0].half_cycles(), 2);
    }

    #[test]
    fn text_in_a_value_is_located() {
        let text = "polarity,a\n1,1e-6\n1,oops\n";
        let t = Table::from_csv_text("x.csv", text, b',').unwrap();
        let e = PulseData::from_table(&t).unwrap_err();
        assert_eq!(e.line, Some(3));
        assert_eq!(e.column.as_deref(), Some("a"));
        assert!(e.to_string().starts_with("x.csv:3: column `a`:"), "{e}");
    }

    #[test]
    fn long_table_orders_by_cycle_then_pulse() {
        let text = "device,cycle,pulse,polarity,conductance_S\nd,1,0,-1,3e-6\nd,0,1,1,2e-6\nd,0,0,1,1e-6\nd,1,1,-1,2.5e-6\n";
        let t = Table::from_csv_text("x.csv", text, b',').unwrap();
        let d = PulseData::from_table(&t).unwrap();
        let g: Vec<f64> = d.devices[0].points.iter().map(|p| p.g).collect();
        assert_eq!(g, vec![1e-6, 2e-6, 3e-6, 2.5e-6]);
        assert_eq!(d.devices[0].steps.len(), 3);
        assert_eq!(d.devices[0].steps[1].polarity, -1);
    }

    #[test]
    fn a_cycle_number_that_is_not_an_integer_is_refused_at_its_cell() {
        // Before: 1.5 was truncated to cycle 1 without a word.
        let text = "device,cycle,pulse,polarity,conductance_S\nd,0,0,1,1e-6\nd,0,1,1,2e-6\nd,1.5,0,-1,3e-6\nd,1,1,-1,2.5e-6\n";
        let t = Table::from_csv_text("x.csv", text, b',').unwrap();
        let e = PulseData::from_table(&t).unwrap_err().to_string();
        assert_eq!(
            e,
            "x.csv:4: column `cycle`: expected a cycle number (an integer), found 1.5"
        );
    }
}
