//! Probes wgpu's experimental cooperative matrices (tensor cores on NVIDIA through
//! `VK_KHR_cooperative_matrix`): lists the configurations the adapter offers, then, where
//! 16×16×16 with f16 inputs and f32 accumulation is among them, times square f16 × f16 → f32
//! matrix products with two kernels and checks sampled entries against an f64 product of
//! the same f16 inputs. One JSON line per result (docs/PERFORMANCE.md, "Tensor cores
//! through wgpu's cooperative matrices"). On an adapter without the feature it only checks
//! the kernels with naga and says what is missing.
//!
//! `cargo run --release --example coopmat_probe -- [SIZE ...]` (default 4096)

use std::time::Instant;

use half::f16;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use wgpu::util::DeviceExt;

/// Square sizes to time when none are given.
const DEFAULT_SIZES: &[u32] = &[4096];
/// Products per timed submit, and timed submits (the best one counts).
const REPEATS: u32 = 20;
const WINDOWS: u32 = 5;
/// Entries of C compared with the f64 reference.
const CHECKED: usize = 256;

/// One kernel variant: its WGSL, the output tile one workgroup computes, and its size.
struct Variant {
    name: &'static str,
    wgsl: String,
    tile_m: u32,
    tile_n: u32,
    threads: u32,
}

/// Each subgroup loads its A and B tiles straight from the storage buffers.
/// Workgroup: 2×2 subgroups of 32×32 outputs (2×2 coop tiles) = 64×64.
fn global_variant(size: u32) -> Variant {
    let wgsl = format!(
        "enable f16;
enable wgpu_cooperative_matrix;

const SIZE: u32 = {size}u;
@group(0) @binding(0) var<storage, read> a: array<f16>;
@group(0) @binding(1) var<storage, read> b: array<f16>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(subgroup_id) sg: u32) {{
    let row = wg.y * 64u + (sg / 2u) * 32u;
    let col = wg.x * 64u + (sg % 2u) * 32u;
    var c00: coop_mat16x16<f32, C>;
    var c01: coop_mat16x16<f32, C>;
    var c10: coop_mat16x16<f32, C>;
    var c11: coop_mat16x16<f32, C>;
    for (var k = 0u; k < SIZE; k += 16u) {{
        let a0 = coopLoadT<coop_mat16x16<f16, A>>(&a[row * SIZE + k], SIZE);
        let a1 = coopLoadT<coop_mat16x16<f16, A>>(&a[(row + 16u) * SIZE + k], SIZE);
        let b0 = coopLoadT<coop_mat16x16<f16, B>>(&b[k * SIZE + col], SIZE);
        let b1 = coopLoadT<coop_mat16x16<f16, B>>(&b[k * SIZE + col + 16u], SIZE);
        c00 = coopMultiplyAdd(a0, b0, c00);
        c01 = coopMultiplyAdd(a0, b1, c01);
        c10 = coopMultiplyAdd(a1, b0, c10);
        c11 = coopMultiplyAdd(a1, b1, c11);
    }}
    coopStoreT(c00, &c[row * SIZE + col], SIZE);
    coopStoreT(c01, &c[row * SIZE + col + 16u], SIZE);
    coopStoreT(c10, &c[(row + 16u) * SIZE + col], SIZE);
    coopStoreT(c11, &c[(row + 16u) * SIZE + col + 16u], SIZE);
}}
"
    );
    Variant {
        name: "coop_global_64x64",
        wgsl,
        tile_m: 64,
        tile_n: 64,
        threads: 128,
    }
}

/// The workgroup stages a 128×32 block of A and a 32×128 block of B in workgroup memory
/// (vec4<u32> loads of 8 halves), and its 8 subgroups (2 × 4) each multiply a 64×32 part
/// of the 128×128 output tile (4×2 coop tiles) from there.
fn shared_variant(size: u32) -> Variant {
    // Cooperative matrices are not array elements: one variable per accumulator.
    let mut declare = String::new();
    let mut multiply = String::new();
    let mut store = String::new();
    for i in 0..4 {
        multiply += &format!(
            "            let a{i} = coopLoadT<coop_mat16x16<f16, A>>(&sa[(wr + {}u) * A_STRIDE + kk], A_STRIDE);\n",
            i * 16
        );
        for j in 0..2 {
            declare += &format!("    var c{i}{j}: coop_mat16x16<f32, C>;\n");
            multiply += &format!("            c{i}{j} = coopMultiplyAdd(a{i}, b{j}, c{i}{j});\n");
            store += &format!(
                "    coopStoreT(c{i}{j}, &c[(row0 + wr + {}u) * SIZE + col0 + wc + {}u], SIZE);\n",
                i * 16,
                j * 16
            );
        }
    }
    let wgsl = format!(
        "enable f16;
enable wgpu_cooperative_matrix;

const SIZE: u32 = {size}u;
const BM: u32 = 128u;
const BN: u32 = 128u;
const BK: u32 = 32u;
const A_STRIDE: u32 = 40u;  // BK + 8 halves of padding
const B_STRIDE: u32 = 136u; // BN + 8
@group(0) @binding(0) var<storage, read> a: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;

var<workgroup> sa: array<f16, 5120>; // BM * A_STRIDE
var<workgroup> sb: array<f16, 4352>; // BK * B_STRIDE

fn put(dst: u32, words: vec4<u32>, to_a: bool) {{
    let h0 = vec2<f16>(unpack2x16float(words.x));
    let h1 = vec2<f16>(unpack2x16float(words.y));
    let h2 = vec2<f16>(unpack2x16float(words.z));
    let h3 = vec2<f16>(unpack2x16float(words.w));
    if to_a {{
        sa[dst] = h0.x; sa[dst + 1u] = h0.y; sa[dst + 2u] = h1.x; sa[dst + 3u] = h1.y;
        sa[dst + 4u] = h2.x; sa[dst + 5u] = h2.y; sa[dst + 6u] = h3.x; sa[dst + 7u] = h3.y;
    }} else {{
        sb[dst] = h0.x; sb[dst + 1u] = h0.y; sb[dst + 2u] = h1.x; sb[dst + 3u] = h1.y;
        sb[dst + 4u] = h2.x; sb[dst + 5u] = h2.y; sb[dst + 6u] = h3.x; sb[dst + 7u] = h3.y;
    }}
}}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(subgroup_id) sg: u32,
        @builtin(local_invocation_index) t: u32) {{
    let row0 = wg.y * BM;
    let col0 = wg.x * BN;
    let wr = (sg / 4u) * 64u;
    let wc = (sg % 4u) * 32u;
{declare}    for (var k = 0u; k < SIZE; k += BK) {{
        // A block: 128 rows × 4 vec4 (32 halves); 512 vec4, 2 per thread.
        for (var i = 0u; i < 2u; i++) {{
            let v = t + i * 256u;
            let r = v / 4u;
            let q = v % 4u;
            put(r * A_STRIDE + q * 8u, a[((row0 + r) * SIZE + k) / 8u + q], true);
        }}
        // B block: 32 rows × 16 vec4 (128 halves); 512 vec4, 2 per thread.
        for (var i = 0u; i < 2u; i++) {{
            let v = t + i * 256u;
            let r = v / 16u;
            let q = v % 16u;
            put(r * B_STRIDE + q * 8u, b[((k + r) * SIZE + col0) / 8u + q], false);
        }}
        workgroupBarrier();
        for (var kk = 0u; kk < BK; kk += 16u) {{
            let b0 = coopLoadT<coop_mat16x16<f16, B>>(&sb[kk * B_STRIDE + wc], B_STRIDE);
            let b1 = coopLoadT<coop_mat16x16<f16, B>>(&sb[kk * B_STRIDE + wc + 16u], B_STRIDE);
{multiply}        }}
        workgroupBarrier();
    }}
{store}}}
"
    );
    Variant {
        name: "coop_shared_128x128",
        wgsl,
        tile_m: 128,
        tile_n: 128,
        threads: 256,
    }
}

fn open() -> anyhow::Result<(wgpu::Adapter, wgpu::Device, wgpu::Queue)> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
    let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
    let adapter = adapters
        .into_iter()
        .max_by_key(|adapter| {
            let info = adapter.get_info();
            let kind = match info.device_type {
                wgpu::DeviceType::DiscreteGpu => 3,
                wgpu::DeviceType::IntegratedGpu => 2,
                wgpu::DeviceType::VirtualGpu => 1,
                _ => 0,
            };
            (kind, info.backend == wgpu::Backend::Vulkan)
        })
        .ok_or_else(|| anyhow::anyhow!("no GPU adapter found"))?;
    let wanted = wgpu::Features::EXPERIMENTAL_COOPERATIVE_MATRIX
        | wgpu::Features::SHADER_F16
        | wgpu::Features::SUBGROUP;
    let offered = adapter.features();
    let info = adapter.get_info();
    println!(
        "{}",
        serde_json::json!({
            "adapter": info.name,
            "backend": format!("{:?}", info.backend),
            "driver": info.driver_info,
            "cooperative_matrix": offered.contains(wgpu::Features::EXPERIMENTAL_COOPERATIVE_MATRIX),
            "shader_f16": offered.contains(wgpu::Features::SHADER_F16),
            "subgroup": offered.contains(wgpu::Features::SUBGROUP),
        })
    );
    if !offered.contains(wanted) {
        anyhow::bail!(
            "{} lacks {:?}: no cooperative-matrix kernels to time",
            info.name,
            wanted - offered
        );
    }
    let descriptor = wgpu::DeviceDescriptor {
        label: Some("coopmat probe"),
        required_features: wanted,
        required_limits: adapter.limits(),
        // SAFETY: this probe only runs shaders that naga validated, on buffers sized for
        // every access they make; the risk wgpu names is bugs in its experimental code.
        experimental_features: unsafe { wgpu::ExperimentalFeatures::enabled() },
        memory_hints: wgpu::MemoryHints::Performance,
        trace: wgpu::Trace::Off,
    };
    let (device, queue) = pollster::block_on(adapter.request_device(&descriptor))?;
    Ok((adapter, device, queue))
}

fn main() -> anyhow::Result<()> {
    let sizes: Vec<u32> = std::env::args()
        .skip(1)
        .map(|argument| argument.parse())
        .collect::<Result<_, _>>()?;
    let sizes = if sizes.is_empty() {
        DEFAULT_SIZES.to_vec()
    } else {
        sizes
    };
    if let Some(bad) = sizes.iter().find(|&&size| size == 0 || size % 128 != 0) {
        anyhow::bail!("size {bad} must be a positive multiple of 128");
    }
    // naga checks the kernels first, so that a machine without the feature still tests
    // that they are valid WGSL.
    for &size in &sizes {
        for variant in [global_variant(size), shared_variant(size)] {
            let module = naga::front::wgsl::parse_str(&variant.wgsl).map_err(|error| {
                anyhow::anyhow!("{}: {}", variant.name, error.emit_to_string(&variant.wgsl))
            })?;
            naga::valid::Validator::new(
                naga::valid::ValidationFlags::all(),
                naga::valid::Capabilities::all(),
            )
            .validate(&module)
            .map_err(|error| anyhow::anyhow!("{}: {error:?}", variant.name))?;
        }
    }
    println!("{}", serde_json::json!({"naga_validated": true}));
    let (adapter, device, queue) = open()?;
    for properties in adapter.cooperative_matrix_properties() {
        println!(
            "{}",
            serde_json::json!({
                "config": format!("{}x{}x{}", properties.m_size, properties.n_size, properties.k_size),
                "ab": format!("{:?}", properties.ab_type),
                "cr": format!("{:?}", properties.cr_type),
            })
        );
    }
    for &size in &sizes {
        let n = size as usize;
        let mut rng = StdRng::seed_from_u64(u64::from(size));
        let a: Vec<f16> = (0..n * n)
            .map(|_| f16::from_f32(rng.random_range(-1.0..1.0)))
            .collect();
        let b: Vec<f16> = (0..n * n)
            .map(|_| f16::from_f32(rng.random_range(-1.0..1.0)))
            .collect();
        let bits = |values: &[f16]| values.iter().map(|v| v.to_bits()).collect::<Vec<u16>>();
        let usage = wgpu::BufferUsages::STORAGE;
        let a_buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("a"),
            contents: bytemuck::cast_slice(&bits(&a)),
            usage,
        });
        let b_buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("b"),
            contents: bytemuck::cast_slice(&bits(&b)),
            usage,
        });
        let c_bytes = (n * n * 4) as u64;
        let c_buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("c"),
            size: c_bytes,
            usage: usage | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let readback = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: c_bytes,
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            mapped_at_creation: false,
        });
        for variant in [global_variant(size), shared_variant(size)] {
            let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(variant.name),
                source: wgpu::ShaderSource::Wgsl(variant.wgsl.as_str().into()),
            });
            let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(variant.name),
                layout: None,
                module: &module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            });
            let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(variant.name),
                layout: &pipeline.get_bind_group_layout(0),
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: a_buffer.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: b_buffer.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: c_buffer.as_entire_binding(),
                    },
                ],
            });
            let run = |repeats: u32| -> anyhow::Result<f64> {
                let mut encoder = device.create_command_encoder(&Default::default());
                {
                    let mut pass = encoder.begin_compute_pass(&Default::default());
                    pass.set_pipeline(&pipeline);
                    pass.set_bind_group(0, &bind_group, &[]);
                    for _ in 0..repeats {
                        pass.dispatch_workgroups(size / variant.tile_n, size / variant.tile_m, 1);
                    }
                }
                let start = Instant::now();
                queue.submit([encoder.finish()]);
                device.poll(wgpu::PollType::wait_indefinitely())?;
                Ok(start.elapsed().as_secs_f64())
            };
            run(1)?;
            let mut best = f64::INFINITY;
            for _ in 0..WINDOWS {
                best = best.min(run(REPEATS)? / f64::from(REPEATS));
            }
            // Check: one more product, read back.
            let mut encoder = device.create_command_encoder(&Default::default());
            encoder.copy_buffer_to_buffer(&c_buffer, 0, &readback, 0, c_bytes);
            queue.submit([encoder.finish()]);
            let slice = readback.slice(..);
            slice.map_async(wgpu::MapMode::Read, |_| {});
            device.poll(wgpu::PollType::wait_indefinitely())?;
            let c: Vec<f32> = bytemuck::cast_slice(&slice.get_mapped_range()?).to_vec();
            readback.unmap();
            let mut worst = 0.0f64;
            for _ in 0..CHECKED {
                let (i, j) = (rng.random_range(0..n), rng.random_range(0..n));
                let exact: f64 = (0..n)
                    .map(|k| f64::from(a[i * n + k].to_f32()) * f64::from(b[k * n + j].to_f32()))
                    .sum();
                worst = worst.max((f64::from(c[i * n + j]) - exact).abs() / (n as f64).sqrt());
            }
            let flops = 2.0 * (n as f64).powi(3);
            println!(
                "{}",
                serde_json::json!({
                    "kernel": variant.name,
                    "size": size,
                    "threads": variant.threads,
                    "ms": best * 1e3,
                    "tflops": flops / best / 1e12,
                    "max_error_over_sqrt_k": worst,
                    "checked": CHECKED,
                })
            );
        }
    }
    Ok(())
}
