//! `xbarsim run`, `merge`, `slurm`, `plot`: thin layers over
//! `xbar_experiments` (configs, runner, shards) and `xbar_plots`, adding
//! the progress bar and the report on stdout.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use xbar_experiments::runner::Summary;
use xbar_experiments::{table, Event, Experiment, RunOptions};
use xbar_plots::{ErrorStyle, FilterValue, PlotKind, PlotSpec};

use crate::cli::{MergeArgs, PlotArgs, RunArgs, SlurmArgs};
use crate::error::{bail, io_reason, CliError, Result};

fn run_error(e: xbar_experiments::RunError) -> CliError {
    CliError::new(e.to_string())
}

/// The experiment `xbarsim run` was asked for.
fn experiment(args: &RunArgs) -> Result<Experiment> {
    if let Some(path) = &args.config {
        return Ok(Experiment::read(path)?);
    }
    let name = args.shipped.as_deref().unwrap_or("quickstart");
    if name == "list" {
        bail!(
            "shipped configs: {}",
            xbar_api::run::shipped_names().join(", ")
        );
    }
    xbar_api::run::shipped(name).map_err(|e| CliError::new(format!("--shipped: {e}")))
}

/// A progress bar on stderr when it is a terminal: units done, rate, ETA.
fn progress_bar(quiet: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        Some(0),
        if quiet || !std::io::stderr().is_terminal() {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        },
    );
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} units · {per_sec} · ETA {eta} {msg}",
        )
        .expect("a valid template"),
    );
    bar
}

/// `xbarsim run`.
pub fn run(args: &RunArgs) -> Result<()> {
    let exp = experiment(args)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("xbarsim-out").join(&exp.name));
    if let Some(dir) = &args.data {
        let npz = dir
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("npz"));
        if !(dir.is_dir() || (npz && dir.is_file())) {
            bail!(
                "--data {}: neither a directory (MNIST IDX files, CIFAR binary batches) nor a .npz file",
                dir.display()
            );
        }
    }
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let opts = RunOptions {
        out: out.clone(),
        jobs,
        force: args.force,
        shard: args.shard,
        data_override: args.data.clone(),
        abort_after: std::env::var("XBARSIM_TEST_ABORT_AFTER")
            .ok()
            .and_then(|v| v.parse().ok()),
        // Ctrl-C ends the process; the units written are kept.
        stop: None,
    };
    let bar = progress_bar(args.quiet);
    let failed = Mutex::new(0usize);
    let on_event = |e: Event| match e {
        Event::Start { done, todo } => {
            bar.set_length(todo as u64);
            if done > 0 {
                bar.println(format!(
                    "resuming: {done} units already done, {todo} to run"
                ));
            }
        }
        // On stderr whether or not a progress bar is drawn.
        Event::Damaged { file, reason } => bar.suspend(|| {
            eprintln!(
                "warning: {}: damaged unit file ({reason}); computing that unit again",
                file.display()
            )
        }),
        Event::Unit { ok, .. } => {
            if !ok {
                *failed.lock().unwrap_or_else(|p| p.into_inner()) += 1;
                bar.set_message("(failures)");
            }
            bar.inc(1);
        }
    };
    let summary = xbar_experiments::run(&exp, &opts, &on_event);
    bar.finish_and_clear();
    let summary = summary.map_err(run_error)?;
    let units = exp.points.len() * exp.repeats as usize;
    let shard = args
        .shard
        .map(|s| format!(" (shard {}/{})", s.index, s.count))
        .unwrap_or_default();
    println!(
        "{}: {} points × {} repeats = {units} units{shard}; {} computed in {:.1} s with {jobs} threads, {} resumed",
        exp.name,
        exp.points.len(),
        exp.repeats,
        summary.computed,
        summary.wall_s,
        summary.resumed
    );
    if args.shard.is_some() {
        println!(
            "unit files: {}; when every shard is done: xbarsim merge {}",
            out.join("points").display(),
            out.display()
        );
        return Ok(());
    }
    report(&out, &summary)
}

/// Prints where the outputs are and a preview of the table.
fn report(out: &Path, summary: &Summary) -> Result<()> {
    let frame = table::read(out).map_err(|e| CliError::new(e.to_string()))?;
    println!(
        "results: {} ({} rows) and results.parquet",
        out.join("results.csv").display(),
        frame.height()
    );
    println!("run info: {}", out.join("run.json").display());
    let figures: Vec<String> = summary
        .files
        .iter()
        .filter(|f| f.parent().is_some_and(|p| p.ends_with("figures")))
        .map(|f| f.display().to_string())
        .collect();
    if !figures.is_empty() {
        println!("figures: {}", figures.join(", "));
    }
    Ok(())
}

/// `xbarsim merge`.
pub fn merge(args: &MergeArgs) -> Result<()> {
    let out = args.out.clone().unwrap_or_else(|| args.dirs[0].clone());
    for dir in &args.dirs {
        if !dir.is_dir() {
            bail!(
                "{}: not a directory (expected a results directory of `xbarsim run --shard`)",
                dir.display()
            );
        }
    }
    let jobs = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let summary = xbar_experiments::merge(&args.dirs, &out, jobs).map_err(run_error)?;
    println!(
        "merged {} units from {} director{} into {}",
        summary.resumed,
        args.dirs.len(),
        if args.dirs.len() == 1 { "y" } else { "ies" },
        out.display()
    );
    report(&out, &summary)
}

/// `xbarsim slurm`.
pub fn slurm(args: &SlurmArgs) -> Result<()> {
    let program = std::env::current_exe().map_err(|e| {
        CliError::new(format!(
            "cannot find this program's path: {}",
            io_reason(&e)
        ))
    })?;
    let settings = xbar_api::run::SlurmSettings {
        shards: args.shards,
        cpus_per_task: args.cpus_per_task,
        time: args.time.clone(),
        partition: args.partition.clone(),
    };
    let (exp, scripts) = xbar_api::run::slurm(&args.config, &args.out, &program, &settings)
        .map_err(|e| match e {
            xbar_api::Error::TooManyShards { .. } => CliError::new(format!("--shards {e}")),
            other => CliError::new(other.to_string()),
        })?;
    println!(
        "{}: {} points × {} repeats in {} array tasks; scripts in {}",
        exp.name,
        exp.points.len(),
        exp.repeats,
        args.shards,
        scripts.dir.display()
    );
    println!("submit with: {}", scripts.dir.join("submit.sh").display());
    Ok(())
}

/// `xbarsim plot`.
pub fn plot(args: &PlotArgs) -> Result<()> {
    let kind = match args.kind.as_str() {
        "line" => PlotKind::Line,
        "heatmap" => PlotKind::Heatmap,
        other => bail!("--kind: expected line or heatmap, found `{other}`"),
    };
    let error = match args.error.as_str() {
        "band" => ErrorStyle::Band,
        "ci95" => ErrorStyle::Ci95,
        "bars" => ErrorStyle::Bars,
        "none" => ErrorStyle::None,
        other => bail!("--error: expected band, ci95, bars or none, found `{other}`"),
    };
    let ext = args
        .output
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    if !matches!(ext, "svg" | "png" | "pdf") {
        bail!(
            "--output {}: expected a file name ending in .svg, .png or .pdf",
            args.output.display()
        );
    }
    crate::output::check_output_path(&args.output)?;
    let mut spec = PlotSpec::new(args.output.display().to_string(), &args.x, &args.y);
    spec.kind = kind;
    spec.error = error;
    spec.z = args.z.clone();
    spec.series = args.series.clone();
    spec.log_x = args.log_x;
    spec.log_y = args.log_y;
    spec.title = args.title.clone();
    for f in &args.filter {
        let Some((col, value)) = f.split_once('=') else {
            bail!("--where {f}: expected COL=VALUE, e.g. --where array.size=256");
        };
        let value = value.trim();
        let v = if let Ok(i) = value.parse::<i64>() {
            FilterValue::Int(i)
        } else if let Ok(x) = value.parse::<f64>() {
            FilterValue::Float(x)
        } else if let Ok(b) = value.parse::<bool>() {
            FilterValue::Bool(b)
        } else {
            FilterValue::Str(value.to_string())
        };
        spec.filter.insert(col.trim().to_string(), v);
    }
    let frame = table::read(&args.results).map_err(|e| CliError::new(e.to_string()))?;
    let dir = std::env::current_dir()
        .map_err(|e| CliError::new(format!("current directory: {}", io_reason(&e))))?;
    // Rendered in memory, then written as one set (one writer at a time).
    let rendered =
        xbar_plots::render(&spec, &frame, &dir).map_err(|e| CliError::new(e.to_string()))?;
    let mut set = xbar_api::output::OutputSet::new();
    for (file, bytes) in rendered {
        set.file(file, bytes);
    }
    let files = set.commit().map_err(|e| CliError::new(e.to_string()))?;
    for f in files {
        println!("wrote {}", f.display());
    }
    Ok(())
}
