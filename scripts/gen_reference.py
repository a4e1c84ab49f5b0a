#!/usr/bin/env python3
"""Generate the PyTorch reference data used by ndloss's parity tests.

What it generates
-----------------
* ``tests/data/losses.json`` -- loss values (and, for ``mean``/``sum``
  reductions, gradients w.r.t. the prediction) computed with
  ``torch.nn.functional`` for MSE, MAE (L1), cross-entropy (class-index and
  probability targets, class weights, label smoothing, ignore_index), BCE and
  BCE-with-logits (pos_weight), each in f32 and f64 and for the reductions
  ``mean``, ``sum`` and ``none``.
* ``tests/data/optim.json`` -- 12-step parameter trajectories of
  ``torch.optim.SGD`` and ``torch.optim.Adam`` for a set of option
  combinations, each in f32 and f64, together with the gradients fed at each
  step.

How it is run
-------------
This script is run OFFLINE, by a developer, only when the reference data needs
to change::

    pip install torch numpy
    python3 scripts/gen_reference.py

The generated JSON files are committed; CI and users of the crate never need
Python or PyTorch.  The data was last generated with torch 2.15.0 (CPU
kernels; the PyPI wheel ``2.15.0+cu132``, no GPU used) and numpy 2.4.6.

Format
------
Every array is ``{"shape": [...], "data": [flat row-major list]}``; a scalar
is ``{"shape": [], "data": [x]}``.  Floats are written as Python floats (their
``repr`` round-trips exactly); f32 values are widened to f64 exactly.
Non-finite floats are written as the strings ``"nan"``, ``"inf"`` and
``"-inf"``.  Class-index targets are JSON integers.

Determinism
-----------
All inputs come from ``numpy.random.default_rng`` seeded with a CRC32 of the
configuration name, so adding a new configuration never changes the data of
existing ones.  Inputs are drawn in f64 and then rounded to the case dtype, so
the f32 and f64 cases of one configuration see the same (rounded) numbers.

Extending
---------
Add a configuration to one of the ``*_configs()`` lists (losses) or to
``SGD_OPTION_SETS`` / ``ADAM_OPTION_SETS`` (optimizers); for a new loss family
write a ``<family>_configs()`` function and a branch in ``compute_loss``.
"""

import json
import math
import os
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.path.join(ROOT, "tests", "data")
GENERATOR = "scripts/gen_reference.py"

DTYPES = {"f32": torch.float32, "f64": torch.float64}
REDUCTIONS = ("mean", "sum", "none")
OPTIM_STEPS = 12

torch.manual_seed(0)  # nothing below draws from torch's RNG, but be safe
torch.set_num_threads(1)  # reduction order must not depend on the thread count


# ---------------------------------------------------------------------------
# encoding helpers
# ---------------------------------------------------------------------------

def enc_float(x):
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def enc(t):
    """Encode a tensor / ndarray / number as {"shape", "data"}."""
    if isinstance(t, np.ndarray):
        t = torch.from_numpy(t)
    if not isinstance(t, torch.Tensor):
        t = torch.tensor(t)
    t = t.detach()
    flat = t.reshape(-1).tolist()
    if t.dtype.is_floating_point:
        data = [enc_float(x) for x in flat]
    else:
        data = [int(x) for x in flat]
    return {"shape": list(t.shape), "data": data}


def rng_for(name):
    return np.random.default_rng(zlib.crc32(name.encode("utf-8")))


def to_t(a, dtype):
    """f64 ndarray -> tensor of the case dtype (rounded for f32)."""
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=dtype)


# ---------------------------------------------------------------------------
# loss configurations
#
# A configuration is a dict:
#   name, loss, target_kind, options (only non-defaults),
#   pred (f64 ndarray), target (f64 ndarray or int64 ndarray for indices),
#   reductions (optional, default all three)
# The options "class_weights" are given as f64 lists and rounded to the dtype.
# ---------------------------------------------------------------------------

def large_values(rng, shape):
    sign = rng.choice([-1.0, 1.0], size=shape)
    return sign * 10.0 ** rng.uniform(3.0, 6.0, size=shape)


def regression_configs():
    cfgs = []
    for loss in ("mse", "mae"):
        for tag, shape in (("1d_7", (7,)), ("2d_3x4", (3, 4)), ("3d_2x3x5", (2, 3, 5)),
                           ("single", (1,))):
            name = f"{loss}_{tag}"
            r = rng_for(name)
            cfgs.append(dict(name=name, loss=loss, target_kind="dense", options={},
                             pred=r.normal(size=shape), target=r.normal(size=shape)))
        name = f"{loss}_large_3x4"
        r = rng_for(name)
        cfgs.append(dict(name=name, loss=loss, target_kind="dense", options={},
                         pred=large_values(r, (3, 4)), target=large_values(r, (3, 4))))
    # MAE with exact ties (pred == target): torch's subgradient sign(0) = 0.
    name = "mae_ties_2x5"
    r = rng_for(name)
    pred = r.normal(size=(2, 5))
    target = r.normal(size=(2, 5))
    tie = np.array([[1, 0, 1, 0, 0], [0, 0, 1, 1, 0]], dtype=bool)
    target[tie] = pred[tie]
    cfgs.append(dict(name=name, loss="mae", target_kind="dense", options={},
                     pred=pred, target=target))
    name = "mse_ties_2x5"
    cfgs.append(dict(name=name, loss="mse", target_kind="dense", options={},
                     pred=pred.copy(), target=target.copy()))
    return cfgs


def positive_weights(r, c):
    return list(r.uniform(0.2, 2.0, size=c))


def ce_index_configs():
    cfgs = []

    def add(name, logits, target, **options):
        cfgs.append(dict(name=name, loss="cross_entropy", target_kind="indices",
                         options=options, pred=logits,
                         target=np.asarray(target, dtype=np.int64)))

    for (n, c) in ((5, 4), (8, 10), (1, 3)):
        name = f"ce_idx_{n}x{c}"
        r = rng_for(name)
        add(name, r.normal(size=(n, c)) * 2.0, r.integers(0, c, size=n))

    name = "ce_idx_weights_8x10"
    r = rng_for(name)
    add(name, r.normal(size=(8, 10)) * 2.0, r.integers(0, 10, size=8),
        class_weights=positive_weights(r, 10))

    for ls in (0.1, 0.3):
        name = f"ce_idx_ls{ls}_5x4"
        r = rng_for(name)
        add(name, r.normal(size=(5, 4)) * 2.0, r.integers(0, 4, size=5), label_smoothing=ls)

    name = "ce_idx_weights_ls0.2_6x5"
    r = rng_for(name)
    add(name, r.normal(size=(6, 5)) * 2.0, r.integers(0, 5, size=6),
        class_weights=positive_weights(r, 5), label_smoothing=0.2)

    # ignore_index equal to a valid class, some targets equal to it
    name = "ce_idx_ignore1_6x4"
    r = rng_for(name)
    add(name, r.normal(size=(6, 4)) * 2.0, [0, 1, 2, 1, 3, 2], ignore_index=1)

    # ignore_index outside the class range
    name = "ce_idx_ignore99_6x4"
    r = rng_for(name)
    add(name, r.normal(size=(6, 4)) * 2.0, [0, 99, 2, 3, 99, 1], ignore_index=99)

    name = "ce_idx_ignore99_ls0.1_6x4"
    r = rng_for(name)
    add(name, r.normal(size=(6, 4)) * 2.0, [99, 1, 2, 3, 99, 0], ignore_index=99,
        label_smoothing=0.1)

    # ignore_index + class weights + label smoothing together
    name = "ce_idx_ignore2_weights_ls0.15_7x5"
    r = rng_for(name)
    add(name, r.normal(size=(7, 5)) * 2.0, [2, 0, 4, 2, 1, 3, 2], ignore_index=2,
        class_weights=positive_weights(r, 5), label_smoothing=0.15)

    name = "ce_idx_ignore99_weights_ls0.25_6x4"
    r = rng_for(name)
    add(name, r.normal(size=(6, 4)) * 2.0, [3, 99, 0, 1, 99, 2], ignore_index=99,
        class_weights=positive_weights(r, 4), label_smoothing=0.25)

    # every row of class k is ignored (ignore_index = k), other rows remain;
    # class k never contributes through nll, only through the smoothing term.
    name = "ce_idx_class_fully_ignored_weights_6x3"
    r = rng_for(name)
    add(name, r.normal(size=(6, 3)) * 2.0, [0, 0, 2, 0, 2, 0], ignore_index=0,
        class_weights=positive_weights(r, 3))
    name = "ce_idx_class_fully_ignored_ls0.1_6x3"
    r = rng_for(name)
    add(name, r.normal(size=(6, 3)) * 2.0, [0, 0, 2, 0, 2, 0], ignore_index=0,
        label_smoothing=0.1)

    # extreme logits, magnitude ~1e4
    name = "ce_idx_extreme1e4_5x4"
    r = rng_for(name)
    add(name, r.choice([-1.0, 1.0], size=(5, 4)) * 1e4 * r.uniform(0.5, 1.0, size=(5, 4)),
        r.integers(0, 4, size=5))
    name = "ce_idx_extreme1e4_weights_ls0.1_5x4"
    r = rng_for(name)
    add(name, r.choice([-1.0, 1.0], size=(5, 4)) * 1e4 * r.uniform(0.5, 1.0, size=(5, 4)),
        r.integers(0, 4, size=5), class_weights=positive_weights(r, 4), label_smoothing=0.1)
    return cfgs


def random_prob_rows(r, n, c):
    z = r.normal(size=(n, c))
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    # one one-hot row and one row with exact zeros
    p[0] = 0.0
    p[0, r.integers(0, c)] = 1.0
    if n > 1:
        p[1, : c // 2] = 0.0
        p[1] /= p[1].sum()
    return p


def ce_probs_configs():
    cfgs = []

    def add(name, logits, probs, **options):
        cfgs.append(dict(name=name, loss="cross_entropy", target_kind="probs",
                         options=options, pred=logits, target=probs))

    n, c = 6, 5
    name = "ce_probs_6x5"
    r = rng_for(name)
    add(name, r.normal(size=(n, c)) * 2.0, random_prob_rows(r, n, c))
    name = "ce_probs_weights_6x5"
    r = rng_for(name)
    add(name, r.normal(size=(n, c)) * 2.0, random_prob_rows(r, n, c),
        class_weights=positive_weights(r, c))
    name = "ce_probs_ls0.2_6x5"
    r = rng_for(name)
    add(name, r.normal(size=(n, c)) * 2.0, random_prob_rows(r, n, c), label_smoothing=0.2)
    name = "ce_probs_weights_ls0.2_6x5"
    r = rng_for(name)
    add(name, r.normal(size=(n, c)) * 2.0, random_prob_rows(r, n, c),
        class_weights=positive_weights(r, c), label_smoothing=0.2)
    name = "ce_probs_extreme1e4_6x5"
    r = rng_for(name)
    add(name, r.choice([-1.0, 1.0], size=(n, c)) * 1e4 * r.uniform(0.5, 1.0, size=(n, c)),
        random_prob_rows(r, n, c))
    name = "ce_probs_extreme1e4_weights_ls0.2_6x5"
    r = rng_for(name)
    add(name, r.choice([-1.0, 1.0], size=(n, c)) * 1e4 * r.uniform(0.5, 1.0, size=(n, c)),
        random_prob_rows(r, n, c), class_weights=positive_weights(r, c), label_smoothing=0.2)
    return cfgs


def bce_configs():
    cfgs = []
    for tag, shape in (("1d_9", (9,)), ("2d_4x5", (4, 5))):
        name = f"bce_hard_{tag}"
        r = rng_for(name)
        cfgs.append(dict(name=name, loss="bce", target_kind="dense", options={},
                         pred=r.uniform(0.01, 0.99, size=shape),
                         target=r.integers(0, 2, size=shape).astype(np.float64)))
        name = f"bce_soft_{tag}"
        r = rng_for(name)
        cfgs.append(dict(name=name, loss="bce", target_kind="dense", options={},
                         pred=r.uniform(0.01, 0.99, size=shape),
                         target=r.uniform(0.0, 1.0, size=shape)))
    # edge: probabilities exactly 0 and 1 (log clamped at -100 by torch; the
    # gradient denominator is max((1-p)p, 1e-12)), plus a soft target.
    name = "bce_edge_0_1"
    cfgs.append(dict(name=name, loss="bce", target_kind="dense", options={},
                     pred=np.array([0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.5]),
                     target=np.array([0.0, 1.0, 0.0, 1.0, 0.25, 0.75, 1.0])))
    name = "bce_edge_0_1_2x2"
    cfgs.append(dict(name=name, loss="bce", target_kind="dense", options={},
                     pred=np.array([[0.0, 1.0], [1.0, 0.0]]),
                     target=np.array([[0.0, 1.0], [0.0, 1.0]])))
    return cfgs


def bcel_configs():
    cfgs = []

    def add(name, x, y, **options):
        cfgs.append(dict(name=name, loss="bce_with_logits", target_kind="dense",
                         options=options, pred=x, target=y))

    for tag, shape in (("1d_9", (9,)), ("2d_4x5", (4, 5))):
        name = f"bcel_hard_{tag}"
        r = rng_for(name)
        add(name, r.normal(size=shape) * 3.0, r.integers(0, 2, size=shape).astype(np.float64))
        name = f"bcel_soft_{tag}"
        r = rng_for(name)
        add(name, r.normal(size=shape) * 3.0, r.uniform(0.0, 1.0, size=shape))
    for pw in (2.0, 0.5):
        name = f"bcel_pw{pw}_hard_2d_4x5"
        r = rng_for(name)
        add(name, r.normal(size=(4, 5)) * 3.0,
            r.integers(0, 2, size=(4, 5)).astype(np.float64), pos_weight=pw)
        name = f"bcel_pw{pw}_soft_1d_9"
        r = rng_for(name)
        add(name, r.normal(size=(9,)) * 3.0, r.uniform(0.0, 1.0, size=(9,)), pos_weight=pw)
    # extreme logits: every sign paired with target 0, 1 and a soft target
    for mag in (1e4, 50.0):
        x = np.array([mag, -mag, mag, -mag, mag, -mag])
        y = np.array([0.0, 0.0, 1.0, 1.0, 0.3, 0.7])
        tag = "1e4" if mag == 1e4 else "50"
        add(f"bcel_extreme{tag}_1d_6", x, y)
        add(f"bcel_extreme{tag}_pw2.0_2d_2x3", x.reshape(2, 3), y.reshape(2, 3), pos_weight=2.0)
        add(f"bcel_extreme{tag}_pw0.5_1d_6", x.copy(), y.copy(), pos_weight=0.5)
    return cfgs


def all_loss_configs():
    return (regression_configs() + ce_index_configs() + ce_probs_configs()
            + bce_configs() + bcel_configs())


# ---------------------------------------------------------------------------
# loss computation
# ---------------------------------------------------------------------------

def compute_loss(loss, pred, target, options, reduction, dtype):
    if loss == "mse":
        return F.mse_loss(pred, target, reduction=reduction)
    if loss == "mae":
        return F.l1_loss(pred, target, reduction=reduction)
    if loss == "bce":
        return F.binary_cross_entropy(pred, target, reduction=reduction)
    if loss == "bce_with_logits":
        pw = options.get("pos_weight")
        pos_weight = None if pw is None else torch.tensor([pw], dtype=dtype)
        return F.binary_cross_entropy_with_logits(pred, target, pos_weight=pos_weight,
                                                  reduction=reduction)
    if loss == "cross_entropy":
        w = options.get("class_weights")
        weight = None if w is None else torch.tensor(w, dtype=dtype)
        return F.cross_entropy(pred, target, weight=weight,
                               ignore_index=options.get("ignore_index", -100),
                               reduction=reduction,
                               label_smoothing=options.get("label_smoothing", 0.0))
    raise ValueError(loss)


def make_loss_case(cfg, dtype_name, reduction):
    dtype = DTYPES[dtype_name]
    pred = to_t(cfg["pred"], dtype).requires_grad_()
    if cfg["target_kind"] == "indices":
        target = torch.tensor(cfg["target"], dtype=torch.int64)
    else:
        target = to_t(cfg["target"], dtype)
    options = dict(cfg["options"])
    if "class_weights" in options:
        # record the weights exactly as torch sees them in this dtype
        options["class_weights"] = [float(v) for v in
                                    torch.tensor(options["class_weights"], dtype=dtype).tolist()]
    value = compute_loss(cfg["loss"], pred, target, options, reduction, dtype)
    case = {
        "name": f"{cfg['name']}_{dtype_name}_{reduction}",
        "loss": cfg["loss"],
        "dtype": dtype_name,
        "reduction": reduction,
        "options": options,
        "target_kind": cfg["target_kind"],
        "pred": enc(pred),
        "target": enc(target),
        "value": enc(value),
    }
    if reduction != "none":
        value.backward()
        case["grad"] = enc(pred.grad)
    return case


def all_ignored_cases():
    """Torch's output when every row is ignored (documentation only: ndloss
    returns an error there)."""
    out = []
    logits = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    target = np.array([1, 1], dtype=np.int64)
    for opts in ({"ignore_index": 1}, {"ignore_index": 1, "label_smoothing": 0.1},
                 {"ignore_index": 1, "class_weights": [0.5, 2.0, 1.0]}):
        for dtype_name in DTYPES:
            for reduction in REDUCTIONS:
                cfg = dict(name="ce_idx_all_ignored_2x3", loss="cross_entropy",
                           target_kind="indices", options=opts, pred=logits, target=target)
                out.append(make_loss_case(cfg, dtype_name, reduction))
    return out


def generate_losses():
    cases = []
    for cfg in all_loss_configs():
        for dtype_name in DTYPES:
            for reduction in cfg.get("reductions", REDUCTIONS):
                cases.append(make_loss_case(cfg, dtype_name, reduction))
    return {
        "torch_version": torch.__version__,
        "generator": GENERATOR,
        "cases": cases,
        "all_ignored_torch_value": all_ignored_cases(),
    }


# ---------------------------------------------------------------------------
# optimizers
# ---------------------------------------------------------------------------

SGD_OPTION_SETS = [
    ("plain", {"lr": 0.1}),
    ("momentum", {"lr": 0.05, "momentum": 0.9}),
    ("momentum_dampening", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}),
    ("nesterov", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("weight_decay", {"lr": 0.1, "weight_decay": 0.01}),
    ("nesterov_weight_decay", {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.1,
                               "nesterov": True}),
    ("maximize_momentum", {"lr": 0.1, "maximize": True, "momentum": 0.5}),
]

ADAM_OPTION_SETS = [
    ("default", {"lr": 1e-3}),
    ("lr0.01", {"lr": 0.01}),
    ("betas", {"lr": 0.01, "betas": [0.8, 0.99]}),
    ("eps", {"lr": 0.01, "eps": 1e-6}),
    ("weight_decay", {"lr": 0.01, "weight_decay": 0.1}),
    ("amsgrad", {"lr": 0.01, "amsgrad": True}),
    ("amsgrad_weight_decay_betas", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.05,
                                    "betas": [0.85, 0.95]}),
    ("maximize", {"lr": 0.01, "maximize": True}),
]

PARAM_SHAPES = [(3, 4), (5,)]


def optim_inputs(name):
    """Initial params and per-step grads (f64). The second parameter's
    gradients shrink like 1/(step+1), so AMSGrad's running max matters."""
    r = rng_for(name)
    params = [r.normal(size=s) for s in PARAM_SHAPES]
    grads = []
    for step in range(OPTIM_STEPS):
        g0 = r.normal(size=PARAM_SHAPES[0])
        g1 = r.normal(size=PARAM_SHAPES[1]) * (2.0 / (step + 1))
        grads.append([g0, g1])
    return params, grads


def make_optim_case(optimizer, tag, options, dtype_name):
    dtype = DTYPES[dtype_name]
    base = f"{optimizer}_{tag}"
    params_np, grads_np = optim_inputs(base)
    params = [to_t(p, dtype).requires_grad_() for p in params_np]
    grads = [[to_t(g, dtype) for g in step] for step in grads_np]
    init = [enc(p) for p in params]
    kwargs = dict(options)
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    if optimizer == "sgd":
        opt = torch.optim.SGD(params, **kwargs)
    elif optimizer == "adam":
        opt = torch.optim.Adam(params, **kwargs)
    else:
        raise ValueError(optimizer)
    trajectory = []
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = g.clone()
        opt.step()
        trajectory.append([enc(p) for p in params])
    return {
        "name": f"{base}_{dtype_name}",
        "optimizer": optimizer,
        "dtype": dtype_name,
        "options": options,
        "params": init,
        "grads": [[enc(g) for g in step] for step in grads],
        "trajectory": trajectory,
    }


def generate_optim():
    cases = []
    for optimizer, sets in (("sgd", SGD_OPTION_SETS), ("adam", ADAM_OPTION_SETS)):
        for tag, options in sets:
            for dtype_name in DTYPES:
                cases.append(make_optim_case(optimizer, tag, options, dtype_name))
    return {"torch_version": torch.__version__, "generator": GENERATOR, "cases": cases}


# ---------------------------------------------------------------------------
# output and self-checks
# ---------------------------------------------------------------------------

def write_json(obj, filename):
    path = os.path.join(DATA_DIR, filename)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=None, allow_nan=False)
        f.write("\n")
    return path


def walk_arrays(obj):
    """Yield every {"shape", "data"} dict inside obj."""
    if isinstance(obj, dict):
        if set(obj) == {"shape", "data"}:
            yield obj
            return
        for v in obj.values():
            yield from walk_arrays(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from walk_arrays(v)


def is_f32_exact(x):
    if isinstance(x, str):
        return True
    return float(np.float32(x)) == x


def self_check(losses, optim, paths):
    # hand-computed value: ((0.5)^2 + 0 + (0.5)^2 + 0) / 4 = 0.125
    a = torch.tensor([[0.5, 1.0], [2.0, -1.0]], dtype=torch.float64)
    b = torch.tensor([[0.0, 1.0], [2.5, -1.0]], dtype=torch.float64)
    assert F.mse_loss(a, b).item() == 0.125
    assert F.mse_loss(a.float(), b.float()).item() == 0.125
    assert F.l1_loss(a, b).item() == 0.25
    # BCE at p=0, y=1 is the clamped -log: 100
    assert F.binary_cross_entropy(torch.tensor([0.0]), torch.tensor([1.0])).item() == 100.0

    # unique names, array shapes consistent with data lengths
    for doc in (losses, optim):
        names = [c["name"] for c in doc["cases"]]
        assert len(names) == len(set(names)), "duplicate case names"
        for arr in walk_arrays(doc):
            assert len(arr["data"]) == math.prod(arr["shape"]), arr["shape"]

    for c in losses["cases"]:
        assert ("grad" in c) == (c["reduction"] != "none"), c["name"]
        assert not (c["target_kind"] == "indices" and
                    all(t == c["options"].get("ignore_index", -100) for t in c["target"]["data"])), \
            f"all rows ignored in {c['name']}"
        if c["dtype"] == "f32":
            for arr in walk_arrays(c):
                assert all(is_f32_exact(x) for x in arr["data"]), c["name"]
        # the hand-picked numerically extreme cases must stay finite
        if "extreme" in c["name"]:
            for key in ("value", "grad"):
                if key in c:
                    assert all(not isinstance(x, str) for x in c[key]["data"]), c["name"]
    for c in optim["cases"]:
        if c["dtype"] == "f32":
            for arr in walk_arrays(c):
                assert all(is_f32_exact(x) for x in arr["data"]), c["name"]

    # an independent recomputation of one case from its own stored data
    c = next(c for c in losses["cases"] if c["name"] == "mse_2d_3x4_f64_mean")
    p = np.array(c["pred"]["data"]).reshape(c["pred"]["shape"])
    t = np.array(c["target"]["data"]).reshape(c["target"]["shape"])
    assert abs(np.mean((p - t) ** 2) - c["value"]["data"][0]) <= 1e-15 * abs(c["value"]["data"][0])

    # reloading the files reproduces identical floats (bitwise)
    for doc, path in zip((losses, optim), paths):
        with open(path, encoding="utf-8") as f:
            back = json.load(f)
        assert back == doc, f"{path} does not round-trip"
        for x_arr, y_arr in zip(walk_arrays(doc), walk_arrays(back)):
            for x, y in zip(x_arr["data"], y_arr["data"]):
                assert type(x) is type(y)
                if isinstance(x, float):
                    assert np.float64(x).tobytes() == np.float64(y).tobytes()

    total = sum(os.path.getsize(p) for p in paths)
    assert total < 3 * 1024 * 1024, f"reference data too large: {total} bytes"


def main():
    os.makedirs(DATA_DIR, exist_ok=True)
    losses = generate_losses()
    optim = generate_optim()
    paths = [write_json(losses, "losses.json"), write_json(optim, "optim.json")]
    self_check(losses, optim, paths)
    for p, doc in zip(paths, (losses, optim)):
        print(f"{os.path.relpath(p, ROOT)}: {len(doc['cases'])} cases, "
              f"{os.path.getsize(p)} bytes")
    print(f"torch {torch.__version__}, numpy {np.__version__}: self-check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
