//! Writes the benchmark's pulse trains (bench/device-fit.sh): 60 devices ×
//! 1 000 pulses (5 cycles of 100 LTP + 100 LTD), the library's exponential
//! model with C2C and D2D noise, seed 1.

use xbar_fit::synth::{synthesize, to_wide_csv, SynthSpec};

fn main() {
    let spec = SynthSpec {
        devices: 60,
        cycles: 5,
        pulses_per_half: 100,
        ..SynthSpec::default()
    };
    let data = synthesize(&spec, 1);
    print!(
        "{}",
        to_wide_csv(
            &data,
            1.5,
            "synthetic benchmark data: 60 devices x 1000 pulses (seed 1)"
        )
    );
}
