"""Per-kernel GPU time of JAX's train step from jax.profiler's CUPTI trace (ncu segfaults on
JAX here). Prints kernels per step, GPU-busy time per step and the kernels by total time."""
import collections, glob, sys
import jax
sys.path.insert(0, 'examples/reference')
import jax_train_step as J
STEPS = 10
step, params, state = J.setup(1024)
for _ in range(20):
    params, state, loss = step(params, state)
loss.block_until_ready()
with jax.profiler.trace('/tmp/jaxtrace'):
    for _ in range(STEPS):
        params, state, loss = step(params, state)
    loss.block_until_ready()
path = glob.glob('/tmp/jaxtrace/**/*.xplane.pb', recursive=True)[0]
try:
    from jax.profiler import ProfileData
except ImportError:
    from jax._src.profiler import ProfileData
data = ProfileData.from_file(path)
total = collections.defaultdict(float); count = collections.Counter(); spans = []
for plane in data.planes:
    if not plane.name.startswith('/device:GPU:0'): continue
    for line in plane.lines:
        print('# line', line.name, sum(1 for _ in line.events), file=sys.stderr)
        if not line.name.lower().startswith('stream'): continue
        for ev in line.events:
            total[ev.name[:100]] += ev.duration_ns; count[ev.name[:100]] += 1
            spans.append((ev.start_ns, ev.start_ns + ev.duration_ns))
spans.sort(); busy = 0; end = -1
for s, e in spans:
    if e <= end: continue
    busy += e - max(s, end); end = e
wall = (spans[-1][1] - spans[0][0]) if spans else 0
print(f'kernels per step {sum(count.values())/STEPS:.1f}, busy {busy/STEPS/1e3:.1f} us/step, '
      f'sum {sum(total.values())/STEPS/1e3:.1f} us/step, first-to-last {wall/STEPS/1e3:.1f} us/step')
for k, t in sorted(total.items(), key=lambda kv: -kv[1]):
    print(f'{t/STEPS/1e3:8.1f} us  x{count[k]/STEPS:4.1f}  {k}')
