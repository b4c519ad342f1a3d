//! A published design's budget: ISAAC (Shafiee et al., "ISAAC: A
//! Convolutional Neural Network Accelerator with In-Situ Analog Arithmetic
//! in Crossbars", ISCA 2016), rebuilt from its component table (Table 6 of
//! the paper, 32 nm, 1.2 GHz digital, 10 MHz crossbar reads of 100 ns).
//!
//! Each [`Component`] is the paper's row: how many per IMA, tile or chip,
//! and the power and area the paper gives for that many. [`budget`] adds
//! them up the hierarchy — 12 IMAs per tile, 168 tiles and 4 HyperTransport
//! links per chip — and the paper's own totals ([`PAPER`]) are there to
//! compare with. [`budget_with`] replaces the ADCs' power by xbarsim's ADC
//! model ([`crate::AdcModel`]) at the same resolution and rate, to show
//! where a different converter assumption moves the budget.
//!
//! This module only proves the arithmetic of the paper's table. The same
//! tile *predicted* from components — counts × per-unit figures ×
//! activity, from the `isaac-32nm` technology's `[components]` — is
//! [`crate::architecture::Tile::isaac`] (and the shipped `isaac` config),
//! compared with [`PAPER`] there.

use crate::adc::AdcModel;

/// Where a component sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// In each in-situ multiply-accumulate unit (12 per tile).
    Ima,
    /// In each tile (168 per chip).
    Tile,
    /// Once per chip.
    Chip,
}

/// One row of ISAAC's Table 6.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Component {
    /// Name as in the paper.
    pub name: &'static str,
    /// Its level.
    pub level: Level,
    /// How many at that level.
    pub count: u32,
    /// Power of that many (W).
    pub power_w: f64,
    /// Area of that many (m²).
    pub area_m2: f64,
}

const MW: f64 = 1e-3;
const MM2: f64 = 1e-6;

/// ISAAC's Table 6 (the router, shared by 4 tiles, counted as a quarter).
pub const TABLE: &[Component] = &[
    Component {
        name: "ADC (8-bit, 1.28 GS/s)",
        level: Level::Ima,
        count: 8,
        power_w: 16.0 * MW,
        area_m2: 0.0096 * MM2,
    },
    Component {
        name: "DAC (1-bit)",
        level: Level::Ima,
        count: 8 * 128,
        power_w: 4.0 * MW,
        area_m2: 0.00017 * MM2,
    },
    Component {
        name: "sample and hold",
        level: Level::Ima,
        count: 8 * 128,
        power_w: 0.01 * MW,
        area_m2: 0.00004 * MM2,
    },
    Component {
        name: "memristor array (128x128, 2 bits/cell)",
        level: Level::Ima,
        count: 8,
        power_w: 2.4 * MW,
        area_m2: 0.0002 * MM2,
    },
    Component {
        name: "shift and add (IMA)",
        level: Level::Ima,
        count: 4,
        power_w: 0.2 * MW,
        area_m2: 0.00024 * MM2,
    },
    Component {
        name: "input register (2 KB)",
        level: Level::Ima,
        count: 1,
        power_w: 1.24 * MW,
        area_m2: 0.0021 * MM2,
    },
    Component {
        name: "output register (256 B)",
        level: Level::Ima,
        count: 1,
        power_w: 0.23 * MW,
        area_m2: 0.00077 * MM2,
    },
    Component {
        name: "eDRAM buffer (64 KB)",
        level: Level::Tile,
        count: 1,
        power_w: 20.7 * MW,
        area_m2: 0.083 * MM2,
    },
    Component {
        name: "eDRAM-to-IMA bus",
        level: Level::Tile,
        count: 1,
        power_w: 7.0 * MW,
        area_m2: 0.090 * MM2,
    },
    Component {
        name: "router (1/4)",
        level: Level::Tile,
        count: 1,
        power_w: 10.5 * MW,
        area_m2: 0.0378 * MM2,
    },
    Component {
        name: "sigmoid",
        level: Level::Tile,
        count: 2,
        power_w: 0.52 * MW,
        area_m2: 0.0006 * MM2,
    },
    Component {
        name: "shift and add (tile)",
        level: Level::Tile,
        count: 1,
        power_w: 0.05 * MW,
        area_m2: 0.00006 * MM2,
    },
    Component {
        name: "max pool",
        level: Level::Tile,
        count: 1,
        power_w: 0.4 * MW,
        area_m2: 0.00024 * MM2,
    },
    Component {
        name: "output register (3 KB)",
        level: Level::Tile,
        count: 1,
        power_w: 1.68 * MW,
        area_m2: 0.0032 * MM2,
    },
    Component {
        name: "HyperTransport link",
        level: Level::Chip,
        count: 4,
        power_w: 10.4,
        area_m2: 22.88 * MM2,
    },
];

/// IMAs per tile.
pub const IMAS_PER_TILE: u32 = 12;
/// Tiles per chip.
pub const TILES_PER_CHIP: u32 = 168;

/// Power (W) and area (m²) at each level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// One IMA.
    pub ima: (f64, f64),
    /// One tile (its IMAs included).
    pub tile: (f64, f64),
    /// The chip (tiles and links).
    pub chip: (f64, f64),
    /// The ADCs' share of the tile's power and area (fractions).
    pub adc_share: (f64, f64),
}

/// The paper's totals (ISCA 2016, Table 6): one IMA (its 12-IMA total,
/// 289 mW and 0.157 mm², over 12), tile (330 mW, 0.372 mm²), chip (65.8 W,
/// 85.4 mm²); and the ADCs' share of a tile stated in §6 (58 % of the
/// power, 31 % of the area).
pub const PAPER: Budget = Budget {
    ima: (289.0 * MW / 12.0, 0.157 * MM2 / 12.0),
    tile: (330.0 * MW, 0.372 * MM2),
    chip: (65.8, 85.4 * MM2),
    adc_share: (0.58, 0.31),
};

/// The budget of [`TABLE`] added up the hierarchy.
///
/// ```
/// use xbar_cost::isaac::{budget, PAPER};
/// let ours = budget();
/// assert!((ours.tile.0 / PAPER.tile.0 - 1.0).abs() < 0.005);
/// ```
pub fn budget() -> Budget {
    add_up(|c| c.power_w)
}

/// As [`budget`], with the ADCs' power from `adc` at 8 bits and
/// 1.28 GS/s (`E(8)·f_s` per ADC).
pub fn budget_with(adc: &AdcModel) -> Budget {
    add_up(|c| {
        if c.name.starts_with("ADC") {
            f64::from(c.count) * adc.energy_per_conversion_j(8) * 1.28e9
        } else {
            c.power_w
        }
    })
}

fn add_up(power: impl Fn(&Component) -> f64) -> Budget {
    let sum = |level: Level| {
        TABLE
            .iter()
            .filter(|c| c.level == level)
            .fold((0.0, 0.0), |(p, a), c| (p + power(c), a + c.area_m2))
    };
    let ima = sum(Level::Ima);
    let t = sum(Level::Tile);
    let k = f64::from(IMAS_PER_TILE);
    let tile = (t.0 + k * ima.0, t.1 + k * ima.1);
    let c = sum(Level::Chip);
    let n = f64::from(TILES_PER_CHIP);
    let chip = (c.0 + n * tile.0, c.1 + n * tile.1);
    let adc = TABLE
        .iter()
        .find(|c| c.name.starts_with("ADC"))
        .expect("ADC row");
    let adc_share = (k * power(adc) / tile.0, k * adc.area_m2 / tile.1);
    Budget {
        ima,
        tile,
        chip,
        adc_share,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Technology;

    #[test]
    fn the_table_adds_up_to_the_papers_totals() {
        let ours = budget();
        let close = |a: f64, b: f64, tol: f64| (a / b - 1.0).abs() < tol;
        // The paper rounds its entries: the sums agree to its last digit.
        assert!(close(ours.ima.0, PAPER.ima.0, 0.002), "{:?}", ours.ima);
        assert!(close(ours.ima.1, PAPER.ima.1, 0.005), "{:?}", ours.ima);
        assert!(close(ours.tile.0, PAPER.tile.0, 0.002), "{:?}", ours.tile);
        assert!(close(ours.tile.1, PAPER.tile.1, 0.002), "{:?}", ours.tile);
        assert!(close(ours.chip.0, PAPER.chip.0, 0.002), "{:?}", ours.chip);
        assert!(close(ours.chip.1, PAPER.chip.1, 0.002), "{:?}", ours.chip);
        assert!(
            (ours.adc_share.0 - PAPER.adc_share.0).abs() < 0.005,
            "{:?}",
            ours.adc_share
        );
        assert!(
            (ours.adc_share.1 - PAPER.adc_share.1).abs() < 0.005,
            "{:?}",
            ours.adc_share
        );
    }

    #[test]
    fn a_survey_envelope_adc_shrinks_the_adc_share() {
        let adc = AdcModel::from_technology(&Technology::preset("generic-32nm").unwrap());
        let b = budget_with(&adc);
        // 8 bits at 1 fJ/step: 256 fJ per conversion, 0.328 mW per ADC at
        // 1.28 GS/s: 2.62 mW for the IMA's 8 instead of the paper's 16 mW.
        let ima_adc = 8.0 * 256e-15 * 1.28e9;
        assert!(
            (b.ima.0 - (PAPER.ima.0 - 16e-3 + ima_adc)).abs() < 2e-5,
            "{:?}",
            b.ima
        );
        assert!(b.adc_share.0 < 0.2, "{:?}", b.adc_share);
    }
}
