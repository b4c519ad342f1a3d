//! One chunk's pass through a graph, and what it keeps: the buffers
//! reused from one batch to the next (`Scratch`, `Workspace`), the
//! parameters in the training precision, the values of every node over
//! all steps (`Pass`), and the neurons' recurrences over the steps,
//! forwards and backwards (BPTT; the equations are in the parent module).

use super::super::kernels::{self, Scalar};
use super::super::neurons::{threshold, Reset};
use super::super::{Graph, Leak, Lif, Op, Shape};
use super::SpikeGradient;
use crate::bptt::{argmax, cross_entropy, Batch};
use crate::network::Surrogate;

/// The largest fraction of 1s in a 0/1 (spike) input at which a
/// convolution runs event-driven (the weight rows of its 1s, rather than
/// a GEMM of the unrolled input): above it, the GEMM's vector units win
/// (on the tutorial-6 conv SNN, whose first LIF layer fires 5–10 %, the
/// event-driven pass took 8 % less CPU than the GEMM).
pub(super) const SPARSE: f64 = 0.15;

/// Buffers kept from one chunk to the next: a chunk's values are large,
/// and allocating them afresh each time costs more in page faults than
/// the arithmetic.
///
/// The pool keeps no more buffers than were handed out: a buffer made
/// elsewhere (a `collect`) and given back while none is out is dropped,
/// so that the pool cannot grow from one batch to the next (it did, by a
/// buffer per batch, to 19 GB over a full-MNIST run).
pub(crate) struct Scratch<F> {
    free: Vec<Vec<F>>,
    /// Buffers handed out by `pick` and not yet given back in this chunk.
    out: usize,
}

impl<F: Scalar> Scratch<F> {
    /// The smallest free buffer that holds `len` values, else the
    /// largest, else a new one.
    pub(super) fn pick(&mut self, len: usize) -> Vec<F> {
        let fits = (0..self.free.len())
            .filter(|&i| self.free[i].capacity() >= len)
            .min_by_key(|&i| self.free[i].capacity());
        let largest = (0..self.free.len()).max_by_key(|&i| self.free[i].capacity());
        self.out += 1;
        match fits.or(largest) {
            Some(i) => self.free.swap_remove(i),
            None => Vec::with_capacity(len),
        }
    }

    /// `len` zeros.
    pub(super) fn zeros(&mut self, len: usize) -> Vec<F> {
        let mut v = self.pick(len);
        v.clear();
        v.resize(len, F::zero());
        v
    }

    /// `len` values that the caller overwrites.
    pub(super) fn any(&mut self, len: usize) -> Vec<F> {
        let mut v = self.pick(len);
        v.resize(len, F::zero());
        v
    }

    pub(super) fn give(&mut self, v: Vec<F>) {
        if v.capacity() > 0 && self.out > 0 {
            self.out -= 1;
            self.free.push(v);
        }
    }

    /// Values (of `F`) the pool holds.
    #[cfg(test)]
    pub(super) fn held(&self) -> usize {
        self.free.iter().map(Vec::capacity).sum()
    }
}

/// The [`Scratch`] buffers of the chunks, kept across batches.
pub(crate) struct Workspace<F>(std::sync::Mutex<Vec<Scratch<F>>>);

impl<F> Default for Workspace<F> {
    fn default() -> Self {
        Workspace(std::sync::Mutex::new(Vec::new()))
    }
}

impl<F: Scalar> Workspace<F> {
    /// A chunk's pool, with nothing handed out yet.
    pub(super) fn take(&self) -> Scratch<F> {
        let mut free = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut scratch = free.pop().unwrap_or(Scratch {
            free: Vec::new(),
            out: 0,
        });
        scratch.out = 0;
        scratch
    }

    /// Buffers and values the pools hold (for the test that they stop
    /// growing).
    #[cfg(test)]
    pub(crate) fn held(&self) -> (usize, usize) {
        let pools = self.0.lock().unwrap_or_else(|e| e.into_inner());
        (
            pools.iter().map(|s| s.free.len()).sum(),
            pools.iter().map(Scratch::held).sum(),
        )
    }

    pub(super) fn give(&self, s: Scratch<F>) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(s);
    }
}

/// The weighted layers' and affines' parameters in the training
/// precision: `(weights, bias)` or `(scale, shift)` per node.
pub(super) struct Params<F> {
    pub(super) of: Vec<(Vec<F>, Vec<F>)>,
}

impl<F: Scalar> Params<F> {
    pub(super) fn of(graph: &Graph) -> Self {
        let cast = |v: &[f64]| v.iter().map(|&x| F::of(x)).collect::<Vec<F>>();
        let of = graph
            .nodes
            .iter()
            .map(|n| match &n.op {
                Op::Conv2d(c) => (cast(&c.weights.weights), cast(&c.weights.bias)),
                Op::Linear(w) => (cast(&w.weights), cast(&w.bias)),
                Op::ChannelAffine { scale, shift } => (cast(scale), cast(shift)),
                _ => (Vec::new(), Vec::new()),
            })
            .collect();
        Params { of }
    }
}

/// A chunk of `nb` images through all `steps`: every value as
/// `C × n × H·W` (see [`kernels`]), `n` = `steps·nb` (step-major) for a
/// value that changes over the steps, `nb` for one that does not (the
/// input under direct encoding and what only depends on it).
pub(super) struct Pass<F> {
    pub(super) nb: usize,
    pub(super) steps: usize,
    /// `[value]`.
    pub(super) values: Vec<Vec<F>>,
    /// `[value]`: whether it changes over the steps.
    pub(super) varies: Vec<bool>,
    /// `[node]`: a LIF node's membranes `u[t]`, empty for the others.
    pub(super) membranes: Vec<Vec<F>>,
    /// `[node]`: a convolution's unrolled input, empty for the others.
    pub(super) cols: Vec<Vec<F>>,
    /// `[node]`: a max pool's winning input index per output, empty for
    /// the others.
    pub(super) winners: Vec<Vec<u32>>,
    /// `[node]`: a convolution's input spikes when it ran event-driven
    /// (its `cols` then stay empty).
    pub(super) events: Vec<Option<kernels::Events>>,
}

impl<F: Scalar> Pass<F> {
    /// Planes per channel of a value.
    pub(super) fn slices(&self, varies: bool) -> usize {
        if varies {
            self.steps * self.nb
        } else {
            self.nb
        }
    }

    /// `x` (shaped `s`) into `out` as a value whose time layout is `to`
    /// (`from` its own): repeated over the steps when `to` varies and `x`
    /// does not, else copied.
    pub(super) fn spread(&self, x: &[F], s: Shape, from: bool, to: bool, out: &mut Vec<F>) {
        out.clear();
        if from == to || self.steps == 1 {
            out.extend_from_slice(x);
            return;
        }
        let plane = self.nb * s.pixels();
        for ch in x.chunks(plane) {
            for _ in 0..self.steps {
                out.extend_from_slice(ch);
            }
        }
    }

    /// The adjoint of [`Pass::spread`]: `g` (varying) summed over the
    /// steps into `out` (zeros), for a value shaped `s` that does not
    /// vary.
    pub(super) fn fold(&self, g: &[F], s: Shape, out: &mut [F]) {
        let plane = self.nb * s.pixels();
        for (ch, dst) in g.chunks(plane * self.steps).zip(out.chunks_mut(plane)) {
            for step in ch.chunks(plane) {
                dst.iter_mut().zip(step).for_each(|(d, &v)| *d += v);
            }
        }
    }

    /// Hands every buffer back to `sc`.
    pub(super) fn release(self, sc: &mut Scratch<F>) {
        for v in self
            .values
            .into_iter()
            .chain(self.membranes)
            .chain(self.cols)
        {
            sc.give(v);
        }
    }

    /// The chunk's loss (summed), number right and score gradients of the
    /// mean loss over a batch of `b` (`[image][class]`); `start` is the
    /// chunk's first image in `batch`.
    pub(super) fn loss(
        &self,
        graph: &Graph,
        batch: Batch<'_>,
        start: usize,
        b: usize,
        sc: &mut Scratch<F>,
    ) -> (f64, usize, Vec<Vec<f64>>) {
        let last = graph.nodes.len();
        let shape = graph.output_shape();
        let classes = shape.len();
        let varies = self.varies[last];
        let n = self.slices(varies);
        let mut y = sc.any(self.values[last].len());
        kernels::to_features(&self.values[last], shape, n, &mut y);
        let scale = 1.0 / b as f64;
        let (mut loss, mut correct) = (0.0, 0);
        let mut dscores = Vec::with_capacity(self.nb);
        for m in 0..self.nb {
            let mut scores = vec![0.0; classes];
            for (l, s) in scores.iter_mut().enumerate() {
                let row = &y[l * n..(l + 1) * n];
                for t in 0..self.steps {
                    *s += row[if varies { t * self.nb + m } else { m }].as_f64();
                }
            }
            let label = usize::from(batch.labels[start + m]);
            let mut d = vec![0.0; classes];
            correct += usize::from(argmax(&scores) == label);
            loss += cross_entropy(&scores, label, scale, &mut d);
            dscores.push(d);
        }
        sc.give(y);
        (loss, correct, dscores)
    }
}

pub(super) fn sum<F: Scalar>(v: &[F]) -> F {
    v.iter().fold(F::zero(), |a, &b| a + b)
}

/// `dst[i] += src[i]` in `f64`.
pub(super) fn add_into<F: Scalar>(dst: &mut [f64], src: &[F]) {
    dst.iter_mut().zip(src).for_each(|(d, s)| *d += s.as_f64());
}

/// A population's `(β, g, b)` and threshold per neuron, in `F`.
pub(super) fn per_neuron<F: Scalar>(leak: &Leak, lif: Option<&Lif>, s: Shape) -> [Vec<F>; 4] {
    let (mut beta, mut gain, mut bias, mut th) = (vec![], vec![], vec![], vec![]);
    for i in 0..s.len() {
        let (b, g, c) = leak.at(s, i);
        beta.push(F::of(b));
        gain.push(F::of(g));
        bias.push(F::of(c));
        th.push(F::of(lif.map_or(0.0, |l| threshold(l, s, i))));
    }
    [beta, gain, bias, th]
}

/// LIF neurons over all steps, `x` varying (`C × steps·nb × H·W`): the
/// spikes and the membranes, same layout.
#[allow(clippy::too_many_arguments)]
pub(super) fn lif_forward<F: Scalar>(
    lif: &Lif,
    s: Shape,
    x: &[F],
    nb: usize,
    steps: usize,
    smooth: Option<&Surrogate>,
    spikes: &mut [F],
    membranes: &mut [F],
) {
    let [beta, gain, bias, theta] = per_neuron::<F>(&lif.leak, Some(lif), s);
    let hw = s.pixels();
    let plane = nb * hw;
    let mut u = vec![F::zero(); plane];
    let mut sp = vec![F::zero(); plane];
    for c in 0..s.channels {
        u.iter_mut().for_each(|v| *v = F::zero());
        sp.iter_mut().for_each(|v| *v = F::zero());
        let nrn = c * hw..(c + 1) * hw;
        let (b, g, d, th) = (
            &beta[nrn.clone()],
            &gain[nrn.clone()],
            &bias[nrn.clone()],
            &theta[nrn],
        );
        for t in 0..steps {
            let at = (c * steps + t) * plane;
            let xs = &x[at..at + plane];
            for m in 0..nb {
                for q in 0..hw {
                    let j = m * hw + q;
                    let v = match lif.reset {
                        Reset::Subtract => b[q] * u[j] + g[q] * xs[j] + d[q] - th[q] * sp[j],
                        Reset::Zero => b[q] * u[j] * (F::one() - sp[j]) + g[q] * xs[j] + d[q],
                    };
                    u[j] = v;
                    sp[j] = match smooth {
                        None => {
                            if v > th[q] {
                                F::one()
                            } else {
                                F::zero()
                            }
                        }
                        Some(sg) => F::of(sg.smooth_step((v - th[q]).as_f64())),
                    };
                }
            }
            membranes[at..at + plane].copy_from_slice(&u);
            spikes[at..at + plane].copy_from_slice(&sp);
        }
    }
}

/// Leaky integrators over all steps, `x` varying: `v[t]`, same layout.
pub(super) fn leak_forward<F: Scalar>(
    leak: &Leak,
    s: Shape,
    x: &[F],
    nb: usize,
    steps: usize,
    out: &mut [F],
) {
    let [beta, gain, bias, _] = per_neuron::<F>(leak, None, s);
    let hw = s.pixels();
    let plane = nb * hw;
    for c in 0..s.channels {
        let mut v = vec![F::zero(); plane];
        for t in 0..steps {
            let at = (c * steps + t) * plane;
            for (j, vj) in v.iter_mut().enumerate() {
                let q = c * hw + j % hw;
                *vj = beta[q] * *vj + gain[q] * x[at + j] + bias[q];
            }
            out[at..at + plane].copy_from_slice(&v);
        }
    }
}

/// BPTT through LIF neurons (see the [module docs](self)): the gradient
/// reaching their input at every step, from the spikes' gradient `gy`,
/// the membranes `u` and spikes `s`, in place of `gy`.
#[allow(clippy::too_many_arguments)]
pub(super) fn lif_backward<F: Scalar>(
    lif: &Lif,
    shape: Shape,
    gy: &mut [F],
    u: &[F],
    s: &[F],
    nb: usize,
    steps: usize,
    spikes: &SpikeGradient,
) {
    let [beta, gain, _, theta] = per_neuron::<F>(&lif.leak, Some(lif), shape);
    let hw = shape.pixels();
    let plane = nb * hw;
    let keep = !spikes.detach_reset;
    let mut carry = vec![F::zero(); plane];
    for c in 0..shape.channels {
        carry.iter_mut().for_each(|v| *v = F::zero());
        for t in (0..steps).rev() {
            let at = (c * steps + t) * plane;
            let mut q = c * hw;
            for (j, gn) in carry.iter_mut().enumerate() {
                if q == (c + 1) * hw {
                    q = c * hw;
                }
                let (i, b, th) = (at + j, beta[q], theta[q]);
                let sd = spikes.surrogate.derivative(u[i] - th);
                let g_u = match lif.reset {
                    Reset::Subtract => {
                        let g_s = gy[i] - if keep { th * *gn } else { F::zero() };
                        g_s * sd + b * *gn
                    }
                    Reset::Zero => {
                        let g_s = gy[i] - if keep { b * u[i] * *gn } else { F::zero() };
                        g_s * sd + b * (F::one() - s[i]) * *gn
                    }
                };
                *gn = g_u;
                gy[i] = gain[q] * g_u;
                q += 1;
            }
        }
    }
}

/// BPTT through leaky integrators: the gradient reaching their input, in
/// place of `gy`.
pub(super) fn leak_backward<F: Scalar>(
    leak: &Leak,
    shape: Shape,
    gy: &mut [F],
    nb: usize,
    steps: usize,
) {
    let [beta, gain, _, _] = per_neuron::<F>(leak, None, shape);
    let hw = shape.pixels();
    let plane = nb * hw;
    let mut carry = vec![F::zero(); plane];
    for c in 0..shape.channels {
        carry.iter_mut().for_each(|v| *v = F::zero());
        for t in (0..steps).rev() {
            let at = (c * steps + t) * plane;
            for (j, gn) in carry.iter_mut().enumerate() {
                let q = c * hw + j % hw;
                *gn = gy[at + j] + beta[q] * *gn;
                gy[at + j] = gain[q] * *gn;
            }
        }
    }
}
