// Self-test kernel: an integer hash of every element, exact on any device, so the host
// can check dispatch indexing, bounds and readback against a CPU computation.

struct Params {
    count: u32,
    salt: u32,
}

@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read_write> output: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if i >= params.count {
        return;
    }
    let x = input[i] ^ params.salt;
    output[i] = (x * 2654435761u) ^ (x >> 7u) ^ i;
}
