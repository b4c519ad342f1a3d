//! The library of published devices, loadable by name.
//!
//! Every preset carries its parameters in SI units and the paper they come
//! from. The numbers were read from the sources named in each citation's
//! `parameters_from` (the NeuroSim device table for the pulse-programmed
//! synapses; the IBM and NeuRRAM statistical models for inference devices).
//! Where a source gives only a bound (C2C "< 1 %"), the bound is used and the
//! description says so.
//!
//! ```
//! use xbar_devices::library;
//!
//! for name in library::names() {
//!     let device = library::preset(name).unwrap();
//!     device.validate().unwrap();
//! }
//! assert!(library::preset("no-such-device").is_none());
//! ```

use crate::drift::{DriftSpec, LogLinear};
use crate::programming::ProgrammingSpec;
use crate::pulse::PulseSpec;
use crate::read_noise::ReadNoiseSpec;
use crate::spec::{Citation, DeviceSpec};
use crate::units::Conductance;

const NEUROSIM: &str = "MLP_NeuroSim V3.0 user manual, Table II; P.-Y. Chen and S. Yu, \"Technological benchmark of analog synaptic devices for neuroinspired architectures\", IEEE Design & Test 36(3), 2019";

/// Names of all presets, in display order.
pub fn names() -> Vec<&'static str> {
    PRESETS.iter().map(|(name, _)| *name).collect()
}

/// The preset called `name`, or `None`.
pub fn preset(name: &str) -> Option<DeviceSpec> {
    PRESETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, build)| build())
}

/// Every preset, in display order.
pub fn all() -> Vec<DeviceSpec> {
    PRESETS.iter().map(|(_, build)| build()).collect()
}

type Builder = fn() -> DeviceSpec;

const PRESETS: [(&str, Builder); 10] = [
    ("ag-a-si", ag_a_si),
    ("taox-hfox", taox_hfox),
    ("pcmo", pcmo),
    ("alox-hfo2", alox_hfo2),
    ("gst-pcm", gst_pcm),
    ("epiram", epiram),
    ("hzo-fefet", hzo_fefet),
    ("ibm-pcm", ibm_pcm),
    ("neurram-rram", neurram_rram),
    ("ideal", ideal),
];

/// Arguments of a NeuroSim-table device: `R_on` (Ω), ON/OFF ratio, levels,
/// NL labels, C2C σ.
struct NeuroSimRow {
    name: &'static str,
    technology: &'static str,
    description: &'static str,
    citation: Citation,
    r_on: f64,
    on_off: f64,
    levels: u32,
    nl_ltp: f64,
    nl_ltd: f64,
    c2c: f64,
}

fn neurosim_device(row: NeuroSimRow) -> DeviceSpec {
    let g_max = 1.0 / row.r_on;
    DeviceSpec {
        name: row.name.into(),
        description: row.description.into(),
        technology: row.technology.into(),
        citation: Some(row.citation),
        g_min: Conductance(g_max / row.on_off),
        g_max: Conductance(g_max),
        programming: Some(ProgrammingSpec {
            levels: Some(row.levels),
            ..Default::default()
        }),
        pulse: Some(PulseSpec::Exponential {
            pulses_ltp: row.levels,
            pulses_ltd: row.levels,
            nl_ltp: row.nl_ltp,
            nl_ltd: row.nl_ltd,
            c2c: row.c2c,
        }),
        ..Default::default()
    }
}

fn cite(
    authors: &str,
    title: &str,
    venue: &str,
    year: u16,
    doi: &str,
    parameters_from: &str,
) -> Citation {
    Citation {
        authors: authors.into(),
        title: title.into(),
        venue: venue.into(),
        year,
        doi: Some(doi.into()),
        parameters_from: Some(parameters_from.into()),
    }
}

fn ag_a_si() -> DeviceSpec {
    let mut spec = neurosim_device(NeuroSimRow {
        name: "ag-a-si",
        technology: "RRAM",
        description: "Ag:a-Si memristor synapse; LTP 3.2 V/300 µs, LTD −2.8 V/300 µs pulses",
        citation: cite(
            "S. H. Jo, T. Chang, I. Ebong, B. B. Bhadviya, P. Mazumder, W. Lu",
            "Nanoscale memristor device as synapse in neuromorphic systems",
            "Nano Letters 10(4), 1297–1301",
            2010,
            "10.1021/nl904092h",
            NEUROSIM,
        ),
        r_on: 26e6,
        on_off: 12.5,
        levels: 97,
        nl_ltp: 2.40,
        nl_ltd: -4.88,
        c2c: 0.035,
    });
    // NeuroSim's code default for this cell: G_max = 3.8462e-8 S,
    // G_min = 3.0769e-9 S (1/26 MΩ and 1/12.5 of it).
    spec.g_max = Conductance(3.8462e-8);
    spec.g_min = Conductance(3.0769e-9);
    spec
}

fn taox_hfox() -> DeviceSpec {
    neurosim_device(NeuroSimRow {
        name: "taox-hfox",
        technology: "RRAM",
        description: "TaOx/HfOx bilayer RRAM with improved linearity; 1.6 V/50 ns pulses",
        citation: cite(
            "W. Wu, H. Wu, B. Gao, P. Yao, X. Zhang, X. Peng, S. Yu, H. Qian",
            "A methodology to improve linearity of analog RRAM for neuromorphic computing",
            "Symposium on VLSI Technology, 103–104",
            2018,
            "10.1109/VLSIT.2018.8510690",
            NEUROSIM,
        ),
        r_on: 100e3,
        on_off: 10.0,
        levels: 128,
        nl_ltp: 0.04,
        nl_ltd: -0.63,
        c2c: 0.037,
    })
}

fn pcmo() -> DeviceSpec {
    neurosim_device(NeuroSimRow {
        name: "pcmo",
        technology: "RRAM",
        description: "Pr0.7Ca0.3MnO3 interface RRAM; −2 V/1 ms LTP, 2 V/1 ms LTD; C2C \"< 1 %\" (bound used)",
        citation: cite(
            "S. Park, A. Sheri, J. Kim, J. Noh, J. Jang, M. Jeon, B. Lee, B. R. Lee, B. H. Lee, H. Hwang",
            "Neuromorphic speech systems using advanced ReRAM-based synapse",
            "IEEE International Electron Devices Meeting (IEDM), 25.6.1–25.6.4",
            2013,
            "10.1109/IEDM.2013.6724692",
            NEUROSIM,
        ),
        r_on: 23e6,
        on_off: 6.84,
        levels: 50,
        nl_ltp: 3.68,
        nl_ltd: -6.76,
        c2c: 0.01,
    })
}

fn alox_hfo2() -> DeviceSpec {
    neurosim_device(NeuroSimRow {
        name: "alox-hfo2",
        technology: "RRAM",
        description: "AlOx/HfO2 bilayer RRAM; 0.9 V/100 µs LTP, −1 V/100 µs LTD",
        citation: cite(
            "J. Woo, K. Moon, J. Song, S. Lee, M. Kwak, J. Park, H. Hwang",
            "Improved synaptic behavior under identical pulses using AlOx/HfO2 bilayer RRAM array for neuromorphic systems",
            "IEEE Electron Device Letters 37(8), 994–997",
            2016,
            "10.1109/LED.2016.2582859",
            NEUROSIM,
        ),
        r_on: 16.9e3,
        on_off: 4.43,
        levels: 40,
        nl_ltp: 1.94,
        nl_ltd: -0.61,
        c2c: 0.05,
    })
}

fn gst_pcm() -> DeviceSpec {
    neurosim_device(NeuroSimRow {
        name: "gst-pcm",
        technology: "PCM",
        description: "Ge2Sb2Te5 phase-change synapse; 100–120 levels (100 used); abrupt RESET gives a positive LTD label",
        citation: cite(
            "D. Kuzum, R. G. D. Jeyasingh, B. Lee, H.-S. P. Wong",
            "Nanoelectronic programmable synapses based on phase change materials for brain-inspired computing",
            "Nano Letters 12(5), 2179–2186",
            2011,
            "10.1021/nl201040y",
            NEUROSIM,
        ),
        r_on: 4.71e3,
        on_off: 19.8,
        levels: 100,
        nl_ltp: 0.105,
        nl_ltd: 2.4,
        c2c: 0.015,
    })
}

fn epiram() -> DeviceSpec {
    neurosim_device(NeuroSimRow {
        name: "epiram",
        technology: "RRAM",
        description: "Ag:SiGe epitaxial RAM with engineered dislocations; 5 V/5 µs LTP, −3 V/5 µs LTD",
        citation: cite(
            "S. Choi, S. H. Tan, Z. Li, Y. Kim, C. Choi, P.-Y. Chen, H. Yeon, S. Yu, J. Kim",
            "SiGe epitaxial memory for neuromorphic computing with reproducible high performance based on engineered dislocations",
            "Nature Materials 17, 335–340",
            2018,
            "10.1038/s41563-017-0001-5",
            NEUROSIM,
        ),
        r_on: 81e3,
        on_off: 50.2,
        levels: 64,
        nl_ltp: 0.5,
        nl_ltd: -0.5,
        c2c: 0.02,
    })
}

fn hzo_fefet() -> DeviceSpec {
    neurosim_device(NeuroSimRow {
        name: "hzo-fefet",
        technology: "FeFET",
        description: "Hf0.5Zr0.5O2 ferroelectric FET synapse; C2C \"< 0.5 %\" (bound used)",
        citation: cite(
            "M. Jerry, P.-Y. Chen, J. Zhang, P. Sharma, K. Ni, S. Yu, S. Datta",
            "Ferroelectric FET analog synapse for acceleration of deep neural network training",
            "IEEE International Electron Devices Meeting (IEDM), 6.2.1–6.2.4",
            2017,
            "10.1109/IEDM.2017.8268338",
            NEUROSIM,
        ),
        r_on: 559.28e3,
        on_off: 45.0,
        levels: 32,
        nl_ltp: 1.75,
        nl_ltd: 1.46,
        c2c: 0.005,
    })
}

fn ibm_pcm() -> DeviceSpec {
    // σ_prog coefficients (S), published in µS for g_max = 25 µS.
    DeviceSpec {
        name: "ibm-pcm".into(),
        description: "IBM doped-GST PCM statistical model for inference: programming noise, conductance-dependent drift, 1/f read noise".into(),
        technology: "PCM".into(),
        citation: Some(cite(
            "V. Joshi, M. Le Gallo, S. Haefeli, I. Boybat, S. R. Nandakumar, C. Piveteau, M. Dazzi, B. Rajendran, A. Sebastian, E. Eleftheriou",
            "Accurate deep neural network inference using computational phase-change memory",
            "Nature Communications 11, 2473",
            2020,
            "10.1038/s41467-020-16108-9",
            "S. R. Nandakumar et al., \"Phase-change memory models for deep learning training and inference\", ICECS 2019, doi:10.1109/ICECS46596.2019.8964852; as in aihwkit's PCMLikeNoiseModel",
        )),
        g_min: Conductance(0.0),
        g_max: Conductance::from_micro_siemens(25.0),
        programming: Some(ProgrammingSpec {
            sigma_poly: vec![0.26348e-6, 1.9650e-6, -1.1731e-6],
            ..Default::default()
        }),
        drift: Some(DriftSpec {
            t0_s: 20.0,
            nu_mean: LogLinear {
                slope: -0.0155,
                intercept: 0.0244,
                min: 0.049,
                max: 0.1,
            },
            nu_std: LogLinear {
                slope: -0.0125,
                intercept: -0.0059,
                min: 0.008,
                max: 0.045,
            },
        }),
        read_noise: Some(ReadNoiseSpec::PcmOneOverF {
            q_coeff: 0.0088,
            q_exponent: 0.65,
            g_r_floor: 1e-3,
            q_max: 0.2,
            t_read_s: 250e-9,
        }),
        ..Default::default()
    }
}

fn neurram_rram() -> DeviceSpec {
    DeviceSpec {
        name: "neurram-rram".into(),
        description: "NeuRRAM HfOx RRAM inference model: programming spread 1 s after write-verify (referenced to 40 µS); no power-law drift".into(),
        technology: "RRAM".into(),
        citation: Some(cite(
            "W. Wan, R. Kubendran, C. Schaefer, S. B. Eryilmaz, W. Zhang, D. Wu, S. Deiss, P. Raina, H. Qian, B. Gao, S. Joshi, H. Wu, H.-S. P. Wong, G. Cauwenberghs",
            "A compute-in-memory chip based on resistive random-access memory",
            "Nature 608, 504–512",
            2022,
            "10.1038/s41586-022-04992-8",
            "programming-σ polynomial after 1 s, as in aihwkit's ReRamWan2022NoiseModel",
        )),
        g_min: Conductance(0.0),
        g_max: Conductance::from_micro_siemens(40.0),
        programming: Some(ProgrammingSpec {
            sigma_poly: vec![0.348e-6, 16.030e-6, -43.853e-6, 45.393e-6, -16.815e-6],
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn ideal() -> DeviceSpec {
    DeviceSpec {
        name: "ideal".into(),
        description: "Reference device, not a published one: linear, noiseless, 1000 pulses from 1 µS to 10 µS, no drift".into(),
        technology: "ideal".into(),
        g_min: Conductance(1e-6),
        g_max: Conductance(10e-6),
        pulse: Some(PulseSpec::Exponential {
            pulses_ltp: 1000,
            pulses_ltd: 1000,
            nl_ltp: 0.0,
            nl_ltd: 0.0,
            c2c: 0.0,
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_published_preset_is_valid_and_cited() {
        assert!(names().len() >= 8);
        for spec in all() {
            spec.validate().unwrap();
            assert_eq!(preset(&spec.name).as_ref(), Some(&spec));
            if spec.technology != "ideal" {
                let citation = spec.citation.expect("published presets carry a citation");
                assert!(citation.doi.is_some() && citation.year >= 2010);
            }
        }
    }

    #[test]
    fn neurosim_rows_convert_resistance_and_ratio() {
        let d = preset("taox-hfox").unwrap();
        assert!((d.g_max.siemens() - 1e-5).abs() < 1e-18);
        assert!((d.g_min.siemens() - 1e-6).abs() < 1e-18);
        let d = preset("ag-a-si").unwrap();
        assert!((d.g_max.siemens() / d.g_min.siemens() - 12.5).abs() < 1e-3);
    }

    #[test]
    fn ibm_programming_sigma_matches_worked_values() {
        let d = preset("ibm-pcm").unwrap();
        let p = d.programming.unwrap();
        for (g_r, sigma_us) in [(0.01, 0.2830), (0.1, 0.4482), (1.0, 1.0554)] {
            let s = p.sigma(g_r * 25e-6, 25e-6) * 1e6;
            assert!((s - sigma_us).abs() < 5e-5, "g_r {g_r}: σ {s} µS");
        }
    }
}
