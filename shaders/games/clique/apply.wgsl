// Plays actions[i] in state i. CLIQUE_NO_ACTION, an illegal action or a finished game
// leaves the state as it was. One thread a state.

@group(0) @binding(0) var<storage, read_write> states: array<CliqueState>;
@group(0) @binding(1) var<storage, read> actions: array<u32>;
@group(0) @binding(2) var<uniform> params: BatchParams;

@compute @workgroup_size(CLIQUE_WORKGROUP)
fn apply(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if i >= params.batch {
        return;
    }
    var s = states[i];
    if clique_apply(&s, actions[i]) {
        states[i] = s;
    }
}
