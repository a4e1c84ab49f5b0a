#!/usr/bin/env python3
"""Time PyTorch (CPU, f32, one thread) on the workloads of ndloss's benches.

Purpose
-------
So that BENCHMARKS.md can put PyTorch beside ndloss, candle and the naive
ndarray code measured on one machine in one sitting, this script times, with
``torch.set_num_threads(1)``:

* MSE forward + backward (``F.mse_loss``, mean; ``loss.backward()``; the
  loss value read with ``.item()`` and ``pred.grad`` reset to ``None`` each
  call, as ``zero_grad()`` does) at N = 16, 1M and 16M;
* cross-entropy forward + backward (``F.cross_entropy`` from logits with
  int64 class indices, mean) at 32 x 10, 256 x 1000 and 32 x 32768;
* ``torch.optim.Adam`` (lr 1e-3) ``step()`` on 16M parameters: the default
  on CPU (``foreach=None, fused=None``: torch resolves it to the single-tensor
  for-loop implementation, i.e. ``foreach=False, fused=False``, because the
  foreach kernels are only picked by default on CUDA/XPU-like devices) and
  ``fused=True``;
* ``torch.optim.SGD`` (lr 0.01, momentum 0.9) ``step()`` on 16M parameters,
  default (single-tensor) and ``fused=True``;
* CTC forward + backward (``F.ctc_loss``, blank 0, mean, concatenated int64
  targets, every input length T) at T x N x C x S = 200 x 32 x 40 x 50 and
  over T (100 … 1600, N = 8) and S (10 … 100, T = 400, N = 8), C = 40, as
  ``benches/ctc.rs``.

The inputs are the very same numbers as the Rust benches use: the SplitMix64
generator of ``benches/common/mod.rs`` is reproduced bit for bit with numpy
(seeds ``0x5EED ^ n`` for MSE, ``0xCE ^ rows*cols`` for cross-entropy,
``0xAD ^ n`` for the optimizers, ``0xC7C ^ T*N*C*S`` for CTC, the same order of draws), so the loss values
printed here equal those printed by ``benches/peers`` to float rounding.

Each workload is run a few times as warm-up (the optimizers' state is
allocated by that first step), then timed with
``torch.utils.benchmark.Timer.blocked_autorange`` (``--min-run-time`` seconds,
default 2): the statement runs in blocks of 1, 10, 100… calls, sized so a
block lasts at least ``min_run_time / 1000`` (2 ms by default) with the timer
overhead under 0.01%, until ``min_run_time`` has passed; the median and the
minimum of the per-call times of the blocks are reported.

Command (from the repository root; pin a core for steadier numbers)::

    python3 scripts/bench_torch.py
    taskset -c 1 python3 scripts/bench_torch.py --min-run-time 2

Output: a Markdown table on stdout, and ``target/bench_torch.json`` (torch
version, thread count, machine, and per workload the median, minimum, number
of blocks and calls per block, in seconds).

Requirements: Python 3.9+, PyTorch 2.x (CPU build is enough; measured with
2.15) and numpy. About 1.5 GB of memory (16M-element f32 arrays and their
optimizer state) and about a minute to run.
"""

import argparse
import json
import os
import platform
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils import benchmark

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

MSE_SIZES = [16, 1 << 20, 1 << 24]
CE_SHAPES = [(32, 10), (256, 1000), (32, 32768)]
OPTIM_SIZE = 1 << 24
CTC_SHAPES = (
    [("ctc_forward_grad", (200, 32, 40, 50))]
    + [("ctc_over_t", (t, 8, 40, 50)) for t in (100, 200, 400, 800, 1600)]
    + [("ctc_over_s", (400, 8, 40, s)) for s in (10, 25, 50, 100)]
)

_MASK = (1 << 64) - 1
_GAMMA = np.uint64(0x9E3779B97F4A7C15)


def splitmix64(seed, count, start=0):
    """Outputs ``start .. start+count`` of ``Rng::new(seed).next_u64()``.

    SplitMix64's state after k calls is ``seed + k·γ`` (mod 2⁶⁴), so the
    whole stream vectorises.
    """
    with np.errstate(over="ignore"):
        k = np.arange(start + 1, start + count + 1, dtype=np.uint64)
        z = np.uint64(seed & _MASK) + k * _GAMMA
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def uniform(bits, lo, hi):
    """``Rng::uniform(lo, hi)`` in f32 from raw ``next_u64`` outputs."""
    unit = (bits >> np.uint64(40)).astype(np.float32) * np.float32(1.0 / (1 << 24))
    lo, hi = np.float32(lo), np.float32(hi)
    return lo + (hi - lo) * unit


def mse_inputs(n):
    bits = splitmix64(0x5EED ^ n, 2 * n)
    return uniform(bits[:n], -1.0, 1.0), uniform(bits[n:], -1.0, 1.0)


def ce_inputs(rows, cols):
    bits = splitmix64(0xCE ^ (rows * cols), rows * cols + rows)
    logits = uniform(bits[: rows * cols], -4.0, 4.0).reshape(rows, cols)
    classes = (bits[rows * cols :] % np.uint64(cols)).astype(np.int64)
    return logits, classes


def optim_inputs(n):
    """Parameters in [−1, 1); gradients with |g| in [0.01, 1) and a random
    sign (two draws per element), as ``inputs`` of ``benches/optim.rs``."""
    bits = splitmix64(0xAD ^ n, 3 * n)
    param = uniform(bits[:n], -1.0, 1.0)
    rest = bits[n:]
    mag = uniform(rest[0::2], 0.01, 1.0)
    sign = np.where((rest[1::2] & np.uint64(1)) == 0, np.float32(1.0), np.float32(-1.0))
    return param, (mag * sign).astype(np.float32)


def ctc_inputs(t, n, c, s):
    """``ctc_inputs`` of ``benches/common/mod.rs``: logits uniform in
    [−4, 4) drawn in (T, N, C) order, their f32 log-softmax over C, then N·S
    labels ``1 + below(C − 1)``."""
    bits = splitmix64(0xC7C ^ (t * n * c * s), t * n * c + n * s)
    x = uniform(bits[: t * n * c], -4.0, 4.0).reshape(t, n, c)
    m = x.max(axis=2, keepdims=True)
    lse = m + np.log(np.exp(x - m).sum(axis=2, keepdims=True, dtype=np.float32))
    lp = (x - lse).astype(np.float32)
    targets = (np.uint64(1) + bits[t * n * c :] % np.uint64(c - 1)).astype(np.int64)
    return lp, targets


def fmt(seconds):
    ns = seconds * 1e9
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def measure(fn, min_run_time, warmup=3):
    for _ in range(warmup):
        fn()
    m = benchmark.Timer(stmt="fn()", globals={"fn": fn}, num_threads=1).blocked_autorange(
        min_run_time=min_run_time
    )
    return {
        "median_s": statistics.median(m.times),
        "min_s": min(m.times),
        "blocks": len(m.times),
        "calls_per_block": m.number_per_run,
    }


def mse_workload(n):
    p, t = mse_inputs(n)
    pred = torch.from_numpy(p).requires_grad_(True)
    target = torch.from_numpy(t)

    def step():
        pred.grad = None
        loss = F.mse_loss(pred, target)
        loss.backward()
        return loss.item(), pred.grad

    value = step()[0]
    d = p.astype(np.float64) - t
    ref = float(np.mean(d * d))
    assert abs(value - ref) <= 1e-5 * ref, (n, value, ref)
    return step, value


def ce_workload(rows, cols):
    x, y = ce_inputs(rows, cols)
    logits = torch.from_numpy(x).requires_grad_(True)
    classes = torch.from_numpy(y)

    def step():
        logits.grad = None
        loss = F.cross_entropy(logits, classes)
        loss.backward()
        return loss.item(), logits.grad

    value = step()[0]
    x64 = x.astype(np.float64)
    m = x64.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(x64 - m).sum(axis=1))
    ref = float(np.mean(lse - x64[np.arange(rows), y]))
    assert abs(value - ref) <= 1e-5 * ref, ((rows, cols), value, ref)
    return step, value


def ctc_workload(t, n, c, s):
    lp, y = ctc_inputs(t, n, c, s)
    log_probs = torch.from_numpy(lp).requires_grad_(True)
    targets = torch.from_numpy(y)
    il = torch.full((n,), t, dtype=torch.int64)
    tl = torch.full((n,), s, dtype=torch.int64)

    def step():
        log_probs.grad = None
        loss = F.ctc_loss(log_probs, targets, il, tl, blank=0, reduction="mean")
        loss.backward()
        return loss.item(), log_probs.grad

    return step, step()[0]


def optim_workload(make):
    p, g = optim_inputs(OPTIM_SIZE)
    param = torch.nn.Parameter(torch.from_numpy(p))
    param.grad = torch.from_numpy(g)
    opt = make([param])
    opt.step()  # allocates the state: every timed step is a steady-state update
    return opt.step


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--min-run-time", type=float, default=2.0, help="seconds per workload")
    ap.add_argument(
        "--only", default=None, help="run only the groups whose name starts with this (e.g. ctc)"
    )
    ap.add_argument("--out", default=os.path.join(ROOT, "target", "bench_torch.json"))
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)

    def wanted(group):
        return args.only is None or group.startswith(args.only)

    workloads = []  # (group, size, label, fn, loss value or None)
    for n in MSE_SIZES if wanted("mse_forward_grad") else []:
        fn, v = mse_workload(n)
        workloads.append(("mse_forward_grad", str(n), "F.mse_loss + backward", fn, v))
    for rows, cols in CE_SHAPES if wanted("cross_entropy_forward_grad") else []:
        fn, v = ce_workload(rows, cols)
        workloads.append(
            ("cross_entropy_forward_grad", f"{rows}x{cols}", "F.cross_entropy + backward", fn, v)
        )
    for group, (t, n, c, sl) in CTC_SHAPES:
        if wanted(group):
            fn, v = ctc_workload(t, n, c, sl)
            workloads.append((group, f"{t}x{n}x{c}x{sl}", "F.ctc_loss + backward", fn, v))
    optimizers = [
        ("adam_step", "Adam default (single-tensor)", lambda ps: torch.optim.Adam(ps, lr=1e-3)),
        ("adam_step", "Adam fused=True", lambda ps: torch.optim.Adam(ps, lr=1e-3, fused=True)),
        (
            "sgd_momentum_step",
            "SGD momentum default (single-tensor)",
            lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9),
        ),
        (
            "sgd_momentum_step",
            "SGD momentum fused=True",
            lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9, fused=True),
        ),
    ]

    results = []
    for group, size, label, fn, value in workloads:
        r = measure(fn, args.min_run_time)
        results.append({"group": group, "size": size, "torch": label, "loss": value, **r})
        del fn
    for group, label, make in optimizers:
        if not wanted(group):
            continue
        step = optim_workload(make)
        r = measure(step, args.min_run_time)
        results.append({"group": group, "size": str(OPTIM_SIZE), "torch": label, **r})
        del step

    print(f"\nPyTorch {torch.__version__}, {torch.get_num_threads()} thread, f32, CPU\n")
    print("| group | size | torch | median | min | loss |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in results:
        loss = f"{r['loss']:.7g}" if r.get("loss") is not None else ""
        print(
            f"| {r['group']} | {r['size']} | {r['torch']} | {fmt(r['median_s'])} "
            f"| {fmt(r['min_s'])} | {loss} |"
        )

    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(l.split(":", 1)[1].strip() for l in fh if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(
            {
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "cpu": cpu,
                "affinity": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
                "date": time.strftime("%Y-%m-%d %H:%M:%S"),
                "min_run_time_s": args.min_run_time,
                "results": results,
            },
            fh,
            indent=2,
        )
    print(f"\nwrote {os.path.relpath(args.out)}")


if __name__ == "__main__":
    main()
