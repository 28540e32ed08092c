//! The cooperative-matrix (tensor-core) matmul template. Everywhere: every generated shader
//! passes naga, and bad tiles or scales are errors. On an adapter with f16 cooperative
//! matrices (`WGZERO_REQUIRE_TENSOR_CORES=1` makes their absence a failure): each product
//! (dense, transposed, ragged, batched, accumulating into C with a fused epilogue, and the
//! three convolution passes) matches
//! - the f32 template run on the same operands rounded to f16 (the same exact products,
//!   summed in another order: f32 tolerance), which shows the tiling and layouts are right;
//! - the f32 template on the unrounded operands (itself checked against f64 in
//!   tests/matmul_kernels.rs and tests/conv_kernels.rs) within f16's rounding (2⁻¹¹
//!   relative per operand), which with gradient operands of 1e-5 shows the scaling keeps
//!   them out of f16's subnormal range.

#[allow(dead_code)]
mod harness;

use half::f16;
use harness::{Data, conv_shape};
use wgzero::graph::kernels::coop::{COOP_CANDIDATES, COOP_SURVEY, CoopTiles, coop_tiles_named};
use wgzero::graph::kernels::{
    AdapterCaps, BoardConv, BoardPass, Epilogue, MatmulSpec, Operand, Template, board_wgsl,
    choose_coop_tiles, choose_tiles, conv2d_forward, conv2d_grad_input, conv2d_grad_weight,
    coop_wgsl, run_matmul,
};
use wgzero::testing::test_gpu;

/// `len` values uniform on `[-scale, scale)`.
fn random(len: usize, seed: u64, scale: f32) -> Vec<f32> {
    Data::new(seed).uniform(len, -scale, scale)
}

/// `value` as the template sees it: scaled, rounded to f16, scaled back (exact for powers
/// of two).
fn rounded(values: &[f32], scale: f32) -> Vec<f32> {
    values
        .iter()
        .map(|&v| f16::from_f32(v * scale).to_f32() / scale)
        .collect()
}

/// One product to check: its spec, operands, operand scales, and C's start (accumulate).
struct Case {
    label: String,
    spec: MatmulSpec,
    a: Vec<f32>,
    b: Vec<f32>,
    scales: [f32; 2],
    bias: Option<Vec<f32>>,
    /// The image of a forward or grad-input 3×3 convolution the board template also runs.
    board: Option<BoardConv>,
}

fn bias_epilogue() -> Epilogue {
    Epilogue {
        bindings: vec!["var<storage, read> bias: array<f32>;".to_owned()],
        body: "fn epilogue(value: f32, batch: u32, row: u32, col: u32) -> f32 {\n    \
               return max(value + bias[col], 0.0);\n}"
            .to_owned(),
    }
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let dense = |label: &str, spec: MatmulSpec, seed: u64| Case {
        label: label.to_owned(),
        a: random(spec.a_len().unwrap() as usize, seed, 1.0),
        b: random(spec.b_len().unwrap() as usize, seed + 1, 1.0),
        spec,
        scales: [1.0, 1.0],
        bias: None,
        board: None,
    };
    cases.push(dense("dense ragged", MatmulSpec::dense(1, 200, 72, 100), 1));
    cases.push(dense("dense batched", MatmulSpec::dense(3, 48, 40, 64), 3));
    let transposed = MatmulSpec {
        a: Operand::strided(true, 0),
        b: Operand::strided(true, 0),
        ..MatmulSpec::dense(1, 130, 96, 70)
    };
    cases.push(dense("dense transposed", transposed, 5));
    for accumulate in [false, true] {
        let spec = MatmulSpec {
            epilogue: bias_epilogue(),
            accumulate,
            ..MatmulSpec::dense(2, 64, 36, 48)
        };
        let mut case = dense(&format!("bias relu accumulate {accumulate}"), spec, 7);
        case.bias = Some(random(36, 9, 1.0));
        cases.push(case);
    }
    // Rows of 73 columns with a bias by column: tiles holding whole rows store them as
    // blocks of contiguous vec4s, each element's row and column found again.
    let spec = MatmulSpec {
        epilogue: bias_epilogue(),
        ..MatmulSpec::dense(2, 48, 73, 40)
    };
    let mut case = dense("bias relu 73 columns", spec, 8);
    case.bias = Some(random(73, 10, 1.0));
    cases.push(case);
    // Gradient operands are tiny, as a batch-mean loss makes them, and scaled by 2^14.
    let gradient = 1e-5;
    let scale = 16384.0;
    for (index, shape) in [
        conv_shape(4, 8, 8, 64, 64, 3),
        conv_shape(3, 5, 4, 20, 24, 3),
        conv_shape(2, 4, 4, 7, 17, 3),
        conv_shape(2, 8, 8, 64, 73, 1),
        // Board-template shapes: a partial block of 16 boards, partial channel chunks and
        // column tiles; 4×4 and 8×2 boards; a stem-like 120-channel image; 80 columns.
        conv_shape(17, 8, 8, 20, 24, 3),
        conv_shape(18, 4, 4, 120, 64, 3),
        conv_shape(5, 8, 2, 12, 80, 3),
    ]
    .into_iter()
    .enumerate()
    {
        let seed = 100 + 10 * index as u64;
        let input = random(shape.input_len() as usize, seed, 1.0);
        let weight = random(shape.weight_len() as usize, seed + 1, 0.1);
        let grad_output = random(shape.output_len() as usize, seed + 2, gradient);
        let name = format!(
            "{}x{}x{}x{}->{} k{}",
            shape.batch,
            shape.height,
            shape.width,
            shape.in_channels,
            shape.out_channels,
            shape.kernel
        );
        let three_by_three = shape.kernel == 3;
        let forward = conv2d_forward(&shape).unwrap();
        let board = three_by_three
            .then(|| BoardConv::forward(&shape))
            .filter(|conv| conv.validate(&forward).is_ok());
        cases.push(Case {
            label: format!("conv forward {name}"),
            spec: forward,
            a: input.clone(),
            b: weight.clone(),
            scales: [1.0, 1.0],
            bias: None,
            board,
        });
        let grad_input = conv2d_grad_input(&shape).unwrap();
        let board = three_by_three
            .then(|| BoardConv::grad_input(&shape))
            .filter(|conv| conv.validate(&grad_input).is_ok());
        cases.push(Case {
            label: format!("conv grad input {name}"),
            spec: grad_input,
            a: grad_output.clone(),
            b: weight,
            scales: [scale, 1.0],
            bias: None,
            board,
        });
        for splits in [1, 3] {
            let spec = conv2d_grad_weight(&shape, splits).unwrap();
            let board = three_by_three
                .then(|| BoardConv::grad_weight(&shape))
                .filter(|conv| conv.validate(&spec).is_ok());
            cases.push(Case {
                label: format!("conv grad weight {name}, {splits} splits"),
                spec,
                a: input.clone(),
                b: grad_output.clone(),
                scales: [1.0, scale],
                bias: None,
                board,
            });
        }
    }
    cases
}

fn template(tiles: CoopTiles, [scale_a, scale_b]: [f32; 2]) -> Template {
    Template::Coop {
        tiles,
        scale_a,
        scale_b,
    }
}

#[test]
fn every_coop_shader_passes_naga_and_bad_parameters_are_errors() {
    for case in cases() {
        for tiles in COOP_SURVEY {
            let wgsl = coop_wgsl(&case.spec, tiles, case.scales[0], case.scales[1])
                .unwrap_or_else(|error| panic!("{} {}: {error}", case.label, tiles.name()));
            wgzero::gpu::validate_wgsl(&wgsl, naga::valid::Capabilities::all())
                .unwrap_or_else(|error| panic!("{} {}: {error}\n{wgsl}", case.label, tiles.name()));
        }
        if let Some(conv) = case.board {
            let wgsl = board_wgsl(&case.spec, &conv, case.scales[0], case.scales[1])
                .unwrap_or_else(|error| panic!("{} {}: {error}", case.label, conv.name()));
            wgzero::gpu::validate_wgsl(&wgsl, naga::valid::Capabilities::all())
                .unwrap_or_else(|error| panic!("{} {}: {error}\n{wgsl}", case.label, conv.name()));
            assert!(conv.workgroup_storage_bytes() <= 49152, "{}", conv.name());
        }
    }
    // Every forward and grad-input 3×3 case of 8×8, 4×4 or 8×2 boards, and every grad
    // weight of boards up to 8 wide, with channels in fours runs the board template too;
    // the others say why they cannot.
    let passes = |pass| {
        cases()
            .iter()
            .filter(|case| case.board.is_some_and(|conv| conv.pass == pass))
            .count()
    };
    assert_eq!(passes(BoardPass::Image), 8, "image-pass board cases");
    assert_eq!(passes(BoardPass::GradWeight), 10, "grad-weight board cases");
    let board_spec = |shape| conv2d_forward(&shape).unwrap();
    let image = |batch, height, width, channels| BoardConv {
        pass: BoardPass::Image,
        batch,
        height,
        width,
        channels,
    };
    for (shape, conv, reason) in [
        (
            conv_shape(3, 5, 4, 20, 24, 3),
            image(3, 5, 4, 20),
            "height a multiple",
        ),
        (
            conv_shape(2, 4, 4, 7, 17, 3),
            image(2, 4, 4, 7),
            "multiple of 4",
        ),
        (
            conv_shape(2, 6, 6, 8, 8, 3),
            image(2, 6, 6, 8),
            "width 2, 4 or 8",
        ),
        (
            conv_shape(2, 8, 8, 8, 8, 3),
            image(3, 8, 8, 8),
            "not a 3x3 convolution",
        ),
    ] {
        let error = board_wgsl(&board_spec(shape), &conv, 1.0, 1.0)
            .unwrap_err()
            .to_string();
        assert!(error.contains(reason) && error.contains("coop"), "{error}");
    }
    let spec = board_spec(conv_shape(2, 8, 8, 8, 8, 3));
    assert!(
        board_wgsl(&spec, &image(2, 8, 8, 8), 3.0, 1.0).is_err(),
        "scale 3"
    );
    // The tuner's candidates fit the 48 KiB of workgroup memory Vulkan drivers offer.
    for tiles in COOP_CANDIDATES {
        assert!(tiles.workgroup_storage_bytes() <= 49152, "{}", tiles.name());
    }
    // WGZERO_COOP_TILES names a surveyed shape (every candidate is surveyed); an unknown
    // name lists the known ones.
    for tiles in COOP_SURVEY.iter().chain(COOP_CANDIDATES) {
        assert_eq!(coop_tiles_named(&tiles.name()).unwrap(), *tiles);
    }
    let unknown = coop_tiles_named("coop1x2x3").unwrap_err().to_string();
    assert!(
        unknown.contains("coop1x2x3") && unknown.contains(&COOP_CANDIDATES[0].name()),
        "{unknown}"
    );
    // The forward pass takes the 256-row tile; a 576-row grad weight in 64 slices, which
    // would pad 256-row tiles by a third, the 128×64 one despite its padding.
    let shape = conv_shape(1024, 8, 8, 64, 64, 3);
    let forward = conv2d_forward(&shape).unwrap();
    assert_eq!(choose_coop_tiles(&forward), COOP_CANDIDATES[0]);
    let grad_weight = conv2d_grad_weight(&shape, 64).unwrap();
    assert_eq!(choose_coop_tiles(&grad_weight), COOP_CANDIDATES[1]);
    // A 73-column policy head's forward takes the 80-column tile, whose subgroups hold
    // whole rows. Its grad weight, split in slices, takes the least padded tile of 256
    // invocations instead, however many slices.
    let policy = conv_shape(1024, 8, 8, 64, 73, 1);
    let wide = coop_tiles_named("coop64x80x64_16x80_s1").unwrap();
    assert_eq!(choose_coop_tiles(&conv2d_forward(&policy).unwrap()), wide);
    for slices in [64, 256] {
        let spec = conv2d_grad_weight(&policy, slices).unwrap();
        assert_eq!(
            choose_coop_tiles(&spec),
            COOP_CANDIDATES[2],
            "{slices} slices"
        );
    }
    let spec = MatmulSpec::dense(1, 64, 64, 64);
    let good = COOP_CANDIDATES[0];
    assert!(coop_wgsl(&spec, &good, 3.0, 1.0).is_err(), "scale 3");
    assert!(coop_wgsl(&spec, &good, 1.0, 0.0).is_err(), "scale 0");
    for bad in [
        CoopTiles { warp_m: 24, ..good },
        CoopTiles { tile_m: 80, ..good },
        CoopTiles { tile_k: 8, ..good },
        CoopTiles {
            tile_m: 256,
            tile_n: 128,
            ..good
        },
    ] {
        assert!(coop_wgsl(&spec, &bad, 1.0, 1.0).is_err(), "{}", bad.name());
    }
}

/// Runs `case`'s spec on `a` and `b` with `template`, C starting as `start`.
fn run(case: &Case, a: &[f32], b: &[f32], template: Template, start: &[f32]) -> Vec<f32> {
    let gpu = test_gpu().expect("callers check for a GPU");
    let epilogue: Vec<&[f32]> = case.bias.iter().map(Vec::as_slice).collect();
    // SAFETY: the loaders read in bounds of operands of the spec's shapes, which a and b
    // are; the epilogue reads bias[col] with col < n = bias.len().
    unsafe { run_matmul(&gpu, &case.spec, template, a, b, Some(start), &epilogue) }
        .unwrap_or_else(|error| panic!("{}: {error}", case.label))
}

#[test]
fn coop_products_match_the_f32_template_on_rounded_operands_and_f64_within_f16() {
    let Some(gpu) = test_gpu() else { return };
    if !AdapterCaps::of(&gpu).tensor_cores {
        assert!(
            std::env::var("WGZERO_REQUIRE_TENSOR_CORES").is_err(),
            "WGZERO_REQUIRE_TENSOR_CORES is set but {} offers no f16 cooperative matrices",
            gpu.info.name
        );
        eprintln!(
            "skipping: {} offers no f16 cooperative matrices",
            gpu.info.name
        );
        return;
    }
    let caps = AdapterCaps::of(&gpu);
    for case in cases() {
        let start = random(case.spec.output_len() as usize, 77, 1.0);
        let start = if case.spec.accumulate {
            start
        } else {
            vec![f32::NAN; start.len()]
        };
        let fma = Template::Fma(choose_tiles(&case.spec, &caps));
        let a16 = rounded(&case.a, case.scales[0]);
        let b16 = rounded(&case.b, case.scales[1]);
        let same_terms = run(&case, &a16, &b16, fma, &start);
        let exact = run(&case, &case.a, &case.b, fma, &start);
        // |a|·|b| summed: the same kernel on absolute values (no epilogue, no start).
        let magnitude_case = Case {
            label: format!("{} magnitude", case.label),
            spec: MatmulSpec {
                epilogue: Epilogue::identity(),
                accumulate: false,
                ..case.spec.clone()
            },
            a: Vec::new(),
            b: Vec::new(),
            scales: case.scales,
            bias: None,
            board: None,
        };
        let absolute = |values: &[f32]| values.iter().map(|v| v.abs()).collect::<Vec<_>>();
        let magnitude = run(
            &magnitude_case,
            &absolute(&case.a),
            &absolute(&case.b),
            fma,
            &vec![0.0; start.len()],
        );
        let fitting = COOP_SURVEY
            .iter()
            .filter(|tiles| tiles.workgroup_storage_bytes() <= caps.max_workgroup_storage_bytes);
        for tiles in fitting {
            let coop = run(
                &case,
                &case.a,
                &case.b,
                template(*tiles, case.scales),
                &start,
            );
            check(
                &case,
                case.spec.k,
                tiles.name(),
                &coop,
                &same_terms,
                &exact,
                &magnitude,
            );
        }
        if let Some(conv) = case.board {
            let template = Template::Board {
                conv,
                scale_a: case.scales[0],
                scale_b: case.scales[1],
            };
            let board = run(&case, &case.a, &case.b, template, &start);
            if case.spec.batch == 1 {
                check(
                    &case,
                    case.spec.k,
                    conv.name(),
                    &board,
                    &same_terms,
                    &exact,
                    &magnitude,
                );
            } else {
                // Grad weight slices the batch its own way: the slices' sums must agree.
                let slices = |values: &[f32]| -> Vec<f32> {
                    let len = (case.spec.m * case.spec.n) as usize;
                    (0..len)
                        .map(|i| values.iter().skip(i).step_by(len).sum())
                        .collect()
                };
                check(
                    &case,
                    case.spec.k * case.spec.batch,
                    conv.name(),
                    &slices(&board),
                    &slices(&same_terms),
                    &slices(&exact),
                    &slices(&magnitude),
                );
            }
        }
    }
}

/// Checks a tensor-core result `got` of `case` against the f32 template on the rounded
/// operands (`same_terms`) and on the exact ones, with bounds from `magnitude` (Σ|a||b|)
/// and the number of terms summed, `depth`.
fn check(
    case: &Case,
    depth: u32,
    template: String,
    got: &[f32],
    same_terms: &[f32],
    exact: &[f32],
    magnitude: &[f32],
) {
    let k = depth as f32;
    for (index, &got) in got.iter().enumerate() {
        let bound = magnitude[index];
        let label = format!("{} {template} element {index}", case.label);
        assert!(got.is_finite(), "{label}: {got}");
        let order = 4.0 * k * f32::EPSILON * bound + 1e-30;
        assert!(
            (got - same_terms[index]).abs() <= order,
            "{label}: {got} vs {} on rounded operands",
            same_terms[index]
        );
        // Each operand rounds by at most 2^-11 relative (both: about 2^-10).
        let rounding = 2f32.powi(-10) * 1.01 * bound + order;
        assert!(
            (got - exact[index]).abs() <= rounding,
            "{label}: {got} vs {} unrounded",
            exact[index]
        );
    }
}
