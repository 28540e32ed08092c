//! A quick check that a device really computes: an exact integer kernel compared with the
//! same function on the CPU. `wgzero info` runs it on the chosen adapter.

use super::{Gpu, GpuError};

const WGSL: &str = include_str!("../../shaders/gpu/self_test.wgsl");
const WORKGROUP_SIZE: u32 = 64;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    count: u32,
    salt: u32,
}

/// The CPU twin of `shaders/gpu/self_test.wgsl`.
pub fn reference(input: &[u32], salt: u32) -> Vec<u32> {
    input
        .iter()
        .enumerate()
        .map(|(i, &value)| {
            let x = value ^ salt;
            x.wrapping_mul(2654435761) ^ (x >> 7) ^ i as u32
        })
        .collect()
}

/// Runs the kernel over `count` pseudo-random inputs and compares with [`reference()`].
/// Returns the number of elements checked.
pub fn self_test(gpu: &Gpu, count: u32, salt: u32) -> Result<u32, GpuError> {
    let input: Vec<u32> = (0..count)
        .map(|i| i.wrapping_mul(0x9E37_79B9).rotate_left(13))
        .collect();
    let pipeline = gpu.pipeline("self_test", WGSL, "main")?;
    let input_buffer = gpu.upload("self_test input", &input);
    let output_buffer = gpu.storage_buffer("self_test output", u64::from(count) * 4);
    let params = gpu.uniform("self_test params", &Params { count, salt });
    let bind_group = gpu.bind_buffers(&pipeline, &[&input_buffer, &output_buffer, &params]);
    gpu.dispatch(
        &pipeline,
        &bind_group,
        [count.div_ceil(WORKGROUP_SIZE), 1, 1],
    );
    let output: Vec<u32> = gpu.read(&output_buffer, count as usize)?;
    let expected = reference(&input, salt);
    if let Some(index) = (0..count as usize).find(|&i| output[i] != expected[i]) {
        return Err(GpuError::Driver(format!(
            "self-test mismatch at element {index}: GPU {} vs CPU {}",
            output[index], expected[index]
        )));
    }
    Ok(count)
}
