//! The matmul template against f64 reference loops on the GPU (lavapipe in CI): awkward
//! shapes, transposed and broadcast operands, a fused epilogue with its own binding,
//! accumulation, every tile configuration the tuner can pick, and naga validation of every
//! configuration (baseline capabilities).

use wgzero::graph::kernels::{
    AdapterCaps, CANDIDATES, Epilogue, MatmulSpec, Operand, Tiles, choose_tiles, matmul_wgsl,
    run_matmul, tuning,
};
use wgzero::testing::test_gpu;

/// Deterministic values in [-1, 1) (xorshift), different per seed.
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

/// A's element (row, col) of batch `z` as stored for `operand` (strided only).
fn element(
    data: &[f32],
    operand: &Operand,
    z: u32,
    row: u32,
    col: u32,
    rows: u32,
    cols: u32,
) -> f64 {
    let Operand::Strided {
        transposed,
        batch_stride,
    } = operand
    else {
        panic!("the reference reads strided operands only")
    };
    let base = (z * batch_stride) as usize;
    let index = if *transposed {
        col * rows + row
    } else {
        row * cols + col
    } as usize;
    data[base + index] as f64
}

/// f64 reference of `spec` (strided operands, identity epilogue): the product and, per
/// element, the sum of |a * b| that bounds the rounding error.
fn reference(spec: &MatmulSpec, a: &[f32], b: &[f32]) -> (Vec<f64>, Vec<f64>) {
    let mut product = Vec::new();
    let mut magnitude = Vec::new();
    for z in 0..spec.batch {
        for row in 0..spec.m {
            for col in 0..spec.n {
                let (mut sum, mut absolute) = (0.0, 0.0);
                for k in 0..spec.k {
                    let term = element(a, &spec.a, z, row, k, spec.m, spec.k)
                        * element(b, &spec.b, z, k, col, spec.k, spec.n);
                    sum += term;
                    absolute += term.abs();
                }
                product.push(sum);
                magnitude.push(absolute);
            }
        }
    }
    (product, magnitude)
}

fn assert_close(label: &str, actual: &[f32], expected: &[f64], magnitude: &[f64], k: u32) {
    assert_eq!(actual.len(), expected.len(), "{label}: length");
    for (index, ((&got, &want), &scale)) in actual.iter().zip(expected).zip(magnitude).enumerate() {
        let tolerance = 4.0 * k as f64 * f32::EPSILON as f64 * scale + 1e-6;
        assert!(
            (got as f64 - want).abs() <= tolerance && got.is_finite(),
            "{label}: element {index}: got {got}, want {want} (tolerance {tolerance})"
        );
    }
}

/// Runs `spec` on the GPU with `tiles`, C poisoned with NaN so unwritten elements fail.
fn run(spec: &MatmulSpec, tiles: &Tiles, a: &[f32], b: &[f32]) -> Vec<f32> {
    let gpu = test_gpu().expect("callers check for a GPU");
    let poison = vec![f32::NAN; spec.output_len() as usize];
    // SAFETY: strided operands and the identity epilogue: the template stays in bounds.
    unsafe { run_matmul(&gpu, spec, tiles, a, b, Some(&poison), &[]) }
        .unwrap_or_else(|error| panic!("{}: {error}", tiles.name()))
}

fn check_spec(spec: &MatmulSpec, tiles: &Tiles, seed: u64) {
    let a = random(spec.a_len().unwrap() as usize, seed);
    let b = random(spec.b_len().unwrap() as usize, seed + 1);
    let (expected, magnitude) = reference(spec, &a, &b);
    let actual = run(spec, tiles, &a, &b);
    let label = format!(
        "batch {} m {} n {} k {} a {:?} b {:?} tiles {}",
        spec.batch,
        spec.m,
        spec.n,
        spec.k,
        spec.a,
        spec.b,
        tiles.name()
    );
    assert_close(&label, &actual, &expected, &magnitude, spec.k);
}

/// A small tile set that fits lavapipe quickly and still covers every code path.
const SMALL: Tiles = Tiles {
    tile_m: 16,
    tile_n: 16,
    tile_k: 8,
    thread_m: 4,
    thread_n: 4,
    double_buffer: true,
};

#[test]
fn awkward_shapes_match_the_f64_reference() {
    if test_gpu().is_none() {
        return;
    }
    let shapes = [
        (1, 1, 1),
        (3, 7, 5),
        (7, 3, 1),
        (1, 9, 13),
        (5, 1, 4),
        (16, 16, 8),
        (17, 33, 9),
        (33, 17, 40),
        (40, 44, 12),
    ];
    for (index, &(m, n, k)) in shapes.iter().enumerate() {
        check_spec(&MatmulSpec::dense(1, m, n, k), &SMALL, 10 + index as u64);
        let single = Tiles {
            double_buffer: false,
            ..SMALL
        };
        check_spec(&MatmulSpec::dense(1, m, n, k), &single, 20 + index as u64);
    }
}

#[test]
fn every_surveyed_tile_config_is_correct() {
    let Some(gpu) = test_gpu() else { return };
    let caps = AdapterCaps::of(&gpu);
    // Each shape is ragged in every dimension for every config; k spans several steps.
    for (index, tiles) in tuning::SURVEY.iter().enumerate() {
        if let Err(error) = tiles.check(&caps) {
            eprintln!("skipping {} on this adapter: {error}", tiles.name());
            continue;
        }
        let m = tiles.tile_m + 3;
        let n = tiles.tile_n + 5;
        check_spec(
            &MatmulSpec::dense(1, m, n, 2 * tiles.tile_k + 4),
            tiles,
            100 + index as u64,
        );
        // Multiples of the tile: the unguarded fast path.
        check_spec(
            &MatmulSpec::dense(1, tiles.tile_m, tiles.tile_n, 3 * tiles.tile_k),
            tiles,
            200 + index as u64,
        );
    }
}

#[test]
fn transposed_operands_match_the_reference() {
    if test_gpu().is_none() {
        return;
    }
    for (m, n, k) in [(20, 12, 8), (9, 6, 7), (3, 5, 11)] {
        for a_transposed in [false, true] {
            for b_transposed in [false, true] {
                let spec = MatmulSpec {
                    a: Operand::strided(a_transposed, m * k),
                    b: Operand::strided(b_transposed, k * n),
                    ..MatmulSpec::dense(2, m, n, k)
                };
                check_spec(&spec, &SMALL, (m * 100 + n) as u64);
            }
        }
    }
}

#[test]
fn batches_broadcast_and_pad_operands() {
    if test_gpu().is_none() {
        return;
    }
    let (batch, m, n, k) = (3, 10, 12, 8);
    // A broadcast over the batch, B with a padded batch stride.
    let spec = MatmulSpec {
        a: Operand::strided(false, 0),
        b: Operand::strided(true, k * n + 4),
        ..MatmulSpec::dense(batch, m, n, k)
    };
    check_spec(&spec, &SMALL, 7);
    // B broadcast, A batched; odd k forces scalar loads.
    let spec = MatmulSpec {
        a: Operand::strided(false, m * 7),
        b: Operand::strided(false, 0),
        ..MatmulSpec::dense(batch, m, n, 7)
    };
    check_spec(&spec, &SMALL, 8);
}

#[test]
fn epilogue_with_a_bias_binding_and_accumulation() {
    let Some(gpu) = test_gpu() else { return };
    let (batch, m, n, k) = (2, 13, 20, 9);
    let epilogue = Epilogue {
        bindings: vec!["var<storage, read> bias: array<f32>;".to_owned()],
        body: "fn epilogue(value: f32, batch: u32, row: u32, col: u32) -> f32 {\n    \
               return max(value + bias[col], 0.0);\n}"
            .to_owned(),
    };
    for accumulate in [false, true] {
        let spec = MatmulSpec {
            epilogue: epilogue.clone(),
            accumulate,
            ..MatmulSpec::dense(batch, m, n, k)
        };
        let a = random(spec.a_len().unwrap() as usize, 31);
        let b = random(spec.b_len().unwrap() as usize, 32);
        let bias = random(n as usize, 33);
        let initial = random(spec.output_len() as usize, 34);
        let (product, magnitude) = reference(&spec, &a, &b);
        let expected: Vec<f64> = product
            .iter()
            .enumerate()
            .map(|(index, value)| {
                let activated = (value + bias[index % n as usize] as f64).max(0.0);
                if accumulate {
                    activated + initial[index] as f64
                } else {
                    activated
                }
            })
            .collect();
        let start = if accumulate {
            initial.clone()
        } else {
            vec![f32::NAN; initial.len()]
        };
        for tiles in [SMALL, CANDIDATES[2]] {
            // SAFETY: the epilogue reads bias[col] with col < n = bias.len().
            let actual =
                unsafe { run_matmul(&gpu, &spec, tiles, &a, &b, Some(&start), &[&bias]) }.unwrap();
            assert_close(
                &format!("bias+relu accumulate {accumulate} {}", tiles.name()),
                &actual,
                &expected,
                &magnitude,
                k,
            );
        }
    }
}

#[test]
fn tuned_tiles_for_this_adapter_and_the_baseline_are_correct() {
    let Some(gpu) = test_gpu() else { return };
    let own = AdapterCaps::of(&gpu);
    for (index, &(batch, m, n, k)) in [(1, 5, 6, 7), (2, 33, 65, 19), (1, 130, 20, 36)]
        .iter()
        .enumerate()
    {
        let spec = MatmulSpec::dense(batch, m, n, k);
        for caps in [own, AdapterCaps::baseline()] {
            let tiles = choose_tiles(&spec, &caps);
            check_spec(&spec, &tiles, 300 + index as u64);
        }
    }
}

#[test]
fn every_config_passes_naga_with_baseline_capabilities() {
    let specs = [
        MatmulSpec::dense(1, 1, 1, 1),
        MatmulSpec::dense(3, 37, 41, 13),
        MatmulSpec::dense(1, 256, 256, 64),
        MatmulSpec {
            a: Operand::strided(true, 0),
            b: Operand::strided(true, 0),
            accumulate: true,
            ..MatmulSpec::dense(2, 64, 36, 20)
        },
    ];
    let baseline = AdapterCaps::baseline();
    for tiles in tuning::SURVEY {
        for spec in &specs {
            let wgsl = matmul_wgsl(spec, tiles).unwrap();
            wgzero::gpu::validate_wgsl(&wgsl, naga::valid::Capabilities::empty())
                .unwrap_or_else(|error| panic!("{}: {error}", tiles.name()));
        }
        // Every candidate that fits the baseline fits it as the tuner says.
        if CANDIDATES.contains(tiles) && tiles.check(&baseline).is_ok() {
            assert!(tiles.threads() <= 256 && tiles.workgroup_storage_bytes() <= 16384);
        }
    }
}

#[test]
fn the_tuner_respects_the_baseline_and_uses_more_only_when_offered() {
    let baseline = AdapterCaps::baseline();
    let large = AdapterCaps {
        max_invocations_per_workgroup: 1024,
        max_workgroup_storage_bytes: 49152,
        max_storage_buffers_per_stage: 32,
        subgroups: true,
        software: false,
        tensor_cores: false,
    };
    let mut used_more = false;
    for m in [1, 3, 7, 64, 100, 512, 4096] {
        for n in [1, 5, 64, 300, 4096] {
            for k in [1, 9, 576, 4096] {
                let spec = MatmulSpec::dense(1, m, n, k);
                let chosen = choose_tiles(&spec, &baseline);
                chosen.check(&baseline).unwrap();
                let chosen_large = choose_tiles(&spec, &large);
                chosen_large.check(&large).unwrap();
                used_more |= chosen_large.check(&baseline).is_err();
            }
        }
    }
    assert!(
        used_more,
        "a large adapter should get the 32 KiB tiles for large products"
    );
    assert_eq!(
        choose_tiles(&MatmulSpec::dense(1, 4096, 4096, 4096), &baseline).workgroup_storage_bytes(),
        16384
    );
}

#[test]
fn invalid_tiles_and_small_buffers_are_errors() {
    let too_many_threads = Tiles {
        tile_m: 256,
        tile_n: 128,
        ..CANDIDATES[1]
    };
    assert!(too_many_threads.check(&AdapterCaps::baseline()).is_err());
    let odd = Tiles {
        thread_m: 3,
        ..SMALL
    };
    assert!(matmul_wgsl(&MatmulSpec::dense(1, 8, 8, 8), &odd).is_err());
    assert!(matmul_wgsl(&MatmulSpec::dense(1, 0, 8, 8), &SMALL).is_err());
    let Some(gpu) = test_gpu() else { return };
    let spec = MatmulSpec::dense(1, 8, 8, 8);
    // SAFETY: strided operands only.
    let kernel = unsafe { wgzero::graph::kernels::MatmulKernel::new(&gpu, spec, SMALL) }.unwrap();
    let small = gpu.storage_buffer("small", 16);
    let enough = gpu.storage_buffer("enough", 256);
    assert!(kernel.bind(&gpu, &small, &enough, &enough, &[]).is_err());
    assert!(kernel.bind(&gpu, &enough, &enough, &small, &[]).is_err());
    assert!(kernel.bind(&gpu, &enough, &enough, &enough, &[]).is_ok());
}
