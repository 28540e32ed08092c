// Legal moves as bits: masks[i * CLIQUE_LEGAL_WORDS + a / 32] has bit a % 32 set when
// action a is legal in state i (none once the game is over). One thread a state.

@group(0) @binding(0) var<storage, read> states: array<CliqueState>;
@group(0) @binding(1) var<storage, read_write> masks: array<u32>;
@group(0) @binding(2) var<uniform> params: BatchParams;

@compute @workgroup_size(CLIQUE_WORKGROUP)
fn legal_mask(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if i >= params.batch {
        return;
    }
    var s = states[i];
    let over = clique_is_over(&s);
    let base = i * CLIQUE_LEGAL_WORDS;
    var word = 0u;
    var bit = 0u;
    var written = 0u;
    for (var u = 0u; u + 1u < CLIQUE_N; u++) {
        let empty = select(clique_empty_above(&s, u), CLIQUE_MASK_EMPTY, over);
        for (var v = u + 1u; v < CLIQUE_N; v++) {
            word |= u32(mask_has(empty, v)) << bit;
            bit += 1u;
            if bit == 32u {
                masks[base + written] = word;
                written += 1u;
                word = 0u;
                bit = 0u;
            }
        }
    }
    if bit > 0u {
        masks[base + written] = word;
    }
}
