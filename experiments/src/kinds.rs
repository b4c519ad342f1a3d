//! What one unit (a point and a repeat) computes, for each experiment kind:
//! the physics crates called with the point's settings, their results as
//! rows of the kind's output columns ([`crate::table::outputs`]).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use sha2::{Digest, Sha256};
use xbar_crossbar::{Crossbar, Solver, Wires};
use xbar_devices::DeviceArray;
use xbar_training::{
    accuracy, evaluate, model, summarise, train, ArrayConfig, Dataset, InsituConfig, InsituNetwork,
    Network, Split, WireConfig,
};

use crate::measure::{default_pulses, drift_stats, no_pulse_model, pulse_curve, MeasureError};
use crate::spec::{ArraySection, Kind, Point};
use crate::table::Cell;

/// Shared by the units of one run: the config's directory (for relative
/// data paths), datasets and trained models computed once.
#[derive(Debug, Default)]
pub struct Context {
    /// Relative `data.dir` values are relative to this.
    pub config_dir: PathBuf,
    /// Replaces every `data.dir` (the `--data` flag).
    pub data_override: Option<PathBuf>,
    /// Trained models are kept here (`<hash>.safetensors`) and reused on
    /// resume; `None` = in memory only.
    pub models_dir: Option<PathBuf>,
    datasets: Memo<Result<Arc<Dataset>, String>>,
    models: Memo<Result<(Arc<Network>, f64), String>>,
}

/// Values computed once per key, even when several threads ask at once.
#[derive(Debug)]
struct Memo<V>(Mutex<HashMap<String, Arc<OnceLock<V>>>>);

impl<V> Default for Memo<V> {
    fn default() -> Self {
        Memo(Mutex::new(HashMap::new()))
    }
}

impl<V: Clone> Memo<V> {
    fn get(&self, key: &str, make: impl FnOnce() -> V) -> V {
        let cell = {
            let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(map.entry(key.to_string()).or_default())
        };
        cell.get_or_init(make).clone()
    }
}

impl Context {
    /// A context for a config in `config_dir`.
    pub fn new(
        config_dir: PathBuf,
        data_override: Option<PathBuf>,
        models_dir: Option<PathBuf>,
    ) -> Self {
        Context {
            config_dir,
            data_override,
            models_dir,
            ..Context::default()
        }
    }

    fn dataset(&self, p: &Point, split: Split) -> Result<Arc<Dataset>, String> {
        let data = p.data.clone().unwrap_or_default();
        let dir = self
            .data_override
            .clone()
            .or_else(|| data.dir.map(|d| self.config_dir.join(d)));
        let limit = match split {
            Split::Train => data.train_limit,
            Split::Test => data.test_limit,
        };
        let key = format!("{dir:?}/{split:?}/{limit:?}");
        self.datasets.get(&key, || {
            crate::data::load(dir.as_deref(), split, limit)
                .map(Arc::new)
                .map_err(|e| format!("data: {e}"))
        })
    }
}

/// Runs one unit: point `p` with seed `seed`.
///
/// # Errors
/// The physics crates' error, in words (a non-converging solve, a device
/// refusing a value, unreadable data...).
pub fn run(p: &Point, seed: u64, ctx: &Context) -> Result<Vec<Vec<Cell>>, String> {
    match p.kind {
        Kind::DevicePulse => device_pulse(p, seed).map_err(|e| e.to_string()),
        Kind::DeviceDrift => device_drift(p, seed).map_err(|e| e.to_string()),
        Kind::CrossbarIrDrop => ir_drop(p, seed),
        Kind::InferenceDrift => inference_drift(p, seed, ctx),
        Kind::InsituTraining => insitu(p, seed, ctx),
    }
}

fn device_pulse(p: &Point, seed: u64) -> Result<Vec<Vec<Cell>>, MeasureError> {
    let s = p.pulse.clone().unwrap_or_default();
    let (ltp, ltd) = default_pulses(&p.device).ok_or_else(|| no_pulse_model(&p.device))?;
    let plan = (s.pulses_ltp.unwrap_or(ltp), s.pulses_ltd.unwrap_or(ltd));
    let (g_min, range) = (p.device.g_min.siemens(), p.device.range());
    let mut rows = Vec::new();
    pulse_curve::<MeasureError>(&p.device, s.devices, plan, seed, |pulse, phase, g| {
        let n = g.len() as f64;
        let mean = g.iter().sum::<f64>() / n;
        let std = (g.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
        rows.push(vec![
            Cell::Int(pulse as i64),
            Cell::Str(phase.label().into()),
            Cell::Float(mean),
            Cell::Float(std),
            Cell::Float((mean - g_min) / range),
        ]);
        Ok(())
    })?;
    Ok(rows)
}

fn device_drift(p: &Point, seed: u64) -> Result<Vec<Vec<Cell>>, MeasureError> {
    let s = p.drift.clone().unwrap_or_default();
    let targets: Vec<f64> = s
        .target_fractions
        .iter()
        .map(|f| p.device.g_min.siemens() + f * p.device.range())
        .collect();
    let rows = drift_stats(
        &p.device,
        s.devices,
        &targets,
        &s.times_s,
        seed,
        s.read_noise,
    )?;
    Ok(rows
        .iter()
        .map(|r| {
            vec![
                Cell::Float(r.target),
                Cell::Float(r.time),
                Cell::Float(r.stats.mean),
                Cell::Float(r.stats.std),
                Cell::Float(r.stats.p05),
                Cell::Float(r.stats.median),
                Cell::Float(r.stats.p95),
                Cell::Float(r.stats.mean / r.target),
            ]
        })
        .collect())
}

/// Conductances uniform in `[g_min, g_max]` programmed on the device (with
/// its programming error), inputs uniform in `[0, V_read]`; the exact
/// IR-drop currents against the ideal product of the same conductances.
fn ir_drop(p: &Point, seed: u64) -> Result<Vec<Vec<Cell>>, String> {
    let a = p.array.clone().unwrap_or_default();
    let (rows, cols) = a.shape();
    let (g_min, g_max) = (p.device.g_min.siemens(), p.device.g_max.siemens());
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let targets = DMatrix::from_fn(rows, cols, |_, _| rng.random_range(g_min..=g_max));
    let inputs = DMatrix::from_fn(a.vectors, rows, |_, _| {
        rng.random_range(0.0..=a.read_voltage_v)
    });
    let mut array = DeviceArray::new(&p.device, rows, cols, seed).map_err(|e| e.to_string())?;
    array.program(&targets).map_err(|e| e.to_string())?;
    let g = array.conductances().clone();
    let (r_wl, r_bl) = a.wire_ohm();
    let solve = |wires: Wires, solver| {
        Crossbar::new(g.clone(), wires).and_then(|x| x.solve(&inputs, solver))
    };
    let ideal = solve(Wires::ideal(), Solver::Ideal).map_err(|e| e.to_string())?;
    let wires = Wires::new(r_wl, r_bl, a.r_source_ohm, a.r_sense_ohm).map_err(|e| e.to_string())?;
    let exact = solve(wires, Solver::Exact).map_err(|e| e.to_string())?;
    let errors: Vec<f64> = exact
        .iter()
        .zip(ideal.iter())
        .filter(|(_, i)| **i > 0.0)
        .map(|(e, i)| (e - i).abs() / i)
        .collect();
    let mean = errors.iter().sum::<f64>() / errors.len().max(1) as f64;
    let max = errors.iter().fold(0.0f64, |m, e| m.max(*e));
    let ratio = exact.sum() / ideal.sum();
    Ok(vec![vec![
        Cell::Int(rows as i64),
        Cell::Int(cols as i64),
        Cell::Float(mean),
        Cell::Float(max),
        Cell::Float(ratio),
    ]])
}

/// The [`ArrayConfig`] of an `inference-drift` point.
pub fn array_config(p: &Point) -> ArrayConfig {
    let a: ArraySection = p.array.clone().unwrap_or_default();
    let (rows, cols) = a.shape();
    let (r_wordline, r_bitline) = a.wire_ohm();
    ArrayConfig {
        device: p.device.clone(),
        tile_rows: rows,
        tile_cols: cols,
        wires: WireConfig {
            r_wordline,
            r_bitline,
            r_source: a.r_source_ohm,
            r_sense: a.r_sense_ohm,
        },
        dac_bits: a.dac_bits,
        adc_bits: a.adc_bits,
        read_voltage: a.read_voltage_v,
        drift_compensation: a.drift_compensation,
    }
}

/// The [`InsituConfig`] of an `insitu-training` point with `seed`.
pub fn insitu_config(p: &Point, seed: u64) -> InsituConfig {
    let s = p.insitu.clone().unwrap_or_default();
    InsituConfig {
        device: p.device.clone(),
        epochs: s.epochs,
        batch_size: s.batch_size,
        learning_rate: s.learning_rate,
        seed,
        w_max: s.w_max,
    }
}

/// The network a point trains in software with `seed`, and its software
/// test accuracy: trained once per distinct (network, training, data,
/// seed), kept on disk in the models directory, reused on resume.
fn trained(p: &Point, seed: u64, ctx: &Context) -> Result<(Arc<Network>, f64), String> {
    let network = p.network.clone().unwrap_or_default();
    let mut training = p.training.clone().unwrap_or_default();
    training.seed = seed;
    let identity = serde_json::json!({
        "network": network,
        "training": training,
        "data": p.data,
        "data_override": ctx.data_override,
    });
    let key = hex(&Sha256::digest(identity.to_string().as_bytes()))[..16].to_string();
    ctx.models.get(&key, || {
        let test = ctx.dataset(p, Split::Test)?;
        let file = ctx
            .models_dir
            .as_ref()
            .map(|d| d.join(format!("{key}.safetensors")));
        if let Some(bytes) = file.as_ref().and_then(|f| std::fs::read(f).ok()) {
            if let Ok((net, _)) = model::from_bytes(&bytes) {
                let software = accuracy(&net, &test, seed);
                return Ok((Arc::new(net), software));
            }
        }
        let train_set = ctx.dataset(p, Split::Train)?;
        let mut net = Network::new(network.clone(), seed).map_err(|e| e.to_string())?;
        train(&mut net, &train_set, None, &training, &mut |_| {}).map_err(|e| e.to_string())?;
        if let Some(file) = &file {
            let meta = [("training", identity.to_string())];
            let bytes = model::to_bytes(&net, &meta).map_err(|e| e.to_string())?;
            crate::durable::write_bytes(file, &bytes).map_err(|(f, m)| format!("{f}: {m}"))?;
        }
        let software = accuracy(&net, &test, seed);
        Ok((Arc::new(net), software))
    })
}

fn inference_drift(p: &Point, seed: u64, ctx: &Context) -> Result<Vec<Vec<Cell>>, String> {
    let (net, software) = trained(p, seed, ctx)?;
    let test = ctx.dataset(p, Split::Test)?;
    let e = p.evaluation.clone().unwrap_or_default();
    let results = evaluate(
        &net,
        &test,
        &array_config(p),
        &e.times_s,
        e.instances,
        seed,
        &mut |_| {},
    )
    .map_err(|e| e.to_string())?;
    let pct = |x: f64| Cell::Float(100.0 * x);
    Ok(summarise(&results)
        .iter()
        .map(|s| {
            vec![
                Cell::Float(s.time_s),
                pct(s.mean),
                pct(s.std),
                pct(s.min),
                pct(s.max),
                pct(software),
            ]
        })
        .collect())
}

fn insitu(p: &Point, seed: u64, ctx: &Context) -> Result<Vec<Vec<Cell>>, String> {
    let train_set = ctx.dataset(p, Split::Train)?;
    let test = ctx.dataset(p, Split::Test)?;
    let net =
        Network::new(p.network.clone().unwrap_or_default(), seed).map_err(|e| e.to_string())?;
    let mut insitu = InsituNetwork::new(net, insitu_config(p, seed)).map_err(|e| e.to_string())?;
    let history = insitu
        .train(&train_set, Some(&test), &mut |_| {})
        .map_err(|e| e.to_string())?;
    Ok(history
        .iter()
        .map(|h| {
            vec![
                Cell::Int(h.epoch as i64),
                Cell::Float(h.train_loss),
                Cell::Float(100.0 * h.train_accuracy),
                Cell::Float(100.0 * h.test_accuracy.unwrap_or(f64::NAN)),
            ]
        })
        .collect())
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
