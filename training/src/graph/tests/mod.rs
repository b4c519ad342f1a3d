//! Tests of graphs: the shared builders here; the forward ops, shapes,
//! converters and neurons in `forward`; gradients, training, graph files
//! and reads on ideal arrays in `learn`.

use super::*;

/// A deterministic value in [−1, 1) for index `k`.
fn val(k: usize, salt: usize) -> f64 {
    (((k * 7919 + salt * 104_729) % 2003) as f64) / 1001.5 - 1.0
}

fn weights(inputs: usize, outputs: usize, salt: usize) -> Weights {
    Weights {
        inputs,
        outputs,
        weights: (0..inputs * outputs).map(|k| val(k, salt)).collect(),
        bias: (0..outputs).map(|k| 0.1 * val(k, salt + 1)).collect(),
    }
}

fn node(name: &str, op: Op, inputs: Vec<usize>) -> Node {
    Node {
        name: name.into(),
        op,
        inputs,
    }
}

/// The textbook definition of a 2-D convolution (cross-correlation, as
/// PyTorch and ONNX define it), loop by loop.
fn direct_conv(x: &[f64], s: Shape, c: &Conv2d) -> (Vec<f64>, Shape) {
    let (kh, kw) = c.kernel;
    let eh = c.dilation.0 * (kh - 1) + 1;
    let ew = c.dilation.1 * (kw - 1) + 1;
    let oh = (s.height + c.padding[0] + c.padding[2] - eh) / c.stride.0 + 1;
    let ow = (s.width + c.padding[1] + c.padding[3] - ew) / c.stride.1 + 1;
    let n = c.weights.outputs;
    let mut y = vec![0.0; n * oh * ow];
    for o in 0..n {
        for oy in 0..oh {
            for ox in 0..ow {
                let mut acc = c.weights.bias[o];
                for ch in 0..s.channels {
                    for i in 0..kh {
                        for j in 0..kw {
                            let yy = (oy * c.stride.0 + i * c.dilation.0) as isize
                                - c.padding[0] as isize;
                            let xx = (ox * c.stride.1 + j * c.dilation.1) as isize
                                - c.padding[1] as isize;
                            if yy < 0 || xx < 0 || yy >= s.height as isize || xx >= s.width as isize
                            {
                                continue;
                            }
                            let w = c.weights.weights[((ch * kh + i) * kw + j) * n + o];
                            acc += w * x[(ch * s.height + yy as usize) * s.width + xx as usize];
                        }
                    }
                }
                y[(o * oh + oy) * ow + ox] = acc;
            }
        }
    }
    (y, Shape::new(n, oh, ow))
}

mod forward;
mod learn;
