//! The command line's progress display: an `indicatif` bar over training
//! batches (with one line per epoch) or over evaluated (instance, time)
//! points, drawn from the library's [`Update`]s.

use indicatif::{ProgressBar, ProgressStyle};
use xbar_api::{Progress, Update};
use xbar_training::{EpochStats, Progress as Training};

use crate::output::fmt_f64;

/// Bars on stderr, or (quiet) plain epoch lines.
pub struct Bars {
    quiet: bool,
    bar: Option<ProgressBar>,
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

impl Bars {
    /// Bars unless `quiet`.
    pub fn new(quiet: bool) -> Self {
        Bars { quiet, bar: None }
    }

    fn training_bar(&mut self) -> Option<&ProgressBar> {
        if self.quiet {
            return None;
        }
        Some(self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(style(
                "epoch {prefix} [{bar:30}] {pos}/{len} batches  {msg}  {elapsed_precise} (eta {eta})",
            ));
            bar
        }))
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Bars {
    fn update(&mut self, update: Update<'_>) {
        match update {
            Update::EvaluationStart { points, .. } => {
                if !self.quiet {
                    let bar = ProgressBar::new(points as u64);
                    bar.set_style(style(
                        "[{bar:30}] {pos}/{len} (instance, time) points  {msg}  eta {eta}",
                    ));
                    self.bar = Some(bar);
                }
            }
            Update::Evaluated(r) => {
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                    bar.set_message(format!(
                        "t = {} s: {:.2} %",
                        fmt_f64(r.time_s),
                        100.0 * r.accuracy
                    ));
                }
            }
            Update::TrainingStart { .. } => {}
            Update::Training(Training::Batch {
                epoch,
                batch,
                batches,
                loss,
                accuracy,
            }) => {
                if let Some(bar) = self.training_bar() {
                    if batch == 1 {
                        bar.reset();
                        bar.set_length(batches as u64);
                        bar.set_prefix(epoch.to_string());
                    }
                    bar.set_position(batch as u64);
                    bar.set_message(format!("loss {loss:.4}  train {:.2} %", 100.0 * accuracy));
                }
            }
            Update::Training(Training::Epoch(s)) => {
                let line = epoch_line(s);
                match self.training_bar() {
                    Some(bar) => bar.println(line),
                    None => eprintln!("{line}"),
                }
            }
        }
    }
}

fn epoch_line(s: &EpochStats) -> String {
    let test = s
        .test_accuracy
        .map_or(String::new(), |a| format!("  test {:.2} %", 100.0 * a));
    format!(
        "epoch {:>3}  loss {:.4}  train {:.2} %{test}  ({:.1} s)",
        s.epoch,
        s.train_loss,
        100.0 * s.train_accuracy,
        s.epoch_time_s
    )
}
