"""Offline generator of the PyTorch CTC reference values in ``tests/data/ctc.json``.

Runs ``torch.nn.functional.ctc_loss`` (CPU) on log-probabilities made by
``log_softmax`` of seeded normal logits in the case's dtype. PyTorch then
computes in float64 on those values, for f32 cases too, whose results are
rounded to f32: ndloss runs the recursion in f64 for both types, while
PyTorch's float32 recursion carries its own rounding of the log-space
variables (f32's spacing at |alpha| = 1000 is 6e-5), which reaches 2e-5 of
the gradient on the saturated cases (the script prints how far). Per case:

* the inputs: ``log_probs`` (``(T, N, C)``, or ``(T, C)`` unbatched),
  ``targets`` (padded ``(N, S)`` or concatenated ``(sum S_n,)``; padding
  entries are random classes, which ctc_loss must not read),
  ``input_lengths``, ``target_lengths``, ``blank``, ``zero_infinity``,
  ``reduction``;
* ``value``: the reduced loss (``reduction`` as given);
* ``unreduced``: ``reduction='none'``;
* ``grad``: ``log_probs.grad`` after ``loss.backward()`` on the reduced
  loss: PyTorch's gradient, ``exp(log_probs) - gamma`` inside each input
  length (NaN where the loss is infinite and ``zero_infinity`` is off), 0
  after it.

The cases cover every reduction, both target forms, the unbatched form, a
blank other than 0, input lengths below T, empty targets, repeated labels
with exactly enough frames and with too few (an infinite loss, with and
without ``zero_infinity``), T = 1, saturated log-probabilities (logits
scaled by 60, so most entries are near -1000), single-label classes and
longer sequences (T = 400 in f64). Non-finite floats are the strings
``"nan"``, ``"inf"``, ``"-inf"``, as in the other reference files.

    pip install torch
    python3 scripts/gen_reference_ctc.py

Users and CI never run this script: its output is committed.
"""

import json
import math

import torch
import torch.nn.functional as F


def enc_float(x):
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def enc(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": [enc_float(v) for v in t.reshape(-1).tolist()]}


def enc_index(t):
    return {"shape": list(t.shape), "data": [int(v) for v in t.reshape(-1).tolist()]}


DEVIATIONS = []


def make_case(name, dtype, T, C, targets, input_lengths, blank=0, reduction="mean",
              zero_infinity=False, form="padded", unbatched=False, scale=1.0, seed=0):
    """`targets`: a list of per-sample label lists (no blanks)."""
    g = torch.Generator().manual_seed(seed)
    tdtype = {"f32": torch.float32, "f64": torch.float64}[dtype]
    N = len(targets)
    shape = (T, C) if unbatched else (T, N, C)
    logits = torch.randn(shape, generator=g, dtype=torch.float64) * scale
    # The inputs are f32 or f64 values; PyTorch then runs in float64 on them
    # (see the module doc), and the f32 results are rounded to f32.
    inputs = logits.to(tdtype).log_softmax(-1).detach()
    log_probs = inputs.to(torch.float64).requires_grad_()
    target_lengths = [len(t) for t in targets]
    if form == "padded":
        S = max(target_lengths + [1])
        padded = torch.randint(0, C, (N, S), generator=g)
        for n, t in enumerate(targets):
            for j, k in enumerate(t):
                padded[n, j] = k
        tg = padded
    else:
        tg = torch.tensor([k for t in targets for k in t], dtype=torch.long)
    if unbatched:
        assert N == 1
        tg_t = tg[0] if form == "padded" else tg
        il = torch.tensor(input_lengths[0])
        tl = torch.tensor(target_lengths[0])
    else:
        tg_t, il, tl = tg, torch.tensor(input_lengths), torch.tensor(target_lengths)
    kw = dict(blank=blank, zero_infinity=zero_infinity)
    unreduced = F.ctc_loss(log_probs, tg_t, il, tl, reduction="none", **kw)
    value = F.ctc_loss(log_probs, tg_t, il, tl, reduction=reduction, **kw)
    value.backward()
    grad = log_probs.grad.to(tdtype)
    # How far PyTorch's own f32 arithmetic is from it, for the record.
    lp32 = inputs.clone().requires_grad_()
    if tdtype == torch.float32:
        v32 = F.ctc_loss(lp32, tg_t, il, tl, reduction=reduction, **kw)
        v32.backward()
        finite = torch.isfinite(grad) & torch.isfinite(lp32.grad)
        scale_g = grad[finite].abs().max().item() if finite.any() else 1.0
        dev = ((lp32.grad - grad)[finite].abs().max().item() / max(scale_g, 1e-300)
               if finite.any() else 0.0)
        DEVIATIONS.append((name, dev))
    return {
        "name": name,
        "dtype": dtype,
        "blank": blank,
        "zero_infinity": zero_infinity,
        "reduction": reduction,
        "target_form": form,
        "unbatched": unbatched,
        "log_probs": enc(inputs),
        "targets": enc_index(tg),
        "input_lengths": list(input_lengths),
        "target_lengths": target_lengths,
        "value": enc_float(value.to(tdtype).item()),
        "unreduced": enc(unreduced.reshape(-1).to(tdtype)),
        "grad": enc(grad),
    }


def rand_targets(g, n, lo, hi, classes, blank):
    labels = [k for k in range(classes) if k != blank]
    out = []
    for _ in range(n):
        s = int(torch.randint(lo, hi + 1, (1,), generator=g))
        out.append([labels[int(i)] for i in torch.randint(0, len(labels), (s,), generator=g)])
    return out


def main():
    cases = []
    seed = 0

    def add(name, **kw):
        nonlocal seed
        for dtype in ("f32", "f64"):
            seed += 1
            cases.append(make_case(f"{name}_{dtype}", dtype, seed=seed, **kw))

    g = torch.Generator().manual_seed(1234)
    small = [[1, 2], [3, 3], [2]]
    for reduction in ("mean", "sum"):
        for form in ("padded", "concatenated"):
            add(f"small_{reduction}_{form}", T=6, C=4, targets=small,
                input_lengths=[6, 5, 4], reduction=reduction, form=form)
    add("unbatched_mean", T=7, C=5, targets=[[1, 4, 2]], input_lengths=[7], unbatched=True)
    add("unbatched_sum_short", T=9, C=3, targets=[[1, 2, 1, 1]], input_lengths=[6],
        unbatched=True, reduction="sum", form="concatenated")
    add("blank_last", T=8, C=6, targets=[[0, 1, 2], [4, 4], [3]], input_lengths=[8, 8, 3],
        blank=5, reduction="sum")
    add("empty_targets", T=5, C=4, targets=[[], [2], []], input_lengths=[5, 3, 1],
        reduction="mean")
    add("empty_targets_concat", T=5, C=4, targets=[[], [1, 3], []], input_lengths=[4, 5, 5],
        reduction="sum", form="concatenated")
    # A target of S labels with R repeats needs S + R frames.
    add("repeats_exact", T=6, C=3, targets=[[1, 1, 1], [2, 2, 1, 1]], input_lengths=[5, 6],
        reduction="sum")
    add("repeats_impossible", T=6, C=3, targets=[[1, 1, 1], [2, 1]], input_lengths=[4, 6],
        reduction="sum")
    add("repeats_impossible_zero_inf", T=6, C=3, targets=[[1, 1, 1], [2, 1]],
        input_lengths=[4, 6], reduction="mean", zero_infinity=True)
    add("too_long_zero_inf_sum", T=4, C=5, targets=[[1, 2, 3, 4, 1], [3]],
        input_lengths=[4, 2], reduction="sum", zero_infinity=True)
    add("t1", T=1, C=4, targets=[[2], [], [3]], input_lengths=[1, 1, 1], reduction="sum")
    add("t1_mean", T=1, C=3, targets=[[1], [2]], input_lengths=[1, 1], reduction="mean",
        form="concatenated")
    add("saturated", T=12, C=5, targets=[[1, 2, 3], [4, 4, 1], [2]],
        input_lengths=[12, 10, 12], scale=60.0, reduction="sum")
    add("saturated_mean", T=10, C=4, targets=[[3, 1], [1, 2, 3]], input_lengths=[10, 9],
        scale=30.0, reduction="mean", form="concatenated")
    add("two_classes", T=10, C=2, targets=[[1, 1, 1], [1]], input_lengths=[10, 7],
        reduction="mean")
    add("medium", T=50, C=20, targets=rand_targets(g, 4, 0, 20, 20, 0),
        input_lengths=[50, 45, 38, 50], reduction="mean")
    add("medium_concat", T=40, C=12, targets=rand_targets(g, 5, 1, 15, 12, 3),
        input_lengths=[40, 40, 33, 29, 40], blank=3, reduction="sum", form="concatenated")
    # Longer sequences in f64 only (f32's log-space rounding in PyTorch grows with T).
    for name, T, C, S in (("long", 400, 30, 120), ("long_short_target", 300, 8, 10)):
        seed += 1
        cases.append(make_case(f"{name}_f64", "f64", T=T, C=C,
                               targets=rand_targets(g, 2, S // 2, S, C, 0),
                               input_lengths=[T, T - 17], reduction="mean", seed=seed))

    out = {
        "torch_version": torch.__version__,
        "generator": "scripts/gen_reference_ctc.py",
        "cases": cases,
    }
    with open("tests/data/ctc.json", "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"{len(cases)} cases")
    worst = max(DEVIATIONS, key=lambda d: d[1])
    print(f"PyTorch's float32 arithmetic against it: worst gradient deviation "
          f"{worst[1]:.1e} (relative to the case's largest entry), {worst[0]}")


if __name__ == "__main__":
    main()
