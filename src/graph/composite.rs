//! Ops built from primitives: means, softmax, layer norm, the mean squared error, sibling
//! convolutions, linear layers. Their gradients come from the primitives' rules, and fusion
//! turns each into a few kernels.

use super::ir::{Graph, Tensor};

/// Masked entries get this logit: exp underflows to exactly 0, and it stays finite so that
/// `0 × log p` at a masked entry is 0, not NaN.
pub const MASKED_LOGIT: f32 = -1.0e30;

impl Graph {
    pub fn mean(&self, x: Tensor, axes: &[isize], keep_dims: bool) -> Tensor {
        // Count each axis once, as `sum` reduces it once however often it is named.
        let mut resolved: Vec<usize> = axes.iter().map(|&a| x.shape.axis(a)).collect();
        resolved.sort_unstable();
        resolved.dedup();
        let count: usize = resolved.iter().map(|&a| x.shape.dims()[a]).product();
        self.scale(self.sum(x, axes, keep_dims), 1.0 / count as f32)
    }

    /// Mean over every element, as a scalar.
    pub fn mean_all(&self, x: Tensor) -> Tensor {
        self.scale(self.sum_all(x), 1.0 / x.shape.num_elements() as f32)
    }

    /// `logits` where `mask` is nonzero, [`MASKED_LOGIT`] elsewhere.
    pub fn apply_mask(&self, logits: Tensor, mask: Option<Tensor>) -> Tensor {
        match mask {
            Some(mask) => self.select(mask, logits, self.scalar(MASKED_LOGIT)),
            None => logits,
        }
    }

    /// Softmax along the last axis; masked-out entries (mask 0) get probability 0.
    pub fn softmax(&self, logits: Tensor, mask: Option<Tensor>) -> Tensor {
        let logits = self.apply_mask(logits, mask);
        // Shifting by the maximum only guards exp from overflow: no gradient through it.
        let shift = self.stop_gradient(self.max(logits, &[-1], true));
        let shifted = self.sub(logits, shift);
        let e = self.exp(shifted);
        self.div(e, self.sum(e, &[-1], true))
    }

    /// Log-softmax along the last axis; masked-out entries get about [`MASKED_LOGIT`].
    pub fn log_softmax(&self, logits: Tensor, mask: Option<Tensor>) -> Tensor {
        let logits = self.apply_mask(logits, mask);
        let shift = self.stop_gradient(self.max(logits, &[-1], true));
        let shifted = self.sub(logits, shift);
        let log_total = self.log(self.sum(self.exp(shifted), &[-1], true));
        self.sub(shifted, log_total)
    }

    /// Normalises the last axis to mean 0 and variance 1 (no affine part; multiply and add
    /// parameters after it for that).
    pub fn layer_norm(&self, x: Tensor, epsilon: f32) -> Tensor {
        let centred = self.sub(x, self.mean(x, &[-1], true));
        let variance = self.mean(self.square(centred), &[-1], true);
        self.mul(centred, self.rsqrt(self.shift(variance, epsilon)))
    }

    /// Mean squared error over every element, as a scalar.
    pub fn mse(&self, prediction: Tensor, target: Tensor) -> Tensor {
        self.mean_all(self.square(self.sub(prediction, target)))
    }

    /// Convolutions of one input by several layers, `(weight, bias)` each, computed as one
    /// convolution by their weights side by side and sliced apart: one product over `x`
    /// instead of one per layer, and in the backward pass one grad input and one grad
    /// weight. The parameters stay separate tensors. The layers must share the kernel
    /// size; each output is `conv2d(x, weight) + bias`. The joint product gets zero columns
    /// up to a multiple of 4.
    pub fn sibling_convs(&self, x: Tensor, layers: &[(Tensor, Tensor)]) -> Vec<Tensor> {
        let mut weights: Vec<Tensor> = layers.iter().map(|layer| layer.0).collect();
        let mut biases: Vec<Tensor> = layers.iter().map(|layer| layer.1).collect();
        // Zero columns up to a multiple of 4 keep the output's rows 16-byte aligned, so
        // that kernels move them as vec4s (the chess heads: 73 + 1 → 76 columns).
        let width: usize = biases.iter().map(|bias| bias.shape.dim(-1)).sum();
        let padding = width.next_multiple_of(4) - width;
        if padding > 0 {
            weights.push(self.fill(0.0, weights[0].shape.with_dim(3, padding)));
            biases.push(self.fill(0.0, [padding]));
        }
        let both = self.add(
            self.conv2d(x, self.concat(&weights, -1)),
            self.concat(&biases, -1),
        );
        let mut start = 0;
        biases[..layers.len()]
            .iter()
            .map(|bias| {
                let len = bias.shape.dim(-1);
                start += len;
                self.slice(both, -1, start - len, len)
            })
            .collect()
    }

    /// `x × weight + bias` over the last axis of `x`; `x` may have batch axes.
    pub fn linear(&self, x: Tensor, weight: Tensor, bias: Option<Tensor>) -> Tensor {
        let product = if x.shape.rank() == 2 {
            self.matmul(x, weight)
        } else {
            let k = x.shape.dim(-1);
            let rows = x.shape.num_elements() / k;
            let flat = self.matmul(self.reshape(x, [rows, k]), weight);
            let mut dims = x.shape.dims().to_vec();
            *dims.last_mut().expect("rank ≥ 1") = weight.shape.dim(-1);
            self.reshape(flat, dims.as_slice())
        };
        match bias {
            Some(bias) => self.add(product, bias),
            None => product,
        }
    }
}
