//! Seeded random streams. Every draw comes from a stream keyed by
//! `(seed, purpose, counter)` — e.g. `(seed, Encoding, epoch·2³² + sample)`
//! — so a result does not depend on thread count or batch order.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// What a stream is used for; part of its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub(crate) enum Stream {
    Init = 1,
    Shuffle = 2,
    Encoding = 3,
    WeightNoise = 4,
    DriftInLoop = 5,
    Pulses = 6,
}

/// SplitMix64 finaliser (Steele, Lea & Flood, OOPSLA 2014).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The stream for `(seed, purpose, counter)`.
pub(crate) fn stream(seed: u64, purpose: Stream, counter: u64) -> Xoshiro256PlusPlus {
    let key = mix(mix(mix(seed) ^ purpose as u64) ^ counter);
    Xoshiro256PlusPlus::seed_from_u64(key)
}
