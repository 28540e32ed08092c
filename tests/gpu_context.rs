//! The shared GPU context: kernels run and read back exactly, shaders are validated, and
//! bad input comes back as errors rather than panics.

use wgzero::gpu::{self, GpuError, validate_wgsl};
use wgzero::testing::test_gpu;

const SELF_TEST_WGSL: &str = include_str!("../shaders/gpu/self_test.wgsl");

#[test]
fn self_test_kernel_matches_the_cpu_at_awkward_sizes() {
    let Some(gpu) = test_gpu() else { return };
    for count in [1, 63, 64, 65, 1000] {
        assert_eq!(gpu::self_test(&gpu, count, count * 7).unwrap(), count);
    }
}

#[test]
fn pipelines_are_cached_by_source() {
    let Some(gpu) = test_gpu() else { return };
    let first = gpu.pipeline("a", SELF_TEST_WGSL, "main").unwrap();
    let again = gpu.pipeline("b", SELF_TEST_WGSL, "main").unwrap();
    assert!(std::sync::Arc::ptr_eq(&first, &again));
    let other_source = format!("{SELF_TEST_WGSL}\n// changed\n");
    let other = gpu.pipeline("c", &other_source, "main").unwrap();
    assert!(!std::sync::Arc::ptr_eq(&first, &other));
}

#[test]
fn a_broken_shader_is_an_error_not_a_panic() {
    let Some(gpu) = test_gpu() else { return };
    let broken = "@compute @workgroup_size(1) fn main() { let x: u32 = 1.5; }";
    match gpu.pipeline("broken", broken, "main") {
        Err(GpuError::Shader { label, .. }) => assert_eq!(label, "broken"),
        other => panic!("expected a shader error, got {:?}", other.map(|_| ())),
    }
    gpu.check()
        .expect("the caught error must not linger as a driver error");
}

#[test]
fn reading_past_the_end_is_an_error() {
    let Some(gpu) = test_gpu() else { return };
    let buffer = gpu.upload("four", &[1u32, 2, 3, 4]);
    assert_eq!(gpu.read::<u32>(&buffer, 4).unwrap(), vec![1, 2, 3, 4]);
    assert!(matches!(
        gpu.read::<u32>(&buffer, 5),
        Err(GpuError::Readback(_))
    ));
}

#[test]
fn naga_accepts_the_self_test_and_rejects_f16_without_the_capability() {
    validate_wgsl(SELF_TEST_WGSL, naga::valid::Capabilities::empty()).unwrap();
    let half = "enable f16;\n@compute @workgroup_size(1) fn main() { let x: f16 = 1.0h; }";
    assert!(validate_wgsl(half, naga::valid::Capabilities::empty()).is_err());
    validate_wgsl(half, naga::valid::Capabilities::SHADER_FLOAT16).unwrap();
}

#[test]
fn unchecked_pipelines_are_cached_apart_and_compute_the_same() {
    let Some(gpu) = test_gpu() else { return };
    let checked = gpu.pipeline("checked", SELF_TEST_WGSL, "main").unwrap();
    // SAFETY: the self-test kernel guards every access with `i < params.count`.
    let unchecked = unsafe { gpu.pipeline_unchecked("unchecked", SELF_TEST_WGSL, "main") }.unwrap();
    assert!(!std::sync::Arc::ptr_eq(&checked, &unchecked));
    let input: Vec<u32> = (0..100).collect();
    let input_buffer = gpu.upload("input", &input);
    let output_buffer = gpu.storage_buffer("output", 400);
    let params = gpu.uniform("params", &[100u32, 9]);
    let bind_group = gpu.bind_buffers(&unchecked, &[&input_buffer, &output_buffer, &params]);
    gpu.dispatch(&unchecked, &bind_group, [2, 1, 1]);
    let output: Vec<u32> = gpu.read(&output_buffer, 100).unwrap();
    assert_eq!(output, gpu::self_test_reference(&input, 9));
}
