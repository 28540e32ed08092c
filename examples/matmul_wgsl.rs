//! Prints the WGSL the matmul template generates for a dense product, to read it or feed
//! it to `naga` (e.g. `naga kernel.wgsl kernel.spvasm` shows the SPIR-V drivers get).
//!
//! `cargo run --release --example matmul_wgsl -- M N K [TILE_M TILE_N TILE_K THREAD_M THREAD_N]`
//! Without tiles, uses the ones `choose_tiles` picks for the browser baseline.

use wgzero::graph::kernels::{AdapterCaps, MatmulSpec, Tiles, choose_tiles, matmul_wgsl};

fn main() -> anyhow::Result<()> {
    let numbers: Vec<u32> = std::env::args()
        .skip(1)
        .map(|argument| argument.parse())
        .collect::<Result<_, _>>()?;
    let [m, n, k] = numbers[..3.min(numbers.len())] else {
        anyhow::bail!("usage: matmul_wgsl M N K [TILE_M TILE_N TILE_K THREAD_M THREAD_N]");
    };
    let spec = MatmulSpec::dense(1, m, n, k);
    let tiles = match numbers[3..] {
        [tile_m, tile_n, tile_k, thread_m, thread_n] => Tiles {
            tile_m,
            tile_n,
            tile_k,
            thread_m,
            thread_n,
            double_buffer: true,
        },
        [] => choose_tiles(&spec, &AdapterCaps::baseline()),
        _ => anyhow::bail!("give all five tile numbers or none"),
    };
    print!("{}", matmul_wgsl(&spec, &tiles)?);
    Ok(())
}
