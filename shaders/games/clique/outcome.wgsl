// outcomes[i] = (1 if state i is over else 0, its value for the player to move: 1 won,
// 0 drawn or ongoing, -1 lost). One thread a state.

@group(0) @binding(0) var<storage, read> states: array<CliqueState>;
@group(0) @binding(1) var<storage, read_write> outcomes: array<vec2<f32>>;
@group(0) @binding(2) var<uniform> params: BatchParams;

@compute @workgroup_size(CLIQUE_WORKGROUP)
fn outcome(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if i >= params.batch {
        return;
    }
    var s = states[i];
    outcomes[i] = vec2<f32>(f32(clique_is_over(&s)), clique_terminal_value(&s));
}
