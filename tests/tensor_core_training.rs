//! A residual net's whole training step (forward, loss, backward, Adam) compiled with
//! `Precision::F16TensorCores` follows the same step compiled in f32 on the CPU
//! interpreter, step by step within f16's rounding, and its loss falls. Runs only on an
//! adapter with f16 cooperative matrices (`WGZERO_REQUIRE_TENSOR_CORES=1` makes their
//! absence a failure); elsewhere the precision must fall back to f32 kernels.

use wgzero::backend::Compute;
use wgzero::graph::kernels::AdapterCaps;
use wgzero::graph::optim::{Optimizer, UpdateConfig};
use wgzero::graph::{CompileOptions, Graph, Precision, Program};
use wgzero::nn::{self, Network, names, resnet::ResNet};
use wgzero::testing::test_gpu;

const BATCH: usize = 64;
const STEPS: usize = 12;

fn network() -> ResNet {
    ResNet {
        height: 8,
        width: 8,
        input_planes: 12,
        filters: 32,
        blocks: 2,
        policy_planes: 4,
        value_hidden: 16,
    }
}

/// Sparse binary planes, a legal mask, a uniform policy over the first legal moves of
/// each row's parity (learnable from the planes), and values from the first plane.
fn inputs(network: &ResNet) -> Vec<(&'static str, Vec<f32>)> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let observation_len = network.observation_len();
    let actions = network.num_actions();
    let observations: Vec<f32> = (0..BATCH * observation_len)
        .map(|_| if next() > 0.7 { 1.0 } else { 0.0 })
        .collect();
    let mask: Vec<f32> = (0..BATCH * actions)
        .map(|_| if next() > 0.5 { 1.0 } else { 0.0 })
        .collect();
    let mut target = vec![0.0; BATCH * actions];
    let mut values = vec![0.0; BATCH];
    for row in 0..BATCH {
        let legal: Vec<usize> = (0..actions)
            .filter(|&a| mask[row * actions + a] > 0.0 && a % 2 == row % 2)
            .collect();
        for &a in &legal {
            target[row * actions + a] = 1.0 / legal.len() as f32;
        }
        values[row] = observations[row * observation_len] * 2.0 - 1.0;
    }
    vec![
        (names::OBSERVATIONS, observations),
        (names::LEGAL_MASK, mask),
        (names::POLICY_TARGET, target),
        (names::VALUE_TARGET, values),
    ]
}

/// The losses of `STEPS` training steps compiled with `precision` on `compute`, and the
/// number of dispatches on tensor cores.
fn losses(compute: &Compute, precision: Precision) -> (Vec<f32>, usize) {
    let network = network();
    let graph = Graph::new();
    let update = UpdateConfig {
        optimizer: Optimizer::adam(),
        learning_rate: 3e-3,
        l2: 0.0,
        clip_global_norm: None,
    };
    nn::training_step(&graph, &network, BATCH, &update).unwrap();
    let options = CompileOptions {
        seed: 5,
        precision,
        ..CompileOptions::default()
    };
    let mut program = Program::compile(&graph, compute, &options).unwrap();
    let coop = match &program {
        Program::Gpu(gpu_program) => gpu_program
            .kernels()
            .iter()
            .flat_map(|kernel| &kernel.shaders)
            .filter(|wgsl| wgsl.contains("enable wgpu_cooperative_matrix"))
            .count(),
        Program::Cpu(_) => 0,
    };
    for (name, values) in inputs(&network) {
        program.write(name, &values).unwrap();
    }
    let curve = (0..STEPS)
        .map(|_| {
            program.run().unwrap();
            program.read(names::LOSS).unwrap()[0]
        })
        .collect();
    (curve, coop)
}

#[test]
fn a_resnet_step_on_tensor_cores_follows_the_f32_step() {
    let Some(gpu) = test_gpu() else { return };
    let compute = Compute::Gpu(gpu.clone());
    if !AdapterCaps::of(&gpu).tensor_cores {
        assert!(
            std::env::var("WGZERO_REQUIRE_TENSOR_CORES").is_err(),
            "WGZERO_REQUIRE_TENSOR_CORES is set but {} offers no f16 cooperative matrices",
            gpu.info.name
        );
        // Without them the precision falls back to the f32 kernels.
        let (_, coop) = losses(&compute, Precision::F16TensorCores);
        assert_eq!(coop, 0, "tensor-core kernels on {}", gpu.info.name);
        eprintln!(
            "skipping: {} offers no f16 cooperative matrices",
            gpu.info.name
        );
        return;
    }
    let (reference, _) = losses(&Compute::Cpu, Precision::F32);
    let (mixed, coop) = losses(&compute, Precision::F16TensorCores);
    eprintln!("f32 (CPU): {reference:?}\nf16 tensor cores: {mixed:?} ({coop} dispatches)");
    // Forward, grad input and grad weight of the 4 trunk convolutions, the stem's forward
    // and grad weight (the 1×1 heads are too narrow for 16×16 tiles).
    assert_eq!(coop, 4 * 3 + 2, "dispatches on tensor cores");
    for (step, (&got, &want)) in mixed.iter().zip(&reference).enumerate() {
        // f16 operands carry 11 significant bits; a wrong kernel or a lost gradient scale
        // moves the curve by far more than 1%.
        assert!(
            got.is_finite() && (got - want).abs() <= 1e-2 * want.abs(),
            "loss before step {step}: {got} on tensor cores, {want} in f32"
        );
    }
    assert!(
        reference[STEPS - 1] < 0.95 * reference[0],
        "the f32 loss did not fall: {reference:?}"
    );
}
