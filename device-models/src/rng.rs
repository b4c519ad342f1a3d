//! Seeded, parallel, platform-stable random streams: the one seeding
//! helper of the workspace (device arrays draw per block of devices through
//! `StreamKey`; serial draws elsewhere, e.g. in `xbar-training`, through
//! [`stream`]).
//!
//! Every random number in this crate comes from **xoshiro256++** (Blackman &
//! Vigna, ACM TOMS 2021; `rand_xoshiro` 0.7, whose output is fixed by the
//! algorithm and identical on every platform and endianness). A draw is
//! named by four 64-bit words `(seed, purpose, counter, block)`: `purpose`
//! names the effect (programming noise, drift exponents, read noise, ...),
//! `counter` counts how many times that effect has been drawn for this
//! array, and the devices of an array are split, in column-major order, into
//! blocks of [`BLOCK`] devices. The four words are folded through SplitMix64
//! (Steele, Lea & Flood, OOPSLA 2014) into the 256-bit state of the block's
//! generator — the usual way to seed independent xoshiro streams. Normal
//! deviates use `rand_distr` 0.5's ziggurat `StandardNormal`; uniform ones
//! `rand`'s `[0, 1)` `f64` conversion. The result for a device therefore
//! depends only on the seed, the effect, the draw count and the device's
//! index, never on the number of threads, and the random numbers are
//! bit-identical across runs and platforms for a given `Cargo.lock`. (The
//! conductances computed from them use the platform's `exp`/`ln`, which may
//! differ in the last bit between C libraries.)
//!
//! Why xoshiro256++ rather than ChaCha8: the generator was 14 % of the time
//! of the array pipeline with ChaCha8; xoshiro256++ makes the whole
//! program + drift + read pipeline 1.3× faster (`bench/devices.sh`).

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator of one block.
pub type BlockRng = Xoshiro256PlusPlus;

/// SplitMix64's output function (Steele, Lea & Flood, OOPSLA 2014).
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

/// One serial stream keyed by `(seed, purpose, counter)`, for draws made
/// one after another rather than per device (network initialisation,
/// shuffles, spike encoding, in-situ pulses in `xbar-training`): the key
/// `splitmix64(splitmix64(splitmix64(seed) ^ purpose) ^ counter)` seeds
/// xoshiro256++ through `rand_xoshiro`'s `seed_from_u64` (SplitMix64
/// expansion). `purpose` is the caller's own enum of effects (its `u64`
/// discriminant), so that effects never share a stream; `counter` numbers
/// the occurrences (epoch, step, layer, …). A result therefore depends on
/// the seed and the key alone, never on thread count or batch order.
///
/// ```
/// use rand::RngCore;
/// let mut a = xbar_devices::rng::stream(42, 3u64, 7);
/// let mut b = xbar_devices::rng::stream(42, 3u64, 7);
/// assert_eq!(a.next_u64(), b.next_u64());
/// ```
pub fn stream(seed: u64, purpose: impl Into<u64>, counter: u64) -> Xoshiro256PlusPlus {
    let key = splitmix64(splitmix64(splitmix64(seed) ^ purpose.into()) ^ counter);
    Xoshiro256PlusPlus::seed_from_u64(key)
}

/// Number of devices that share one generator inside a draw.
pub const BLOCK: usize = 4096;

/// The physical effect a random draw belongs to; part of the stream key so
/// that effects never share random numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub(crate) enum Purpose {
    DeviceToDevice = 1,
    Faults = 2,
    Programming = 3,
    DriftExponent = 4,
    ReadNoise = 5,
    Pulse = 6,
    Compensation = 7,
}

/// The key of one draw: which array (seed), which effect, which occurrence.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StreamKey {
    pub seed: u64,
    pub purpose: Purpose,
    pub counter: u64,
}

impl StreamKey {
    pub fn new(seed: u64, purpose: Purpose, counter: u64) -> Self {
        StreamKey {
            seed,
            purpose,
            counter,
        }
    }

    /// The generator for block `block` of this draw.
    pub fn block_rng(&self, block: usize) -> BlockRng {
        let mut state = 0x6a09_e667_f3bc_c908_u64;
        for word in [self.seed, self.purpose as u64, self.counter, block as u64] {
            state = splitmix64(state ^ word);
        }
        let mut key = [0u8; 32];
        for chunk in key.chunks_exact_mut(8) {
            state = splitmix64(state);
            chunk.copy_from_slice(&state.to_le_bytes());
        }
        BlockRng::from_seed(key)
    }

    /// Fills `out[k] = f(k, rng)` for every device index `k`, in parallel
    /// over blocks of [`BLOCK`] devices, each block with its own stream.
    pub fn fill<F>(&self, out: &mut [f64], f: F)
    where
        F: Fn(usize, &mut BlockRng) -> f64 + Sync,
    {
        self.update(out, |k, _, rng| f(k, rng));
    }

    /// Like [`StreamKey::fill`] but updates values in place:
    /// `values[k] = f(k, values[k], rng)`.
    pub fn update<F>(&self, values: &mut [f64], f: F)
    where
        F: Fn(usize, f64, &mut BlockRng) -> f64 + Sync,
    {
        self.update_summed(values, |k, v, rng| (f(k, v, rng), 0.0));
    }
}

impl StreamKey {
    /// Like [`StreamKey::update`], with `f` returning `(value, x)`; returns
    /// `Σ x` over every element, summed per block and then over blocks in
    /// order (the same bits whatever the threads).
    pub fn update_summed<F>(&self, values: &mut [f64], f: F) -> f64
    where
        F: Fn(usize, f64, &mut BlockRng) -> (f64, f64) + Sync,
    {
        let sums: Vec<f64> = values
            .par_chunks_mut(BLOCK)
            .enumerate()
            .map(|(block, chunk)| {
                let mut rng = self.block_rng(block);
                let base = block * BLOCK;
                let mut sum = 0.0;
                for (offset, slot) in chunk.iter_mut().enumerate() {
                    let (value, x) = f(base + offset, *slot, &mut rng);
                    *slot = value;
                    sum += x;
                }
                sum
            })
            .collect();
        sums.iter().sum()
    }

    /// Updates every value with exactly one standard normal deviate each:
    /// `values[k] = f(k, values[k], ξ_k)`. The block's deviates are drawn
    /// into a buffer first and then consumed in order, which keeps the
    /// sampler's loop and the arithmetic loop apart (about 1.4× faster than
    /// interleaving them, bench `pcm_array`) and gives the same numbers as
    /// drawing one per device.
    pub fn update_with_normals<F>(&self, values: &mut [f64], f: F)
    where
        F: Fn(usize, f64, f64) -> f64 + Sync,
    {
        values
            .par_chunks_mut(BLOCK)
            .enumerate()
            .for_each(|(block, chunk)| {
                let mut rng = self.block_rng(block);
                let mut normals = [0.0f64; BLOCK];
                let normals = &mut normals[..chunk.len()];
                for xi in normals.iter_mut() {
                    *xi = StandardNormal.sample(&mut rng);
                }
                let base = block * BLOCK;
                for (offset, (slot, xi)) in chunk.iter_mut().zip(normals.iter()).enumerate() {
                    *slot = f(base + offset, *slot, *xi);
                }
            });
    }
}

/// Applies `f` to every element in parallel (no randomness).
pub(crate) fn par_map(values: &mut [f64], f: impl Fn(usize, f64) -> f64 + Sync) {
    values
        .par_chunks_mut(BLOCK)
        .enumerate()
        .for_each(|(block, chunk)| {
            let base = block * BLOCK;
            for (offset, slot) in chunk.iter_mut().enumerate() {
                *slot = f(base + offset, *slot);
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, RngCore};

    #[test]
    fn streams_do_not_depend_on_thread_count() {
        let key = StreamKey::new(7, Purpose::ReadNoise, 3);
        let mut a = vec![0.0; 3 * BLOCK + 17];
        key.fill(&mut a, |_, rng| rng.random::<f64>());
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let mut b = vec![0.0; a.len()];
        pool.install(|| key.fill(&mut b, |_, rng| rng.random::<f64>()));
        assert_eq!(a, b);
    }

    #[test]
    fn purposes_and_counters_give_different_streams() {
        let mut a = vec![0.0; 8];
        let mut b = vec![0.0; 8];
        let mut c = vec![0.0; 8];
        StreamKey::new(1, Purpose::Programming, 0).fill(&mut a, |_, r| r.random());
        StreamKey::new(1, Purpose::ReadNoise, 0).fill(&mut b, |_, r| r.random());
        StreamKey::new(1, Purpose::Programming, 1).fill(&mut c, |_, r| r.random());
        assert_ne!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn block_stream_is_the_documented_one() {
        // First output of the generator of (seed 0, purpose 1, counter 0,
        // block 0): a regression pin for cross-platform stability. If a
        // dependency update changes it, every published seed changes.
        let mut rng = StreamKey::new(0, Purpose::DeviceToDevice, 0).block_rng(0);
        let first: u64 = rng.random();
        let mut again = StreamKey::new(0, Purpose::DeviceToDevice, 0).block_rng(0);
        assert_eq!(first, again.random::<u64>());
        assert_eq!(first, PINNED_FIRST_U64);
    }

    /// Keys and first outputs of a few serial streams, computed
    /// independently in Python from SplitMix64 and xoshiro256++: the values
    /// `xbar-training`'s own `rng::stream` gave before it moved here
    /// (`(seed, purpose, counter)`, purpose 1 = its `Init`, 3 = `Encoding`,
    /// 6 = `Pulses`).
    #[test]
    fn serial_streams_are_pinned() {
        let cases: [((u64, u64, u64), [u64; 2]); 3] = [
            ((0, 1, 0), [8406314580880979878, 14246343552861520113]),
            (
                (42, 3, (5 << 32) | 17),
                [2133191510323125252, 16621855870390467715],
            ),
            ((7, 6, 12345), [2859846738175118166, 1667192596548423153]),
        ];
        for ((seed, purpose, counter), want) in cases {
            let mut rng = stream(seed, purpose, counter);
            assert_eq!([rng.next_u64(), rng.next_u64()], want);
        }
        assert_eq!(
            splitmix64(splitmix64(splitmix64(0) ^ 1)),
            0x44e5_b981_00c6_7fb0
        );
    }

    /// Computed independently of this crate and of `rand_xoshiro`, from the
    /// published reference algorithms (SplitMix64 folding as in
    /// `block_rng`, then xoshiro256++'s `rotl(s0 + s3, 23) + s0`), in Python.
    const PINNED_FIRST_U64: u64 = 10_760_774_873_361_463_875;
}
