//! Implicit-GEMM convolution through the matmul template against a direct f64 convolution
//! and its analytic gradients (written from the definition, not from the im2col view):
//! forward, grad input, grad weight (whole and split), with scalar and vector loaders.

use wgzero::graph::kernels::{
    AdapterCaps, ConvShape, Epilogue, MatmulSpec, Tiles, choose_tiles, conv2d_forward,
    conv2d_grad_input, conv2d_grad_weight, grad_weight_splits, matmul_wgsl, run_matmul,
};
use wgzero::testing::test_gpu;

#[allow(dead_code)]
mod harness;

use harness::conv_shape;

fn random(len: usize, seed: u64) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// Index helpers for NHWC tensors and [kh, kw, cin, cout] weights.
struct Layout(ConvShape);

impl Layout {
    fn image(&self, b: u32, y: u32, x: u32, channel: u32, channels: u32) -> usize {
        (((b * self.0.height + y) * self.0.width + x) * channels + channel) as usize
    }
    fn weight(&self, dy: u32, dx: u32, ci: u32, co: u32) -> usize {
        let s = &self.0;
        (((dy * s.kernel + dx) * s.in_channels + ci) * s.out_channels + co) as usize
    }
    /// The input position read by output (y, x) through tap (dy, dx), if inside.
    fn source(&self, y: u32, x: u32, dy: u32, dx: u32) -> Option<(u32, u32)> {
        let pad = (self.0.kernel / 2) as i64;
        let sy = y as i64 + dy as i64 - pad;
        let sx = x as i64 + dx as i64 - pad;
        let inside =
            (0..self.0.height as i64).contains(&sy) && (0..self.0.width as i64).contains(&sx);
        inside.then_some((sy as u32, sx as u32))
    }
}

/// Visits every (output position, tap, in channel, out channel) term of the convolution.
fn for_each_term(shape: &ConvShape, mut visit: impl FnMut(usize, usize, usize)) {
    let layout = Layout(*shape);
    let s = shape;
    for b in 0..s.batch {
        for y in 0..s.height {
            for x in 0..s.width {
                for dy in 0..s.kernel {
                    for dx in 0..s.kernel {
                        let Some((sy, sx)) = layout.source(y, x, dy, dx) else {
                            continue;
                        };
                        for ci in 0..s.in_channels {
                            for co in 0..s.out_channels {
                                visit(
                                    layout.image(b, sy, sx, ci, s.in_channels),
                                    layout.weight(dy, dx, ci, co),
                                    layout.image(b, y, x, co, s.out_channels),
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Element-wise check with an error bound from the sum of |terms| of each element.
fn assert_close(label: &str, actual: &[f32], expected: &[f64], magnitude: &[f64], terms: usize) {
    assert_eq!(actual.len(), expected.len(), "{label}: length");
    for (index, ((&got, &want), &scale)) in actual.iter().zip(expected).zip(magnitude).enumerate() {
        let tolerance = 4.0 * terms as f64 * f32::EPSILON as f64 * scale + 1e-6;
        assert!(
            (got as f64 - want).abs() <= tolerance && got.is_finite(),
            "{label}: element {index}: got {got}, want {want}"
        );
    }
}

fn run(spec: &MatmulSpec, tiles: &Tiles, a: &[f32], b: &[f32]) -> Vec<f32> {
    let gpu = test_gpu().expect("callers check for a GPU");
    let poison = vec![f32::NAN; spec.output_len() as usize];
    // SAFETY: the conv loaders read in bounds of tensors of `shape`, which a and b are.
    unsafe { run_matmul(&gpu, spec, tiles, a, b, Some(&poison), &[]) }
        .unwrap_or_else(|error| panic!("{}: {error}", tiles.name()))
}

fn tile_choices(spec: &MatmulSpec) -> Vec<Tiles> {
    let gpu = test_gpu().expect("callers check for a GPU");
    let mut choices = vec![
        choose_tiles(spec, &AdapterCaps::of(&gpu)),
        choose_tiles(spec, &AdapterCaps::baseline()),
        Tiles {
            tile_m: 32,
            tile_n: 16,
            tile_k: 8,
            thread_m: 8,
            thread_n: 4,
            double_buffer: false,
        },
    ];
    choices.dedup();
    choices
}

fn shapes() -> Vec<ConvShape> {
    vec![
        // Scalar loaders (odd channel counts), non-square board.
        conv_shape(2, 5, 4, 3, 5, 3),
        // Vector loaders (channels multiple of 4).
        conv_shape(3, 4, 4, 8, 4, 3),
        // 1x1 kernels, mixed.
        conv_shape(2, 3, 5, 4, 6, 1),
        conv_shape(1, 3, 3, 5, 8, 1),
    ]
}

#[test]
fn forward_matches_a_direct_convolution() {
    if test_gpu().is_none() {
        return;
    }
    for (seed, shape) in shapes().into_iter().enumerate() {
        let input = random(shape.input_len() as usize, seed as u64);
        let weight = random(shape.weight_len() as usize, seed as u64 + 50);
        let mut expected = vec![0.0f64; shape.output_len() as usize];
        let mut magnitude = vec![0.0f64; expected.len()];
        for_each_term(&shape, |i, w, o| {
            let term = input[i] as f64 * weight[w] as f64;
            expected[o] += term;
            magnitude[o] += term.abs();
        });
        let spec = conv2d_forward(&shape).unwrap();
        for tiles in tile_choices(&spec) {
            let actual = run(&spec, &tiles, &input, &weight);
            let label = format!("forward {shape:?} {}", tiles.name());
            assert_close(&label, &actual, &expected, &magnitude, spec.k as usize);
        }
    }
}

#[test]
fn grad_input_matches_the_analytic_gradient() {
    if test_gpu().is_none() {
        return;
    }
    for (seed, shape) in shapes().into_iter().enumerate() {
        let grad_output = random(shape.output_len() as usize, seed as u64 + 100);
        let weight = random(shape.weight_len() as usize, seed as u64 + 150);
        // d loss / d input[i] = sum over terms reading input[i] of grad_out[o] * weight[w].
        let mut expected = vec![0.0f64; shape.input_len() as usize];
        let mut magnitude = vec![0.0f64; expected.len()];
        for_each_term(&shape, |i, w, o| {
            let term = grad_output[o] as f64 * weight[w] as f64;
            expected[i] += term;
            magnitude[i] += term.abs();
        });
        let spec = conv2d_grad_input(&shape).unwrap();
        for tiles in tile_choices(&spec) {
            let actual = run(&spec, &tiles, &grad_output, &weight);
            let label = format!("grad input {shape:?} {}", tiles.name());
            assert_close(&label, &actual, &expected, &magnitude, spec.k as usize);
        }
    }
}

#[test]
fn grad_weight_matches_the_analytic_gradient_whole_and_split() {
    if test_gpu().is_none() {
        return;
    }
    for (seed, shape) in shapes().into_iter().enumerate() {
        let input = random(shape.input_len() as usize, seed as u64 + 200);
        let grad_output = random(shape.output_len() as usize, seed as u64 + 250);
        let mut expected = vec![0.0f64; shape.weight_len() as usize];
        let mut magnitude = vec![0.0f64; expected.len()];
        for_each_term(&shape, |i, w, o| {
            let term = input[i] as f64 * grad_output[o] as f64;
            expected[w] += term;
            magnitude[w] += term.abs();
        });
        for splits in [1, 3] {
            let spec = conv2d_grad_weight(&shape, splits).unwrap();
            for tiles in tile_choices(&spec) {
                let partial = run(&spec, &tiles, &input, &grad_output);
                // Sum the per-slice partial products over the split axis.
                let weight_len = shape.weight_len() as usize;
                let actual: Vec<f32> = (0..weight_len)
                    .map(|index| {
                        (0..splits as usize)
                            .map(|split| partial[split * weight_len + index])
                            .sum()
                    })
                    .collect();
                let label = format!("grad weight {shape:?} splits {splits} {}", tiles.name());
                assert_close(
                    &label,
                    &actual,
                    &expected,
                    &magnitude,
                    shape.pixels() as usize,
                );
            }
        }
    }
}

#[test]
fn forward_with_a_fused_bias_and_relu() {
    let Some(gpu) = test_gpu() else { return };
    let shape = shapes()[1];
    let input = random(shape.input_len() as usize, 300);
    let weight = random(shape.weight_len() as usize, 301);
    let bias = random(shape.out_channels as usize, 302);
    let mut sums = vec![0.0f64; shape.output_len() as usize];
    let mut magnitude = vec![0.0f64; sums.len()];
    for_each_term(&shape, |i, w, o| {
        let term = input[i] as f64 * weight[w] as f64;
        sums[o] += term;
        magnitude[o] += term.abs();
    });
    let channels = shape.out_channels as usize;
    let expected: Vec<f64> = sums
        .iter()
        .enumerate()
        .map(|(index, sum)| (sum + bias[index % channels] as f64).max(0.0))
        .collect();
    let spec = MatmulSpec {
        epilogue: Epilogue {
            bindings: vec!["var<storage, read> bias: array<f32>;".to_owned()],
            body: "fn epilogue(value: f32, batch: u32, row: u32, col: u32) -> f32 {\n    \
                   return max(value + bias[col], 0.0);\n}"
                .to_owned(),
        },
        ..conv2d_forward(&shape).unwrap()
    };
    let tiles = choose_tiles(&spec, &AdapterCaps::of(&gpu));
    // SAFETY: loaders in bounds of the shape's tensors; the epilogue reads bias[col < cout].
    let actual =
        unsafe { run_matmul(&gpu, &spec, tiles, &input, &weight, None, &[&bias]) }.unwrap();
    assert_close(
        "conv bias relu",
        &actual,
        &expected,
        &magnitude,
        spec.k as usize,
    );
}

#[test]
fn conv_shaders_pass_naga_with_baseline_capabilities_and_bad_shapes_are_errors() {
    let shape = ConvShape {
        batch: 1024,
        height: 8,
        width: 8,
        in_channels: 64,
        out_channels: 64,
        kernel: 3,
    };
    let baseline = AdapterCaps::baseline();
    for spec in [
        conv2d_forward(&shape).unwrap(),
        conv2d_grad_input(&shape).unwrap(),
        conv2d_grad_weight(&shape, 1).unwrap(),
        conv2d_grad_weight(&shape, 16).unwrap(),
    ] {
        let tiles = choose_tiles(&spec, &baseline);
        tiles.check(&baseline).unwrap();
        let wgsl = matmul_wgsl(&spec, &tiles).unwrap();
        wgzero::gpu::validate_wgsl(&wgsl, naga::valid::Capabilities::empty()).unwrap();
    }
    assert!(conv2d_forward(&ConvShape { kernel: 5, ..shape }).is_err());
    assert!(conv2d_forward(&ConvShape { batch: 0, ..shape }).is_err());
    assert!(conv2d_grad_weight(&shape, 0).is_err());
    // 9 output tiles of 64x64 -> 57 slices for ~512 workgroups; few on software adapters.
    assert_eq!(grad_weight_splits(&shape, &baseline), 57);
    let software = AdapterCaps {
        software: true,
        ..baseline
    };
    assert_eq!(grad_weight_splits(&shape, &software), 1);
    let tiny = ConvShape { batch: 1, ..shape };
    assert_eq!(grad_weight_splits(&tiny, &baseline), 1);
}
