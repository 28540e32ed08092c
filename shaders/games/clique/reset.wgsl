// Every state of the batch back to the empty board, player 0 to move. One thread a state.

@group(0) @binding(0) var<storage, read_write> states: array<CliqueState>;
@group(0) @binding(1) var<uniform> params: BatchParams;

@compute @workgroup_size(CLIQUE_WORKGROUP)
fn reset(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if i >= params.batch {
        return;
    }
    var s: CliqueState;
    clique_reset(&s);
    states[i] = s;
}
