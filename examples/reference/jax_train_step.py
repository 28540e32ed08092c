"""The residual-net train step of `wgzero bench kernels --only train`, written in JAX.

Same network as src/nn/resnet.rs (ResNet::chess_benchmark): NHWC 8x8x119 input, 3x3 stem
to 64 filters, 3 residual blocks of two 3x3 convolutions with biases, a 1x1 policy head
of 73 planes (4672 logits), a value head (1x1 conv, 64 -> 64 dense, tanh). Loss: masked
soft cross-entropy + value MSE. Optimizer: Adam (optax), lr 1e-3.

Prints one JSON line per precision setting with steps/s (median of timed windows).
Run on the device: python3 examples/reference/jax_train_step.py --batch 1024
"""

import argparse
import json
import statistics
import time

import jax
import jax.numpy as jnp
import optax


def conv(x, w, b):
    y = jax.lax.conv_general_dilated(
        x, w, window_strides=(1, 1), padding="SAME",
        dimension_numbers=("NHWC", "HWIO", "NHWC"))
    return y + b


def init(key, planes=119, filters=64, blocks=3, policy_planes=73, value_hidden=64):
    keys = iter(jax.random.split(key, 64))

    def he(shape, fan_in):
        return jax.random.normal(next(keys), shape) * jnp.sqrt(2.0 / fan_in)

    params = {"stem": (he((3, 3, planes, filters), 9 * planes), jnp.zeros(filters))}
    for i in range(blocks):
        params[f"block{i}.a"] = (he((3, 3, filters, filters), 9 * filters), jnp.zeros(filters))
        params[f"block{i}.b"] = (he((3, 3, filters, filters), 9 * filters), jnp.zeros(filters))
    params["policy"] = (he((1, 1, filters, policy_planes), filters) * 0.1, jnp.zeros(policy_planes))
    params["value.conv"] = (he((1, 1, filters, 1), filters), jnp.zeros(1))
    params["value.hidden"] = (he((64, value_hidden), 64), jnp.zeros(value_hidden))
    params["value.out"] = (he((value_hidden, 1), value_hidden) * 0.1, jnp.zeros(1))
    return params


def forward(params, obs, blocks=3):
    x = jax.nn.relu(conv(obs, *params["stem"]))
    for i in range(blocks):
        h = jax.nn.relu(conv(x, *params[f"block{i}.a"]))
        h = conv(h, *params[f"block{i}.b"])
        x = jax.nn.relu(h + x)
    batch = obs.shape[0]
    logits = conv(x, *params["policy"]).reshape(batch, -1)
    v = jax.nn.relu(conv(x, *params["value.conv"])).reshape(batch, -1)
    v = jax.nn.relu(v @ params["value.hidden"][0] + params["value.hidden"][1])
    value = jnp.tanh(v @ params["value.out"][0] + params["value.out"][1])
    return logits, value


def loss_fn(params, obs, mask, target, value_target):
    logits, value = forward(params, obs)
    logits = jnp.where(mask > 0, logits, -1e30)
    logp = jax.nn.log_softmax(logits, axis=-1)
    policy_loss = -jnp.mean(jnp.sum(target * logp, axis=-1))
    value_loss = jnp.mean((value - value_target) ** 2)
    return policy_loss + value_loss


def setup(batch):
    """The jitted train step on fixed random data of `batch` positions (sparse binary
    planes, a legal mask, a uniform policy over it, values in [-1, 1]), with the initial
    parameters and Adam state: (step, params, state)."""
    key = jax.random.PRNGKey(0)
    params = init(key)
    optimizer = optax.adam(1e-3)
    state = optimizer.init(params)
    k1, k2, k3 = jax.random.split(key, 3)
    obs = (jax.random.uniform(k1, (batch, 8, 8, 119)) > 0.7).astype(jnp.float32)
    mask = (jax.random.uniform(k2, (batch, 4672)) > 0.9).astype(jnp.float32)
    target = mask / jnp.maximum(mask.sum(-1, keepdims=True), 1.0)
    value_target = jax.random.uniform(k3, (batch, 1)) * 2 - 1

    @jax.jit
    def step(params, state):
        loss, grads = jax.value_and_grad(loss_fn)(params, obs, mask, target, value_target)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    return step, params, state


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    device = jax.devices()[0]
    for precision in ["default", "highest"]:
        with jax.default_matmul_precision(precision):
            step, params, state = setup(args.batch)
            for _ in range(5):
                params, state, loss = step(params, state)
            loss.block_until_ready()
            windows = []
            deadline = time.perf_counter() + args.seconds
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                for _ in range(20):
                    params, state, loss = step(params, state)
                loss.block_until_ready()
                windows.append(20 / (time.perf_counter() - start))
            print(json.dumps({
                "bench": "train_step_jax",
                "precision": precision,
                "batch": args.batch,
                "steps_per_s": statistics.median(windows),
                "device": str(device),
                "loss": float(loss),
            }), flush=True)


if __name__ == "__main__":
    main()
