#!/usr/bin/env python3
"""Generate the PyTorch / scikit-learn reference data for ndloss's parity tests.

What it generates
-----------------
* ``tests/data/losses.json`` -- loss values (and, for ``mean``/``sum``
  reductions, gradients w.r.t. the prediction) computed with
  ``torch.nn.functional`` for MSE, MAE (L1), cross-entropy (class-index and
  probability targets, class weights, label smoothing, ignore_index), BCE and
  BCE-with-logits (pos_weight), each in f32 and f64 and for the reductions
  ``mean``, ``sum`` and ``none``.
* ``tests/data/optim.json`` -- 12-step parameter trajectories, each in f32
  and f64, together with the gradients fed at each step, of
  ``torch.optim.SGD``, ``Adam``, ``AdamW``, ``RMSprop``, ``Adagrad``,
  ``Adadelta``, ``Adamax``, ``NAdam`` and ``RAdam`` for sets of option
  combinations, of Lion (not in torch: ``LionReference`` below documents the
  rule), and of SGD/Adam/AdamW with two parameter groups (option ``groups``).
* ``tests/data/schedules.json`` -- learning-rate sequences of
  ``torch.optim.lr_scheduler`` StepLR, MultiStepLR, ExponentialLR, LinearLR,
  CosineAnnealingLR, OneCycleLR (with the cycled SGD momentum / Adam beta1),
  ReduceLROnPlateau (with the metric sequence), SequentialLR and
  ChainedScheduler, one and two parameter groups.
* ``tests/data/clip.json`` -- ``torch.nn.utils.clip_grad_norm_`` (2-, 1-, 3-
  and inf-norm, clipping and not clipping, an inf gradient element) and
  ``clip_grad_value_`` on three gradients, in f32 and f64.
* ``tests/data/lasso.json`` -- ``sklearn.linear_model.Lasso`` solutions
  (no intercept, tol 1e-12) of a seeded 200 x 10 regression problem for two
  alphas, with the indices of the exactly-zero coefficients.
* ``tests/data/losses_catalogue.json`` -- the wider loss catalogue: values
  and gradients (w.r.t. every differentiable input) of Huber, smooth L1,
  Poisson / Gaussian NLL, KL divergence, NLL, N-d cross-entropy, weighted
  MSE / MAE / BCE / BCE-with-logits, margin losses (multi-margin, soft
  margin, margin ranking, cosine / hinge embedding, triplet) from
  ``torch.nn.functional``; sigmoid focal and GIoU / DIoU / CIoU box losses
  from ``torchvision.ops``; and losses re-derived from their formula with
  torch ops (log-cosh, MSLE, MAPE, quantile, Keras categorical
  cross-entropy on probabilities, hinge / squared hinge, IoU), each in f32
  and f64 and for the reductions ``mean``, ``sum``, ``none`` (and
  ``batchmean`` for KL).  Layout and defaults above ``CAT_REDUCTIONS``.

How it is run
-------------
This script is run OFFLINE, by a developer, only when the reference data needs
to change::

    pip install torch torchvision numpy scikit-learn
    python3 scripts/gen_reference.py

The generated JSON files are committed; CI and users of the crate never need
Python, PyTorch or scikit-learn.  The data was last generated with torch 2.15.0
(CPU kernels; the PyPI wheel ``2.15.0+cu132``, no GPU used), torchvision
0.29.2 (``0.29.2+cu132``, installed with ``--no-deps`` next to that torch;
only its pure-Python ``torchvision.ops`` losses are used), numpy 2.4.6 and
scikit-learn 1.9.1 (scipy 1.17.1), on an x86-64 CPU where torch's kernel
capability is AVX512.  Two platform facts show in the last bits of the data:
the vectorised CPU kernels fuse multiply-adds (``add_(x, alpha=a)`` is
``fma(a, x, self)``, ``lerp_``/``addcmul_`` likewise; under
``ATEN_CPU_CAPABILITY=default`` ``add_`` was seen not to fuse), and ``torch.sqrt`` on CPU is
not correctly rounded (about 0.75 % of results are 1 ulp below IEEE sqrt, in
f32 and f64).  Compare with a tolerance, not bitwise.

Format
------
Every array is ``{"shape": [...], "data": [flat row-major list]}``; a scalar
is ``{"shape": [], "data": [x]}``.  Floats are written as Python floats (their
``repr`` round-trips exactly); f32 values are widened to f64 exactly.
Non-finite floats are written as the strings ``"nan"``, ``"inf"`` and
``"-inf"`` (also for option values such as ``norm_type``).  Class-index
targets are JSON integers.  The per-file case layouts are described at the
``generate_*`` sections below.

Determinism
-----------
All inputs come from ``numpy.random.default_rng`` seeded with a CRC32 of the
configuration name, so adding a new configuration never changes the data of
existing ones.  Inputs are drawn in f64 and then rounded to the case dtype, so
the f32 and f64 cases of one configuration see the same (rounded) numbers.
f64 optimizer and clipping cases run under ``torch.set_default_dtype(
torch.float64)`` (so the optimizers' scalar state -- ``step``, NAdam's
``mu_product`` -- is f64), f32 cases under the default float32.

Extending
---------
Add a configuration to one of the ``*_configs()`` lists (losses), to an
``*_OPTION_SETS`` list (optimizers; a new family also needs an entry in
``TORCH_OPTIMIZERS``, ``OPTIM_FAMILIES`` and ``OPTIM_DEFAULTS``), to
``schedule_configs()``, ``CLIP_CONFIGS`` or ``LASSO_ALPHAS``; for a new loss
family write a ``<family>_configs()`` function and a branch in
``compute_loss`` (catalogue: a ``<family>_cat_configs()`` function listed in
``all_catalogue_configs`` and a branch in ``catalogue_loss``).  The
self-check at the end re-derives every optimizer trajectory with an
independent numpy implementation (f64), replays Lion bit-exactly, checks the
schedules against closed forms, the clipping against its definition, the
Lasso solutions against their KKT conditions and, for the catalogue, every
reduction against its unreduced output plus independent f64 recomputations
of the semantics that are easy to get wrong (``check_catalogue``).
"""

import json
import math
import os
import sys
import warnings
import zlib

import numpy as np
import sklearn
import torch
import torch.nn.functional as F
import torchvision
from sklearn.linear_model import Lasso
from torchvision.ops import (complete_box_iou_loss, distance_box_iou_loss,
                             generalized_box_iou_loss, sigmoid_focal_loss)
from torchvision.ops._utils import _loss_inter_union

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.path.join(ROOT, "tests", "data")
GENERATOR = "scripts/gen_reference.py"
CATALOGUE_FILE = "losses_catalogue.json"

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
#
# Every option set is run in f32 and f64.  f64 cases run with
# torch.set_default_dtype(torch.float64) so that the optimizers' scalar state
# tensors (``step``, NAdam's ``mu_product``) are float64; f32 cases run with
# the default float32 (NAdam's ``mu_product`` is then a float32 tensor that is
# rounded at every step).  CPU tensors, default implementation flags: torch
# picks the single-tensor (``_single_tensor_*``) code path, no foreach/fused.
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

# NB: torch.optim.AdamW's default weight_decay is 1e-2 (not 0), so "lr0.01"
# below decays with 0.01.
ADAMW_OPTION_SETS = [
    ("lr0.01", {"lr": 0.01}),
    ("weight_decay", {"lr": 0.01, "weight_decay": 0.1}),
    ("amsgrad", {"lr": 0.01, "amsgrad": True}),
    ("betas_eps_no_decay", {"lr": 0.005, "betas": [0.8, 0.95], "eps": 1e-6,
                            "weight_decay": 0.0}),
    ("maximize", {"lr": 0.01, "maximize": True}),
]

RMSPROP_OPTION_SETS = [
    ("lr0.01", {"lr": 0.01}),
    ("alpha", {"lr": 0.01, "alpha": 0.9}),
    ("centered", {"lr": 0.01, "centered": True}),
    ("momentum", {"lr": 0.01, "momentum": 0.9}),
    ("momentum_centered_weight_decay", {"lr": 0.01, "momentum": 0.5, "centered": True,
                                        "weight_decay": 0.05}),
    ("eps", {"lr": 0.01, "eps": 1e-4}),
    ("maximize", {"lr": 0.01, "maximize": True}),
]

ADAGRAD_OPTION_SETS = [
    ("lr0.1", {"lr": 0.1}),
    ("lr_decay", {"lr": 0.1, "lr_decay": 0.05}),
    ("initial_accumulator", {"lr": 0.1, "initial_accumulator_value": 0.5}),
    ("weight_decay_eps", {"lr": 0.1, "weight_decay": 0.1, "eps": 1e-6}),
    ("maximize", {"lr": 0.1, "maximize": True}),
]

ADADELTA_OPTION_SETS = [
    ("lr1", {"lr": 1.0}),
    ("rho", {"lr": 0.5, "rho": 0.95}),
    ("eps_weight_decay", {"lr": 1.0, "eps": 1e-4, "weight_decay": 0.1}),
    ("maximize", {"lr": 1.0, "maximize": True}),
]

ADAMAX_OPTION_SETS = [
    ("default", {"lr": 0.002}),
    ("betas", {"lr": 0.01, "betas": [0.8, 0.99]}),
    ("weight_decay_eps", {"lr": 0.01, "weight_decay": 0.1, "eps": 1e-6}),
    ("maximize", {"lr": 0.01, "maximize": True}),
]

NADAM_OPTION_SETS = [
    ("default", {"lr": 0.002}),
    ("momentum_decay", {"lr": 0.01, "momentum_decay": 0.01}),
    ("weight_decay", {"lr": 0.01, "weight_decay": 0.1}),
    ("decoupled_weight_decay", {"lr": 0.01, "weight_decay": 0.1,
                                "decoupled_weight_decay": True}),
    ("betas", {"lr": 0.01, "betas": [0.85, 0.99]}),
    ("maximize", {"lr": 0.01, "maximize": True}),
]

# RAdam's length of the approximated SMA, rho_t = rho_inf - 2 t b2^t / (1 - b2^t)
# with rho_inf = 2 / (1 - b2) - 1, exceeds 5 from step 6 on for both
# b2 = 0.999 and b2 = 0.99, so every 12-step trajectory covers the un-rectified
# steps 1..5 (param -= lr * m_hat) and the rectified steps 6..12
# (checked by radam_first_rectified_step below).
RADAM_OPTION_SETS = [
    ("lr0.01", {"lr": 0.01}),
    ("betas", {"lr": 0.01, "betas": [0.9, 0.99]}),
    ("weight_decay", {"lr": 0.01, "weight_decay": 0.1}),
    ("decoupled_weight_decay", {"lr": 0.01, "weight_decay": 0.1,
                                "decoupled_weight_decay": True}),
    ("eps", {"lr": 0.01, "eps": 1e-4}),
    ("maximize", {"lr": 0.01, "maximize": True}),
]

# Lion is not in torch; see LionReference.  Defaults: betas (0.9, 0.99),
# weight_decay 0.
LION_OPTION_SETS = [
    ("lr1e-3", {"lr": 1e-3}),
    ("betas", {"lr": 1e-3, "betas": [0.95, 0.98]}),
    ("weight_decay", {"lr": 1e-3, "weight_decay": 0.1}),
    # same options as "lr1e-3", but some gradient elements are exactly 0 at
    # step 1 (where m = 0), so sign(b1 m + (1 - b1) g) = sign(0) = 0 there.
    ("sign_zero", {"lr": 1e-3}),
]

# Parameter groups: option key "groups" lists torch param_groups, each naming
# the parameter slots it holds (slot 0 = the (3, 4) parameter, slot 1 = the
# (5,) parameter) plus per-group overrides; the other top-level options are
# the optimizer's defaults for keys a group does not set.
PARAM_GROUPS = [{"params": [0], "lr": 0.05, "weight_decay": 0.0},
                {"params": [1], "lr": 0.01, "weight_decay": 0.1}]
GROUP_OPTION_SETS = {
    "sgd": [("groups", {"lr": 0.1, "momentum": 0.9, "groups": PARAM_GROUPS})],
    "adam": [("groups", {"lr": 0.01, "groups": PARAM_GROUPS})],
    "adamw": [("groups", {"lr": 0.01, "groups": PARAM_GROUPS})],
}

PARAM_SHAPES = [(3, 4), (5,)]


class LionReference:
    """Lion (Chen et al. 2023, "Symbolic Discovery of Optimization
    Algorithms"), the Keras / optax rule, written with plain torch tensor ops
    in the case dtype.  Per parameter, with m_0 = 0 and per step t:

        c     = m * b1 + g * (1 - b1)          # two products, then one add
        u     = sign(c)                        # sign(0) = 0
        theta = theta - (u + theta * wd) * lr  # decoupled decay, OLD theta;
                                               # for wd == 0: theta - u * lr
        m     = m * b2 + g * (1 - b2)

    Every elementwise op is a separate torch kernel, i.e. rounded on its own
    (no fused multiply-add).  The scalars 1 - b1 and 1 - b2 are computed in
    Python (f64) and, like every Python scalar torch combines with a float32
    tensor, rounded to f32 in the f32 cases.  maximize is not supported.
    """

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        self.params = list(params)
        self.lr = lr
        self.b1, self.b2 = betas
        self.wd = weight_decay
        self.m = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self):
        for p, m in zip(self.params, self.m):
            g = p.grad
            c = m * self.b1 + g * (1.0 - self.b1)
            u = torch.sign(c)
            d = u + p * self.wd if self.wd != 0 else u
            p.sub_(d * self.lr)
            m.copy_(m * self.b2 + g * (1.0 - self.b2))


TORCH_OPTIMIZERS = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
    "adagrad": torch.optim.Adagrad,
    "adadelta": torch.optim.Adadelta,
    "adamax": torch.optim.Adamax,
    "nadam": torch.optim.NAdam,
    "radam": torch.optim.RAdam,
    "lion": LionReference,
}

# Order of the cases in optim.json: SGD and Adam first (unchanged), then the
# newer families, then the parameter-group cases.
OPTIM_FAMILIES = [
    ("sgd", SGD_OPTION_SETS),
    ("adam", ADAM_OPTION_SETS),
    ("adamw", ADAMW_OPTION_SETS),
    ("rmsprop", RMSPROP_OPTION_SETS),
    ("adagrad", ADAGRAD_OPTION_SETS),
    ("adadelta", ADADELTA_OPTION_SETS),
    ("adamax", ADAMAX_OPTION_SETS),
    ("nadam", NADAM_OPTION_SETS),
    ("radam", RADAM_OPTION_SETS),
    ("lion", LION_OPTION_SETS),
    ("sgd", GROUP_OPTION_SETS["sgd"]),
    ("adam", GROUP_OPTION_SETS["adam"]),
    ("adamw", GROUP_OPTION_SETS["adamw"]),
]


class default_dtype:
    """Context manager: torch.set_default_dtype for the block, restored after."""

    def __init__(self, dtype):
        self.dtype = dtype

    def __enter__(self):
        self.saved = torch.get_default_dtype()
        torch.set_default_dtype(self.dtype)

    def __exit__(self, *exc):
        torch.set_default_dtype(self.saved)
        return False


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


def tweak_optim_inputs(base, params, grads):
    """Case-specific edits of the drawn inputs (after drawing, so the RNG
    stream of the case is unchanged)."""
    if base == "lion_sign_zero":
        grads[0][0][0, :] = 0.0   # first row of the (3, 4) parameter
        grads[0][1][2] = 0.0
        grads[3][0][1, 1] = 0.0   # later zeros: m != 0 there, so sign(c) != 0
    return params, grads


def radam_first_rectified_step(beta2):
    rho_inf = 2 / (1 - beta2) - 1
    for step in range(1, OPTIM_STEPS + 1):
        rho_t = rho_inf - 2 * step * (beta2 ** step) / (1 - beta2 ** step)
        if rho_t > 5.0:
            return step
    return None


def build_optimizer(optimizer, params, options):
    kwargs = dict(options)
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    groups = kwargs.pop("groups", None)
    if groups is not None:
        target = []
        for g in groups:
            g = dict(g)
            g["params"] = [params[i] for i in g["params"]]
            target.append(g)
    else:
        target = params
    return TORCH_OPTIMIZERS[optimizer](target, **kwargs)


def make_optim_case(optimizer, tag, options, dtype_name):
    dtype = DTYPES[dtype_name]
    base = f"{optimizer}_{tag}"
    params_np, grads_np = tweak_optim_inputs(base, *optim_inputs(base))
    with default_dtype(dtype):
        params = [to_t(p, dtype).requires_grad_() for p in params_np]
        grads = [[to_t(g, dtype) for g in step] for step in grads_np]
        init = [enc(p) for p in params]
        opt = build_optimizer(optimizer, params, options)
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
    for optimizer, sets in OPTIM_FAMILIES:
        for tag, options in sets:
            for dtype_name in DTYPES:
                cases.append(make_optim_case(optimizer, tag, options, dtype_name))
    return {"torch_version": torch.__version__, "generator": GENERATOR, "cases": cases}


# ---------------------------------------------------------------------------
# learning-rate schedules
#
# A case: name, scheduler, options (torch kwargs; for sequential_lr and
# chained_scheduler the sub-schedulers are {"scheduler", "options"} dicts),
# optimizer + optimizer_options, base_lrs (the lr of each param group as given
# to the optimizer: group i is {"params": [dummy_i], "lr": base_lrs[i]}, the
# optimizer_options are the defaults of every group), steps K, and lrs: K + 1
# rows of per-group lrs, row 0 right after constructing the scheduler, row k
# after the k-th scheduler.step() (each preceded by an optimizer.step() on a
# zero gradient).  Everything is Python-float (f64) arithmetic in torch.
# ---------------------------------------------------------------------------

SCHEDULER_CLASSES = {
    "step_lr": torch.optim.lr_scheduler.StepLR,
    "multistep_lr": torch.optim.lr_scheduler.MultiStepLR,
    "exponential_lr": torch.optim.lr_scheduler.ExponentialLR,
    "linear_lr": torch.optim.lr_scheduler.LinearLR,
    "cosine_annealing_lr": torch.optim.lr_scheduler.CosineAnnealingLR,
    "one_cycle_lr": torch.optim.lr_scheduler.OneCycleLR,
    "reduce_lr_on_plateau": torch.optim.lr_scheduler.ReduceLROnPlateau,
    "sequential_lr": torch.optim.lr_scheduler.SequentialLR,
    "chained_scheduler": torch.optim.lr_scheduler.ChainedScheduler,
}

# ReduceLROnPlateau metric sequences (hand-made, so the reductions are easy to
# follow; "step n" = the n-th scheduler.step(metric), i.e. row n of lrs).
# Default: mode "min", threshold 1e-4 "rel", patience 10, factor 0.1.  Improves
# for 5 steps, then plateaus; 0.44996 is below best 0.45 but not below
# 0.45 * (1 - 1e-4), so it is a bad epoch.  Reductions at steps 16 and 27.
PLATEAU_DEFAULT_METRICS = ([1.0, 0.8, 0.6, 0.5, 0.45]
                           + [0.46, 0.44996, 0.47, 0.45, 0.4501] * 5)[:30]
# mode "max", threshold 0.01 "rel" (better: metric > best * 1.01), patience 2,
# cooldown 2, min_lr 0.02, factor 0.5, from lr 0.1: 0.05 at step 7, 0.025 at
# step 13, max(0.0125, min_lr) = 0.02 at step 18, and at step 23 a reduction
# that changes nothing (old - new = 0 <= eps).  A bad epoch inside the
# cooldown does not count (step 9: 0.353 is not > 0.3535); an improvement
# inside the cooldown still updates best (step 14).
PLATEAU_MAX_METRICS = [0.1, 0.2, 0.3, 0.35, 0.352, 0.351, 0.30, 0.34, 0.353, 0.36,
                       0.359, 0.358, 0.357, 0.40, 0.39, 0.38, 0.37, 0.36, 0.41, 0.40,
                       0.39, 0.38, 0.37, 0.36, 0.35]
# threshold_mode "abs", threshold 0.1, patience 1 (mode "min"): better only if
# metric < best - 0.1.  Reductions at steps 6, 9 and 13.
PLATEAU_ABS_METRICS = [5.0, 4.5, 4.45, 4.3, 4.25, 4.22, 3.0, 2.95, 2.91, 2.85,
                       2.5, 2.45, 2.41, 2.39, 2.38]


def schedule_configs():
    cfgs = []

    def add(name, scheduler, options, steps, optimizer="sgd", optimizer_options=None,
            base_lrs=(0.1,), metrics=None):
        cfg = dict(name=name, scheduler=scheduler, options=options,
                   optimizer=optimizer,
                   optimizer_options=dict(optimizer_options or {"lr": base_lrs[0]}),
                   base_lrs=list(base_lrs), steps=steps)
        if metrics is not None:
            assert len(metrics) == steps
            cfg["metrics"] = [float(m) for m in metrics]
        cfgs.append(cfg)

    add("step_lr", "step_lr", {"step_size": 3, "gamma": 0.5}, 12)
    add("multistep_lr", "multistep_lr", {"milestones": [2, 5, 9], "gamma": 0.3}, 12)
    add("exponential_lr", "exponential_lr", {"gamma": 0.9}, 10)
    add("linear_lr_default", "linear_lr", {}, 8)
    add("linear_lr_warmup", "linear_lr",
        {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 4}, 8)
    # past T_max the recursive formula keeps going (lr rises again), not clamped
    add("cosine_annealing_lr_past_tmax", "cosine_annealing_lr",
        {"T_max": 5, "eta_min": 0.001}, 15)
    add("cosine_annealing_lr_tmax10", "cosine_annealing_lr", {"T_max": 10}, 10)
    # OneCycleLR raises once last_epoch > total_steps; K = total_steps - 1
    # ends exactly on the final annealing point.
    add("one_cycle_lr_cos_sgd", "one_cycle_lr", {"max_lr": 1.0, "total_steps": 10}, 9,
        optimizer_options={"lr": 0.1, "momentum": 0.9})
    add("one_cycle_lr_three_phase_linear_adam", "one_cycle_lr",
        {"max_lr": 0.01, "total_steps": 20, "pct_start": 0.25,
         "anneal_strategy": "linear", "three_phase": True}, 19,
        optimizer="adam", optimizer_options={"lr": 0.001}, base_lrs=(0.001,))
    add("one_cycle_lr_no_momentum", "one_cycle_lr",
        {"max_lr": 0.5, "total_steps": 12, "cycle_momentum": False}, 11)
    add("reduce_lr_on_plateau_default", "reduce_lr_on_plateau", {}, 30,
        metrics=PLATEAU_DEFAULT_METRICS)
    add("reduce_lr_on_plateau_max_cooldown_min_lr", "reduce_lr_on_plateau",
        {"mode": "max", "factor": 0.5, "patience": 2, "threshold": 0.01, "cooldown": 2,
         "min_lr": 0.02}, 25, metrics=PLATEAU_MAX_METRICS)
    add("reduce_lr_on_plateau_abs", "reduce_lr_on_plateau",
        {"threshold_mode": "abs", "threshold": 0.1, "patience": 1}, 15,
        metrics=PLATEAU_ABS_METRICS)
    add("sequential_lr_warmup_cosine", "sequential_lr",
        {"schedulers": [{"scheduler": "linear_lr",
                         "options": {"start_factor": 0.01, "total_iters": 5}},
                        {"scheduler": "cosine_annealing_lr", "options": {"T_max": 15}}],
         "milestones": [5]}, 20)
    add("chained_scheduler_exp_step", "chained_scheduler",
        {"schedulers": [{"scheduler": "exponential_lr", "options": {"gamma": 0.9}},
                        {"scheduler": "step_lr", "options": {"step_size": 3, "gamma": 0.5}}]},
        10)
    add("cosine_annealing_lr_two_groups", "cosine_annealing_lr",
        {"T_max": 6, "eta_min": 0.005}, 8, base_lrs=(0.1, 0.01))
    add("step_lr_two_groups", "step_lr", {"step_size": 2, "gamma": 0.5}, 6,
        base_lrs=(0.1, 0.01))
    return cfgs


def build_scheduler(opt, scheduler, options):
    cls = SCHEDULER_CLASSES[scheduler]
    if scheduler in ("sequential_lr", "chained_scheduler"):
        subs = [build_scheduler(opt, s["scheduler"], s["options"])
                for s in options["schedulers"]]
        if scheduler == "sequential_lr":
            return cls(opt, schedulers=subs, milestones=list(options["milestones"]))
        return cls(subs, optimizer=opt)
    return cls(opt, **options)


def group_momentums(opt):
    return [float(g["betas"][0]) if "betas" in g else float(g["momentum"])
            for g in opt.param_groups]


def make_schedule_case(cfg):
    with default_dtype(torch.float64):
        params = [torch.zeros(2, requires_grad=True) for _ in cfg["base_lrs"]]
        for p in params:
            p.grad = torch.zeros_like(p)
        groups = [{"params": [p], "lr": lr} for p, lr in zip(params, cfg["base_lrs"])]
        kwargs = dict(cfg["optimizer_options"])
        if cfg["optimizer"] == "sgd":
            opt = torch.optim.SGD(groups, **kwargs)
        elif cfg["optimizer"] == "adam":
            opt = torch.optim.Adam(groups, **kwargs)
        else:
            raise ValueError(cfg["optimizer"])
        sched = build_scheduler(opt, cfg["scheduler"], cfg["options"])
        record_momentum = (cfg["scheduler"] == "one_cycle_lr"
                           and cfg["options"].get("cycle_momentum", True))
        lrs = [[float(g["lr"]) for g in opt.param_groups]]
        momentums = [group_momentums(opt)]
        for k in range(cfg["steps"]):
            opt.step()
            if "metrics" in cfg:
                sched.step(cfg["metrics"][k])
            else:
                sched.step()
            lrs.append([float(g["lr"]) for g in opt.param_groups])
            momentums.append(group_momentums(opt))
    case = {key: cfg[key] for key in ("name", "scheduler", "options", "optimizer",
                                      "optimizer_options", "base_lrs", "steps")}
    if "metrics" in cfg:
        case["metrics"] = cfg["metrics"]
    case["lrs"] = [[enc_float(x) for x in row] for row in lrs]
    if record_momentum:
        case["momentums"] = [[enc_float(x) for x in row] for row in momentums]
    return case


def generate_schedules():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "lr_scheduler.step() before optimizer.step()"
        cases = [make_schedule_case(cfg) for cfg in schedule_configs()]
    return {"torch_version": torch.__version__, "generator": GENERATOR, "cases": cases}


# ---------------------------------------------------------------------------
# gradient clipping
#
# A case: name, kind ("norm": torch.nn.utils.clip_grad_norm_, "value":
# clip_grad_value_), options, dtype, grads (three arrays, shapes below),
# clipped (the .grad arrays after the call) and, for "norm", total_norm (the
# returned 0-d tensor).  Default flags: on CPU clip_grad_norm_ takes torch's
# foreach path (torch._foreach_norm per tensor, vector_norm of the stacked
# per-tensor norms, then torch._foreach_mul_ by
# clamp(max_norm / (total_norm + 1e-6), max=1.0)).
# ---------------------------------------------------------------------------

CLIP_SHAPES = [(3, 4), (5,), (2, 2, 2)]

CLIP_CONFIGS = [
    ("norm2_clipped", "norm", {"max_norm": 1.0, "norm_type": 2.0, "error_if_nonfinite": False}),
    ("norm2_not_clipped", "norm", {"max_norm": 100.0, "norm_type": 2.0,
                                   "error_if_nonfinite": False}),
    ("norm1", "norm", {"max_norm": 1.0, "norm_type": 1.0, "error_if_nonfinite": False}),
    ("norm_inf", "norm", {"max_norm": 1.0, "norm_type": "inf", "error_if_nonfinite": False}),
    ("norm3", "norm", {"max_norm": 1.0, "norm_type": 3.0, "error_if_nonfinite": False}),
    # total norm inf -> coefficient max_norm / inf = 0 -> finite grads become
    # 0, the inf element becomes inf * 0 = nan
    ("norm2_inf_grad", "norm", {"max_norm": 1.0, "norm_type": 2.0,
                                "error_if_nonfinite": False}),
    ("norm_inf_inf_grad", "norm", {"max_norm": 1.0, "norm_type": "inf",
                                   "error_if_nonfinite": False}),
    ("value0.5", "value", {"clip_value": 0.5}),
]


def clip_inputs(name):
    r = rng_for(name)
    grads = [r.normal(size=s) for s in CLIP_SHAPES]
    if "inf_grad" in name:
        grads[0][1, 2] = math.inf
        grads[2][1, 0, 1] = -math.inf
    return grads


def decode_number(x):
    return float(x) if isinstance(x, str) else x


def make_clip_case(tag, kind, options, dtype_name):
    dtype = DTYPES[dtype_name]
    name = f"clip_{tag}"
    with default_dtype(dtype):
        grads = [to_t(g, dtype) for g in clip_inputs(name)]
        params = [torch.zeros_like(g, requires_grad=True) for g in grads]
        for p, g in zip(params, grads):
            p.grad = g.clone()
        case = {"name": f"{name}_{dtype_name}", "kind": kind, "options": options,
                "dtype": dtype_name, "grads": [enc(g) for g in grads]}
        if kind == "norm":
            total = torch.nn.utils.clip_grad_norm_(
                params, max_norm=options["max_norm"],
                norm_type=decode_number(options["norm_type"]),
                error_if_nonfinite=options["error_if_nonfinite"])
            assert total.dtype == dtype
        else:
            torch.nn.utils.clip_grad_value_(params, clip_value=options["clip_value"])
        case["clipped"] = [enc(p.grad) for p in params]
        if kind == "norm":
            case["total_norm"] = enc(total)
    return case


def generate_clip():
    cases = []
    for tag, kind, options in CLIP_CONFIGS:
        for dtype_name in DTYPES:
            cases.append(make_clip_case(tag, kind, options, dtype_name))
    return {"torch_version": torch.__version__, "generator": GENERATOR, "cases": cases}


# ---------------------------------------------------------------------------
# Lasso (scikit-learn)
#
# sklearn.linear_model.Lasso minimises (1 / (2 n)) ||y - X w||^2 + alpha ||w||_1
# (no intercept here) by cyclic coordinate descent; with tol=1e-12 the
# solution is converged far below f64 test tolerances.  X: n = 200, p = 10,
# standard normal; y = X w_true + 0.1 * noise, w_true with 4 exact zeros.
# ---------------------------------------------------------------------------

LASSO_N, LASSO_P = 200, 10
LASSO_TRUE_ZEROS = [1, 4, 6, 9]
LASSO_ALPHAS = [0.1, 0.02]


def lasso_data():
    r = rng_for("lasso_n200_p10")
    X = r.normal(size=(LASSO_N, LASSO_P))
    coef = r.uniform(0.5, 2.0, size=LASSO_P) * r.choice([-1.0, 1.0], size=LASSO_P)
    coef[LASSO_TRUE_ZEROS] = 0.0
    # one small coefficient that alpha = 0.1 shrinks to zero, alpha = 0.02 keeps
    coef[7] = 0.05 * np.sign(coef[7])
    y = X @ coef + 0.1 * r.normal(size=LASSO_N)
    return X, y, coef


def lasso_objective(X, y, w, alpha):
    n = X.shape[0]
    resid = y - X @ w
    return float(resid @ resid / (2 * n) + alpha * np.abs(w).sum())


def make_lasso_case(alpha, X, y, true_coef):
    model = Lasso(alpha=alpha, fit_intercept=False, tol=1e-12, max_iter=100000)
    model.fit(X, y)
    coef = np.asarray(model.coef_, dtype=np.float64)
    return {
        "name": f"lasso_n{LASSO_N}_p{LASSO_P}_alpha{alpha}",
        "alpha": alpha,
        "fit_intercept": False,
        "tol": 1e-12,
        "max_iter": 100000,
        "n_iter": int(model.n_iter_),
        "X": enc(X),
        "y": enc(y),
        "true_coef": enc(true_coef),
        "coef": enc(coef),
        "zero_coef_indices": [int(i) for i in np.flatnonzero(coef == 0.0)],
        "objective": lasso_objective(X, y, coef, alpha),
    }


def generate_lasso():
    X, y, true_coef = lasso_data()
    cases = [make_lasso_case(alpha, X, y, true_coef) for alpha in LASSO_ALPHAS]
    return {"sklearn_version": sklearn.__version__, "numpy_version": np.__version__,
            "generator": GENERATOR,
            "objective": "(1/(2n)) * ||y - X w||^2 + alpha * ||w||_1",
            "cases": cases}


# ---------------------------------------------------------------------------
# loss catalogue (tests/data/losses_catalogue.json)
#
# Document: {"torch_version", "torchvision_version", "generator", "cases"}.
# A case: name (config name + "_<dtype>_<reduction>"), loss, dtype,
# reduction, target_kind (cross_entropy_nd and cross_entropy_keras_probs only:
# "indices" or "probs"), options (non-defaults only; "class_weights" are
# rounded to the case dtype, every other option is written as given and the
# loss casts it to the dtype the way torch casts a Python scalar), inputs
# (every tensor argument by name; integer class targets as JSON ints), value
# (0-d for mean / sum / batchmean, the unreduced tensor for none) and, for
# reductions other than none, grads: d value / d input for each
# differentiable input (autograd in the case dtype; an input value does not
# depend on gets zeros).  Configurations are defined once in f64 and rounded
# to the case dtype (f32 and f64 see the same rounded numbers, except where
# f32 rounding is the point, e.g. the 1e19 edges).  f64 cases run under
# torch.set_default_dtype(torch.float64).
#
# Defaults (an option absent from "options" has this value):
#   huber delta 1.0; smooth_l1 beta 1.0; quantile tau (always given);
#   poisson_nll log_input true, full false, eps 1e-8; gaussian_nll full
#   false, eps 1e-6; kl_div log_target false; nll / cross_entropy_nd
#   ignore_index -100, no class weights, label_smoothing 0.0; sigmoid_focal
#   alpha 0.25, gamma 2; multi_margin p 1, margin 1.0; margin_ranking /
#   cosine_embedding margin 0.0; hinge_embedding margin 1.0; triplet_margin
#   margin 1.0, p 2, eps 1e-6, swap false; box losses eps 1e-7.
#
# Losses without a torch / torchvision function are "re-derived": written
# below with torch ops from the formula in the comment (autograd gives the
# gradient), see catalogue_loss.
# ---------------------------------------------------------------------------

CAT_REDUCTIONS = ("mean", "sum", "none")
KL_REDUCTIONS = ("batchmean", "sum", "mean", "none")

CAT_DEFAULTS = {
    "huber": {"delta": 1.0},
    "smooth_l1": {"beta": 1.0},
    "poisson_nll": {"log_input": True, "full": False, "eps": 1e-8},
    "gaussian_nll": {"full": False, "eps": 1e-6},
    "kl_div": {"log_target": False},
    "nll": {"ignore_index": -100},
    "cross_entropy_nd": {"ignore_index": -100, "label_smoothing": 0.0},
    "sigmoid_focal": {"alpha": 0.25, "gamma": 2},
    "multi_margin": {"p": 1, "margin": 1.0},
    "margin_ranking": {"margin": 0.0},
    "cosine_embedding": {"margin": 0.0},
    "hinge_embedding": {"margin": 1.0},
    "triplet_margin": {"margin": 1.0, "p": 2, "eps": 1e-6, "swap": False},
}

BOX_LOSS_EPS = 1e-7  # torchvision's default eps of the box losses
KERAS_EPS = 1e-7     # keras.config.epsilon()


def cat(name, loss, inputs, diff=("input",), options=None, reductions=CAT_REDUCTIONS,
        **extra):
    """A catalogue configuration; inputs: name -> f64 ndarray (or int64 for
    class indices), in the order the loss function takes them."""
    return dict(name=name, loss=loss, inputs=inputs, diff=tuple(diff),
                options=dict(options or {}), reductions=tuple(reductions), extra=extra)


def opt(loss, **kwargs):
    """Only the options that differ from torch's defaults."""
    d = CAT_DEFAULTS.get(loss, {})
    return {k: v for k, v in kwargs.items() if k not in d or d[k] != v}


def log_softmax_np(z, axis):
    m = z.max(axis=axis, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=axis, keepdims=True))


def softmax_np(z, axis):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def pm1(r, shape):
    return r.choice([-1.0, 1.0], size=shape)


# -- 1-6: element-wise regression losses ------------------------------------

def huber_cat_configs():
    cfgs = []
    for delta in (1.0, 0.5, 2.5):
        o = opt("huber", delta=delta)
        for tag, shape in (("1d_7", (7,)), ("2d_3x4", (3, 4))):
            name = f"huber_d{delta}_{tag}"
            r = rng_for(name)
            cfgs.append(cat(name, "huber", {"input": r.normal(size=shape) * 2.0,
                                            "target": r.normal(size=shape) * 2.0}, options=o))
        # errors exactly +-delta (the branch point), zero, 0.5 delta, 3 delta
        # and +-1e6 (all exact in f32: dyadic targets)
        t = np.array([0.25, -1.5, 0.0, 3.0, -0.75, 2.0, 0.5, -4.0])
        e = np.array([delta, -delta, 0.0, 1e6, -1e6, 0.5 * delta, 3.0 * delta, -1e6 + 0.5])
        cfgs.append(cat(f"huber_d{delta}_edge_kinks_1e6_8", "huber",
                        {"input": t + e, "target": t}, options=o))
        # errors of magnitude 1e19 (finite in f32 and f64)
        t = np.array([0.5, -0.5, 1.0, 0.0])
        x = np.array([1e19, -1e19, -3e18, 5e18])
        cfgs.append(cat(f"huber_d{delta}_edge_large1e19_4", "huber",
                        {"input": x, "target": t}, options=o))
    return cfgs


def smooth_l1_cat_configs():
    cfgs = []
    for beta in (1.0, 0.5, 0.0):  # beta = 0: torch dispatches to l1_loss
        o = opt("smooth_l1", beta=beta)
        for tag, shape in (("1d_7", (7,)), ("2d_3x4", (3, 4))):
            name = f"smooth_l1_b{beta}_{tag}"
            r = rng_for(name)
            cfgs.append(cat(name, "smooth_l1", {"input": r.normal(size=shape) * 2.0,
                                                "target": r.normal(size=shape) * 2.0},
                            options=o))
        # errors exactly +-beta, 0 (for beta = 0 the L1 subgradient sign(0) = 0)
        t = np.array([0.25, -1.5, 0.0, 3.0, -0.75, 2.0])
        e = np.array([beta, -beta, 0.0, 5.0, -5.0, 0.25])
        cfgs.append(cat(f"smooth_l1_b{beta}_edge_kinks_6", "smooth_l1",
                        {"input": t + e, "target": t}, options=o))
    return cfgs


def log_cosh_cat_configs():
    cfgs = []
    for tag, shape in (("1d_7", (7,)), ("2d_3x4", (3, 4))):
        name = f"log_cosh_{tag}"
        r = rng_for(name)
        cfgs.append(cat(name, "log_cosh", {"input": r.normal(size=shape) * 2.0,
                                           "target": r.normal(size=shape) * 2.0}))
    # |e| up to 1e4 (cosh overflows f32 from |e| ~ 89, f64 from ~ 710) and an
    # exact zero error (gradient tanh(0) = 0)
    t = np.array([0.5, -0.25, 1.0, 0.0, 2.0, -3.0, 0.125, 0.75])
    e = np.array([1e4, -1e4, 30.0, -30.0, 100.0, -800.0, 0.0, 1e-3])
    cfgs.append(cat("log_cosh_edge_1e4_8", "log_cosh", {"input": t + e, "target": t}))
    # |e| ~ 1e19 (exp(2e) overflows everywhere)
    t = np.array([0.5, -0.5, 1.0, 0.0])
    x = np.array([1e19, -1e19, 3e18, -5e18])
    cfgs.append(cat("log_cosh_edge_large1e19_4", "log_cosh", {"input": x, "target": t}))
    return cfgs


def msle_cat_configs():
    cfgs = []
    for tag, shape in (("1d_7", (7,)), ("2d_3x4", (3, 4))):
        name = f"msle_{tag}"
        r = rng_for(name)
        cfgs.append(cat(name, "msle", {"input": r.uniform(0.0, 5.0, size=shape),
                                       "target": r.uniform(0.0, 5.0, size=shape)}))
    # inputs below eps = 1e-7 (0, negative, 1e-8): clamped, gradient 0 there;
    # targets 0 and negative are clamped as well
    cfgs.append(cat("msle_edge_below_eps_8", "msle",
                    {"input": np.array([0.0, -0.5, 1e-8, -3.0, 2.0, 0.3, 0.0, 4.0]),
                     "target": np.array([1.0, 0.0, 2.5, -1.0, 0.0, 0.3 + 0.5, 1e-9, 1.5])}))
    return cfgs


def mape_cat_configs():
    cfgs = []
    for tag, shape in (("1d_7", (7,)), ("2d_3x4", (3, 4))):
        name = f"mape_{tag}"
        r = rng_for(name)
        cfgs.append(cat(name, "mape", {"input": r.normal(size=shape),
                                       "target": r.normal(size=shape)}))
    # targets exactly 0 (denominator eps = 1e-7: values ~1e9) and |target| < eps
    cfgs.append(cat("mape_edge_zero_target_6", "mape",
                    {"input": np.array([0.5, -0.25, 1.0, -1.0, 0.1, 3.5]),
                     "target": np.array([0.0, 0.0, 1.5, -2.0, 1e-8, 3.0])}))
    return cfgs


def quantile_cat_configs():
    cfgs = []
    for tau in (0.5, 0.1, 0.9):
        for tag, shape in (("1d_7", (7,)), ("2d_3x4", (3, 4))):
            name = f"quantile_tau{tau}_{tag}"
            r = rng_for(name)
            cfgs.append(cat(name, "quantile", {"input": r.normal(size=shape),
                                               "target": r.normal(size=shape)},
                            options={"tau": tau}))
    return cfgs


# -- 7-10: weighted regression, Poisson, Gaussian, KL ---------------------

def weighted_regression_cat_configs():
    cfgs = []
    for loss in ("mse_weighted", "mae_weighted"):
        for tag, shape in (("1d_7", (7,)), ("3d_3x4x2", (3, 4, 2))):
            name = f"{loss}_{tag}"
            r = rng_for(name)
            cfgs.append(cat(name, loss, {"input": r.normal(size=shape),
                                         "target": r.normal(size=shape),
                                         "weight": r.uniform(0.1, 3.0, size=shape)}))
    return cfgs


def poisson_cat_configs():
    cfgs = []
    for log_input, full, eps in ((True, False, 1e-8), (False, False, 1e-8),
                                 (True, True, 1e-8), (False, True, 1e-8),
                                 (False, False, 1e-4)):
        tag = ("log" if log_input else "lin") + ("_full" if full else "")
        if eps != 1e-8:
            tag += f"_eps{eps}"
        name = f"poisson_nll_{tag}_3x4"
        r = rng_for(name)
        target = r.poisson(2.0, size=(3, 4)).astype(np.float64)
        target[0, 0] = target[1, 0] = target[2, 3] = 0.0
        target[0, 1] = target[1, 1] = 1.0
        target[2, 0] = 2.0
        if log_input:
            x = r.normal(size=(3, 4)) * 0.8
        else:
            x = r.uniform(0.05, 4.0, size=(3, 4))
            if eps != 1e-8:
                x[0, 2], x[1, 3] = 0.0, 1e-5  # log(x + eps) is finite at x = 0
        cfgs.append(cat(name, "poisson_nll", {"input": x, "target": target},
                        options=opt("poisson_nll", log_input=log_input, full=full, eps=eps)))
    return cfgs


def gaussian_cat_configs():
    cfgs = []
    for full in (False, True):
        tag = "_full" if full else ""
        o = opt("gaussian_nll", full=full)
        name = f"gaussian_nll{tag}_3x4"
        r = rng_for(name)
        cfgs.append(cat(name, "gaussian_nll",
                        {"input": r.normal(size=(3, 4)), "target": r.normal(size=(3, 4)),
                         "var": r.uniform(0.2, 2.0, size=(3, 4))},
                        diff=("input", "var"), options=o))
        # var of shape (N,) for input (N, D): torch unsqueezes it to (N, 1)
        name = f"gaussian_nll{tag}_var_n_4x3"
        r = rng_for(name)
        cfgs.append(cat(name, "gaussian_nll",
                        {"input": r.normal(size=(4, 3)), "target": r.normal(size=(4, 3)),
                         "var": r.uniform(0.2, 2.0, size=(4,))},
                        diff=("input", "var"), options=o))
    # var of shape (N, 1): plain broadcasting
    name = "gaussian_nll_var_n1_4x3"
    r = rng_for(name)
    cfgs.append(cat(name, "gaussian_nll",
                    {"input": r.normal(size=(4, 3)), "target": r.normal(size=(4, 3)),
                     "var": r.uniform(0.2, 2.0, size=(4, 1))}, diff=("input", "var")))
    # eps = 1e-3 with var entries below it (and one exactly 0): torch clamps a
    # clone of var in place under no_grad, so the value AND the var-gradient
    # are those of the clamped var (the gradient is not zeroed where clamped)
    name = "gaussian_nll_eps1e-3_clamped_3x4"
    r = rng_for(name)
    var = r.uniform(0.2, 2.0, size=(3, 4))
    var[0, 0], var[1, 2], var[2, 1], var[2, 3] = 1e-5, 0.0, 5e-4, 2e-3
    cfgs.append(cat(name, "gaussian_nll",
                    {"input": r.normal(size=(3, 4)), "target": r.normal(size=(3, 4)),
                     "var": var}, diff=("input", "var"), options={"eps": 1e-3}))
    name = "gaussian_nll_eps1e-3_clamped_var_n_4x3"
    r = rng_for(name)
    var = r.uniform(0.2, 2.0, size=(4,))
    var[1], var[3] = 1e-4, 0.0
    cfgs.append(cat(name, "gaussian_nll",
                    {"input": r.normal(size=(4, 3)), "target": r.normal(size=(4, 3)),
                     "var": var}, diff=("input", "var"), options={"eps": 1e-3}))
    return cfgs


def kl_cat_configs():
    cfgs = []
    name = "kl_div_4x5"
    r = rng_for(name)
    cfgs.append(cat(name, "kl_div", {"input": log_softmax_np(r.normal(size=(4, 5)) * 1.5, 1),
                                     "target": random_prob_rows(r, 4, 5)},
                    reductions=KL_REDUCTIONS))
    name = "kl_div_log_target_4x5"
    r = rng_for(name)
    cfgs.append(cat(name, "kl_div", {"input": log_softmax_np(r.normal(size=(4, 5)) * 1.5, 1),
                                     "target": log_softmax_np(r.normal(size=(4, 5)) * 1.5, 1)},
                    options={"log_target": True}, reductions=KL_REDUCTIONS))
    # 3-D: batchmean divides by size(0) = 2 only, mean by all 24 elements
    name = "kl_div_3d_2x3x4"
    r = rng_for(name)
    target = softmax_np(r.normal(size=(2, 3, 4)), 2)
    target[0, 1] = [0.0, 1.0, 0.0, 0.0]
    cfgs.append(cat(name, "kl_div", {"input": log_softmax_np(r.normal(size=(2, 3, 4)), 2),
                                     "target": target}, reductions=KL_REDUCTIONS))
    name = "kl_div_log_target_3d_2x3x4"
    r = rng_for(name)
    cfgs.append(cat(name, "kl_div", {"input": log_softmax_np(r.normal(size=(2, 3, 4)), 2),
                                     "target": log_softmax_np(r.normal(size=(2, 3, 4)), 2)},
                    options={"log_target": True}, reductions=KL_REDUCTIONS))
    return cfgs


# -- 11-13: class-index / probability classification -----------------------

def nll_cat_configs():
    cfgs = []

    def add(name, shape, target, **options):
        r = rng_for(name)
        x = log_softmax_np(r.normal(size=shape) * 2.0, 1)
        if "class_weights" in options:
            options["class_weights"] = positive_weights(r, shape[1])
        cfgs.append(cat(name, "nll", {"input": x, "target": np.asarray(target, dtype=np.int64)},
                        options=options))

    add("nll_6x5", (6, 5), [0, 3, 4, 1, 3, 2])
    add("nll_weights_6x5", (6, 5), [0, 3, 4, 1, 3, 2], class_weights=True)
    add("nll_ignore2_6x5", (6, 5), [2, 3, 4, 2, 0, 1], ignore_index=2)
    add("nll_ignore99_6x5", (6, 5), [99, 3, 4, 1, 99, 0], ignore_index=99)
    add("nll_weights_ignore99_6x5", (6, 5), [1, 99, 4, 1, 2, 99], ignore_index=99,
        class_weights=True)
    add("nll_3d_3x4x5", (3, 4, 5), [[0, 3, 1, 2, 3], [1, 1, 0, 2, 3], [3, 2, 2, 0, 1]])
    add("nll_3d_weights_ignore1_3x4x5", (3, 4, 5),
        [[0, 3, 1, 2, 3], [1, 1, 0, 2, 3], [3, 2, 2, 0, 1]], ignore_index=1, class_weights=True)
    add("nll_3d_ignore99_2x3x4", (2, 3, 4), [[0, 99, 2, 1], [99, 99, 0, 2]], ignore_index=99)
    return cfgs


def ce_nd_cat_configs():
    cfgs = []

    def add_idx(name, shape, **options):
        r = rng_for(name)
        x = r.normal(size=shape) * 2.0
        c = shape[1]
        target = r.integers(0, c, size=(shape[0],) + shape[2:])
        ig = options.get("ignore_index")
        if ig is not None:  # a few positions ignored, never all
            flat = target.reshape(-1)
            flat[[1, 4]] = ig
            flat[0] = (ig + 1) % c if 0 <= ig < c else 0
        if "class_weights" in options:
            options["class_weights"] = positive_weights(r, c)
        cfgs.append(cat(name, "cross_entropy_nd", {"input": x, "target": target},
                        options=options, target_kind="indices"))

    def add_probs(name, shape, **options):
        r = rng_for(name)
        x = r.normal(size=shape) * 2.0
        p = softmax_np(r.normal(size=shape) * 1.5, 1)
        # one position one-hot (exact zeros)
        idx = (0, slice(None)) + (0,) * (len(shape) - 2)
        p[idx] = 0.0
        p[(0, 1) + (0,) * (len(shape) - 2)] = 1.0
        if "class_weights" in options:
            options["class_weights"] = positive_weights(r, shape[1])
        cfgs.append(cat(name, "cross_entropy_nd", {"input": x, "target": p},
                        options=options, target_kind="probs"))

    s3, s4 = (2, 4, 3), (2, 3, 2, 3)
    add_idx("ce_nd_2x4x3", s3)
    add_idx("ce_nd_weights_2x4x3", s3, class_weights=True)
    add_idx("ce_nd_ignore1_2x4x3", s3, ignore_index=1)
    add_idx("ce_nd_ls0.1_2x4x3", s3, label_smoothing=0.1)
    add_idx("ce_nd_weights_ignore99_ls0.2_2x4x3", s3, class_weights=True, ignore_index=99,
            label_smoothing=0.2)
    add_idx("ce_nd_4d_2x3x2x3", s4)
    add_idx("ce_nd_4d_weights_ls0.1_2x3x2x3", s4, class_weights=True, label_smoothing=0.1)
    add_idx("ce_nd_4d_weights_ignore0_2x3x2x3", s4, class_weights=True, ignore_index=0)
    add_idx("ce_nd_4d_ignore2_ls0.3_2x3x2x3", s4, ignore_index=2, label_smoothing=0.3)
    add_probs("ce_nd_probs_2x4x3", s3)
    add_probs("ce_nd_probs_weights_ls0.2_2x4x3", s3, class_weights=True, label_smoothing=0.2)
    add_probs("ce_nd_probs_4d_2x3x2x3", s4)
    add_probs("ce_nd_probs_4d_weights_2x3x2x3", s4, class_weights=True)
    add_probs("ce_nd_probs_4d_ls0.1_2x3x2x3", s4, label_smoothing=0.1)
    return cfgs


def ce_z_cat_configs():
    """Cross-entropy with PaLM's z-loss, z·logsumexp(x)² per row weighted as
    the row (written in torch ops below): 2-D inputs on every kernel path
    (few rows, many rows, rows past LONG_ROW) and an (N, C, d) input."""
    cfgs = []
    for tag, shape, z, weights, ls, ig, scale in (
            ("", (6, 5), 1e-4, False, 0.0, None, 2.0),
            ("_z0.01_weights", (6, 5), 0.01, True, 0.0, None, 2.0),
            ("_z0.5_ls0.1", (5, 7), 0.5, False, 0.1, None, 2.0),
            ("_rows40", (40, 12), 0.01, False, 0.0, None, 3.0),
            ("_ignore1_weights", (40, 12), 0.01, True, 0.1, 1, 3.0),
            ("_long", (3, 1100), 1e-3, False, 0.0, None, 4.0),
            ("_large_logits", (8, 6), 1e-4, False, 0.0, None, 20.0),
            ("_3d_weights_ignore2", (2, 4, 3), 0.05, True, 0.2, 2, 2.0)):
        name = f"ce_z{tag}_{'x'.join(map(str, shape))}"
        r = rng_for(name)
        x = r.normal(size=shape) * scale
        target = r.integers(0, shape[1], size=(shape[0],) + shape[2:])
        o = {"z_loss": z}
        if ls:
            o["label_smoothing"] = ls
        if ig is not None:
            flat = target.reshape(-1)
            flat[[1, 4]] = ig
            flat[0] = (ig + 1) % shape[1]
            o["ignore_index"] = ig
        if weights:
            o["class_weights"] = positive_weights(r, shape[1])
        cfgs.append(cat(name, "cross_entropy_z", {"input": x, "target": target}, options=o,
                        target_kind="indices"))
    return cfgs


def clip_cat_configs():
    """CLIP's symmetric contrastive loss (open_clip's ClipLoss on one
    process, written in torch ops below): image and text embeddings (N, D)
    and the learnable log_scale, all differentiated."""
    cfgs = []
    for tag, n, d, t, scale in (("", 4, 3, math.log(1 / 0.07), 1.0),
                                ("_t0", 6, 5, 0.0, 1.0),
                                ("_t100", 5, 8, math.log(100.0), 1.0),
                                ("_unnormalised", 8, 4, 2.0, 25.0),
                                ("_pair", 2, 2, 1.0, 1.0),
                                ("_wide", 3, 16, 3.0, 0.1)):
        name = f"clip{tag}_{n}x{d}"
        r = rng_for(name)
        img = r.normal(size=(n, d)) * scale
        txt = img * 0.5 + r.normal(size=(n, d)) * scale
        cfgs.append(cat(name, "clip", {"image": img, "text": txt, "log_scale": np.array(t)},
                        diff=("image", "text", "log_scale")))
    return cfgs


def keras_probs_input(r, n, c):
    """Positive, unnormalised rows; tiny entries (clipped at 1e-7 after
    normalising), one exact 0, one row whose dominant entry is clipped at
    1 - 1e-7."""
    x = r.uniform(0.05, 2.0, size=(n, c))
    x[1, 1] = 1e-9
    x[2, 2] = 0.0
    x[3] = 1e-9
    x[3, 0] = 1.0
    x[4, 3] = 1e-9
    return x


def keras_probs_cat_configs():
    cfgs = []
    n, c = 5, 4
    name = "cross_entropy_keras_probs_soft_5x4"
    r = rng_for(name)
    cfgs.append(cat(name, "cross_entropy_keras_probs",
                    {"input": keras_probs_input(r, n, c), "target": random_prob_rows(r, n, c)},
                    target_kind="probs"))
    name = "cross_entropy_keras_probs_onehot_5x4"
    r = rng_for(name)
    onehot = np.eye(c)[[0, 1, 2, 0, 3]]
    cfgs.append(cat(name, "cross_entropy_keras_probs",
                    {"input": keras_probs_input(r, n, c), "target": onehot},
                    target_kind="probs"))
    name = "cross_entropy_keras_probs_indices_5x4"
    r = rng_for(name)
    # row 2 targets the exact-0 entry (clipped: l = -ln(1e-7), zero gradient),
    # row 3 the clipped-at-1-1e-7 entry, row 1 a tiny one
    cfgs.append(cat(name, "cross_entropy_keras_probs",
                    {"input": keras_probs_input(r, n, c),
                     "target": np.array([3, 1, 2, 0, 1], dtype=np.int64)},
                    target_kind="indices"))
    return cfgs


# -- 14-16: weighted BCE, BCE-with-logits, focal ---------------------------

def bce_weighted_cat_configs():
    cfgs = []
    for kind in ("hard", "soft"):
        for wtag, wshape in (("", (4, 5)), ("_classw", (5,))):
            name = f"bce_weighted{wtag}_{kind}_4x5"
            r = rng_for(name)
            y = (r.integers(0, 2, size=(4, 5)).astype(np.float64) if kind == "hard"
                 else r.uniform(0.0, 1.0, size=(4, 5)))
            cfgs.append(cat(name, "bce_weighted",
                            {"input": r.uniform(0.01, 0.99, size=(4, 5)), "target": y,
                             "weight": r.uniform(0.1, 3.0, size=wshape)}))
    # probabilities exactly 0 and 1: log clamped at -100 (value 100 w), the
    # gradient denominator max((1 - p) p, 1e-12)
    cfgs.append(cat("bce_weighted_classw_edge_0_1_2x3", "bce_weighted",
                    {"input": np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.25]]),
                     "target": np.array([[0.0, 1.0, 1.0], [0.0, 1.0, 0.5]]),
                     "weight": np.array([0.5, 2.0, 1.5])}))
    return cfgs


def bcel_weighted_cat_configs():
    cfgs = []

    def logits(r, shape):
        x = np.clip(r.normal(size=shape) * 8.0, -30.0, 30.0)
        flat = x.reshape(-1)
        flat[0], flat[-1] = 30.0, -30.0
        return x

    for tag, shape in (("4x5", (4, 5)), ("3d_2x3x4", (2, 3, 4))):
        for with_w in (False, True):
            for kind in ("hard", "soft"):
                name = f"bcel_weighted_pw{'_w' if with_w else ''}_{kind}_{tag}"
                r = rng_for(name)
                y = (r.integers(0, 2, size=shape).astype(np.float64) if kind == "hard"
                     else r.uniform(0.0, 1.0, size=shape))
                inputs = {"input": logits(r, shape), "target": y}
                if with_w:
                    inputs["weight"] = r.uniform(0.1, 3.0, size=shape)
                inputs["pos_weight"] = r.uniform(0.3, 3.0, size=(shape[-1],))
                cfgs.append(cat(name, "bce_with_logits_weighted", inputs))
    return cfgs


def focal_cat_configs():
    cfgs = []
    for alpha, gamma in ((0.25, 2), (-1.0, 2), (0.5, 2), (0.25, 0.0), (0.25, 1.5),
                         (-1.0, 1.5)):
        o = opt("sigmoid_focal", alpha=alpha, gamma=gamma)
        for kind, shape in (("hard", (4, 5)), ("soft", (3, 4))):
            name = f"sigmoid_focal_a{alpha}_g{float(gamma)}_{kind}_{'x'.join(map(str, shape))}"
            r = rng_for(name)
            x = np.clip(r.normal(size=shape) * 6.0, -20.0, 20.0)
            x.reshape(-1)[0], x.reshape(-1)[-1] = 20.0, -20.0
            y = (r.integers(0, 2, size=shape).astype(np.float64) if kind == "hard"
                 else r.uniform(0.0, 1.0, size=shape))
            cfgs.append(cat(name, "sigmoid_focal", {"inputs": x, "targets": y},
                            diff=("inputs",), options=o))
    return cfgs


# -- 17-23: margin losses ----------------------------------------------------

def hinge_cat_configs():
    cfgs = []
    for loss in ("hinge", "squared_hinge"):
        for kind in ("01", "pm1"):
            name = f"{loss}_{kind}_3x4"
            r = rng_for(name)
            y = (r.integers(0, 2, size=(3, 4)).astype(np.float64) if kind == "01"
                 else pm1(r, (3, 4)))
            cfgs.append(cat(name, loss, {"input": r.normal(size=(3, 4)) * 1.5, "target": y}))
        # y * input exactly 1 (the kink; torch.clamp's gradient is 0 there, so
        # only the unreduced value is recorded)
        x = np.array([1.0, -1.0, 0.5, 2.0, -1.0, 1.0])
        cfgs.append(cat(f"{loss}_kink_01_6", loss,
                        {"input": x, "target": np.array([1.0, 0.0, 1.0, 1.0, 1.0, 0.0])},
                        reductions=("none",)))
        cfgs.append(cat(f"{loss}_kink_pm1_6", loss,
                        {"input": x, "target": np.array([1.0, -1.0, -1.0, 1.0, 1.0, 1.0])},
                        reductions=("none",)))
    return cfgs


def multi_margin_cat_configs():
    cfgs = []
    for tag, p, margin, weighted in (("", 1, 1.0, False), ("_p2", 2, 1.0, False),
                                     ("_m0.5", 1, 0.5, False), ("_weights", 1, 1.0, True),
                                     ("_p2_m0.5_weights", 2, 0.5, True)):
        name = f"multi_margin{tag}_5x4"
        r = rng_for(name)
        o = opt("multi_margin", p=p, margin=margin)
        x = r.normal(size=(5, 4))
        y = r.integers(0, 4, size=5)
        if weighted:
            o["class_weights"] = positive_weights(r, 4)
        cfgs.append(cat(name, "multi_margin", {"input": x, "target": y}, options=o))
    return cfgs


def soft_margin_cat_configs():
    name = "soft_margin_3x4"
    r = rng_for(name)
    cfgs = [cat(name, "soft_margin", {"input": r.normal(size=(3, 4)) * 3.0,
                                      "target": pm1(r, (3, 4))})]
    cfgs.append(cat("soft_margin_extreme50_6", "soft_margin",
                    {"input": np.array([50.0, -50.0, 50.0, -50.0, 49.5, -0.5]),
                     "target": np.array([1.0, 1.0, -1.0, -1.0, -1.0, 1.0])}))
    return cfgs


def multilabel_soft_margin_cat_configs():
    cfgs = []
    for tag, shape, soft, weighted, scale in (("", (5, 4), False, False, 2.0),
                                              ("_soft", (3, 6), True, False, 2.0),
                                              ("_weights", (4, 5), False, True, 2.0),
                                              ("_3d", (2, 3, 4), True, True, 2.0),
                                              ("_1d", (6,), False, False, 2.0),
                                              ("_large", (3, 4), False, False, 30.0)):
        name = f"multilabel_soft_margin{tag}_{'x'.join(map(str, shape))}"
        r = rng_for(name)
        x = r.normal(size=shape) * scale
        y = r.uniform(size=shape) if soft else (r.uniform(size=shape) < 0.4).astype(np.float64)
        o = {}
        if weighted:
            o["class_weights"] = positive_weights(r, shape[-1])
        cfgs.append(cat(name, "multilabel_soft_margin", {"input": x, "target": y}, options=o))
    return cfgs


def margin_ranking_cat_configs():
    cfgs = []
    for margin in (0.0, 0.5):
        name = f"margin_ranking_m{margin}_8"
        r = rng_for(name)
        cfgs.append(cat(name, "margin_ranking",
                        {"x1": r.normal(size=8), "x2": r.normal(size=8), "y": pm1(r, 8)},
                        diff=("x1", "x2"), options=opt("margin_ranking", margin=margin)))
    return cfgs


def cosine_embedding_cat_configs():
    cfgs = []
    for margin in (0.0, 0.3):
        name = f"cosine_embedding_m{margin}_6x4"
        r = rng_for(name)
        y = np.array([1.0, -1.0, 1.0, -1.0, -1.0, 1.0])
        x1 = r.normal(size=(6, 4))
        x2 = r.normal(size=(6, 4))
        x2[3] = x1[3] * 0.5 + r.normal(size=4) * 0.1  # a y = -1 pair with cos > margin
        cfgs.append(cat(name, "cosine_embedding", {"x1": x1, "x2": x2, "y": y},
                        diff=("x1", "x2"), options=opt("cosine_embedding", margin=margin)))
    # an all-zero row of x1 with y = 1: torch adds EPSILON = 1e-12 to both
    # squared norms, cos = 0, loss 1 and a ~1e6 gradient
    name = "cosine_embedding_zero_row_3x4"
    r = rng_for(name)
    x1 = r.normal(size=(3, 4))
    x1[1] = 0.0
    cfgs.append(cat(name, "cosine_embedding",
                    {"x1": x1, "x2": r.normal(size=(3, 4)), "y": np.array([1.0, 1.0, -1.0])},
                    diff=("x1", "x2")))
    return cfgs


def hinge_embedding_cat_configs():
    cfgs = []
    for margin in (1.0, 2.0):
        name = f"hinge_embedding_m{margin}_3x4"
        r = rng_for(name)
        cfgs.append(cat(name, "hinge_embedding",
                        {"input": r.uniform(0.0, 3.0, size=(3, 4)), "target": pm1(r, (3, 4))},
                        options=opt("hinge_embedding", margin=margin)))
    return cfgs


def triplet_cat_configs():
    cfgs = []
    names = ("anchor", "positive", "negative")
    for tag, margin, p, swap in (("", 1.0, 2, False), ("_m0.3", 0.3, 2, False),
                                 ("_p1", 1.0, 1, False), ("_swap", 1.0, 2, True),
                                 ("_m0.3_p1_swap", 0.3, 1, True)):
        name = f"triplet_margin{tag}_5x3"
        r = rng_for(name)
        a = r.normal(size=(5, 3))
        pos = a + r.normal(size=(5, 3)) * 0.7
        neg = a + r.normal(size=(5, 3)) * 1.2
        cfgs.append(cat(name, "triplet_margin", {"anchor": a, "positive": pos, "negative": neg},
                        diff=names, options=opt("triplet_margin", margin=margin, p=p,
                                                swap=swap)))
    # TripletMarginWithDistanceLoss with the cosine distance 1 - cos(a, b)
    for tag, margin, swap, scale in (("", 0.5, False, 1.0), ("_m0.2_swap", 0.2, True, 1.0),
                                     ("_m1_unnormalised", 1.0, False, 30.0)):
        name = f"triplet_cosine{tag}_6x4"
        r = rng_for(name)
        a = r.normal(size=(6, 4)) * scale
        pos = a + r.normal(size=(6, 4)) * 0.6 * scale
        neg = a + r.normal(size=(6, 4)) * 1.1 * scale
        o = opt("triplet_margin", margin=margin, swap=swap)
        o["distance"] = "cosine"
        cfgs.append(cat(name, "triplet_margin", {"anchor": a, "positive": pos, "negative": neg},
                        diff=names, options=o))
    # anchor == positive exactly: d(a, p) = ||a - p + eps||_2 = eps sqrt(D)
    name = "triplet_margin_anchor_eq_positive_5x3"
    r = rng_for(name)
    a = r.normal(size=(5, 3))
    cfgs.append(cat(name, "triplet_margin",
                    {"anchor": a, "positive": a.copy(), "negative": a + r.normal(size=(5, 3)) * 0.4},
                    diff=names))
    return cfgs


# -- 24: bounding-box losses ----------------------------------------------

BOX_LOSSES = ("iou", "giou", "diou", "ciou")


def random_boxes(r, n):
    xy = r.uniform(0.0, 5.0, size=(n, 2))
    wh = r.uniform(1.0, 4.0, size=(n, 2))
    return np.concatenate([xy, xy + wh], axis=1)


def box_cat_configs():
    cfgs = []
    sets = []
    # prediction = target jittered by < 0.5 per coordinate: always overlapping
    name = "random_overlap_6"
    r = rng_for(name)
    b2 = random_boxes(r, 6)
    b1 = b2 + r.uniform(-0.45, 0.45, size=(6, 4))
    sets.append((name, b1, b2))
    # disjoint: shifted right / down / diagonally past the box
    name = "disjoint_6"
    r = rng_for(name)
    b1 = random_boxes(r, 6)
    w, h = b1[:, 2] - b1[:, 0], b1[:, 3] - b1[:, 1]
    gap = r.uniform(0.5, 3.0, size=6)
    sx = np.array([1, 0, 1, -1, 0, 1]) * (w + gap)
    sy = np.array([0, 1, 1, 0, -1, -1]) * (h + gap)
    b2 = random_boxes(r, 6)
    b2[:, [0, 2]] = b1[:, [0, 2]] + sx[:, None] + r.uniform(-0.2, 0.2, size=(6, 1))
    b2[:, [1, 3]] = b1[:, [1, 3]] + sy[:, None] + r.uniform(-0.2, 0.2, size=(6, 1))
    sets.append((name, b1, b2))
    # zero-area boxes (x1 = x2): rows 0-2 in the prediction, 3-5 in the target
    sets.append(("zero_area_6",
                 np.array([[2.0, 1.0, 2.0, 3.0], [0.5, 0.5, 0.5, 2.5], [6.0, 1.0, 6.0, 2.0],
                           [0.0, 0.0, 2.0, 2.0], [1.0, 1.0, 4.0, 3.0], [0.0, 0.0, 1.0, 1.5]]),
                 np.array([[1.0, 1.0, 4.0, 4.0], [0.0, 0.0, 2.0, 2.0], [1.0, 1.0, 3.0, 3.0],
                           [1.0, 0.5, 1.0, 1.5], [2.5, 0.0, 2.5, 5.0], [3.0, 3.0, 3.0, 4.0]])))
    # identical boxes: max/min ties everywhere
    name = "identical_6"
    r = rng_for(name)
    b = np.round(random_boxes(r, 6) * 8.0) / 8.0  # dyadic: identical in f32 too
    sets.append((name, b, b.copy()))
    # containment: rows 0-2 prediction contains target, rows 3-5 the reverse
    sets.append(("contains_6",
                 np.array([[0.0, 0.0, 6.0, 5.0], [1.0, 1.0, 5.0, 3.0], [0.5, 0.25, 4.5, 6.0],
                           [2.0, 2.0, 3.0, 3.5], [1.5, 1.25, 2.0, 2.0], [3.0, 1.0, 4.0, 4.0]]),
                 np.array([[1.0, 1.5, 3.0, 2.75], [2.0, 1.5, 3.0, 2.5], [1.0, 2.0, 2.0, 3.0],
                           [1.0, 1.0, 5.0, 5.0], [0.0, 0.0, 4.0, 3.0], [2.0, 0.5, 6.0, 7.0]])))
    # the sample of torchvision's docs: overlapping, disjoint, identical
    sets.append(("docs_sample_3",
                 np.array([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 3.0, 4.0]]),
                 np.array([[1.0, 1.0, 3.0, 3.0], [2.0, 2.0, 3.0, 3.0], [1.0, 1.0, 3.0, 4.0]])))
    for loss in BOX_LOSSES:
        for tag, b1, b2 in sets:
            cfgs.append(cat(f"{loss}_{tag}", loss, {"boxes1": b1, "boxes2": b2},
                            diff=("boxes1",)))
    return cfgs


def all_catalogue_configs():
    return (huber_cat_configs() + smooth_l1_cat_configs() + log_cosh_cat_configs()
            + msle_cat_configs() + mape_cat_configs() + quantile_cat_configs()
            + weighted_regression_cat_configs() + poisson_cat_configs()
            + gaussian_cat_configs() + kl_cat_configs() + nll_cat_configs()
            + ce_nd_cat_configs() + keras_probs_cat_configs() + bce_weighted_cat_configs()
            + bcel_weighted_cat_configs() + focal_cat_configs() + hinge_cat_configs()
            + multi_margin_cat_configs() + soft_margin_cat_configs()
            + multilabel_soft_margin_cat_configs() + ce_z_cat_configs() + clip_cat_configs()
            + margin_ranking_cat_configs() + cosine_embedding_cat_configs()
            + hinge_embedding_cat_configs() + triplet_cat_configs() + box_cat_configs())


def reduce_loss(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    assert reduction == "none", reduction
    return loss


def catalogue_loss(loss, t, o, reduction, dtype):
    """The loss value; t: name -> tensor, o: options (class_weights already
    rounded to the dtype)."""
    d = dict(CAT_DEFAULTS.get(loss, {}))
    d.update(o)
    cw = d.get("class_weights")
    cw = None if cw is None else torch.tensor(cw, dtype=dtype)
    x, y = t.get("input"), t.get("target")
    if loss == "huber":
        return F.huber_loss(x, y, reduction=reduction, delta=d["delta"])
    if loss == "smooth_l1":
        return F.smooth_l1_loss(x, y, reduction=reduction, beta=d["beta"])
    if loss == "log_cosh":
        # re-derived (Keras log_cosh / optax.log_cosh):
        #   e = input - target,  l = log(cosh(e)) = e + softplus(-2e) - ln 2
        #                                         = logaddexp(e, -e) - ln 2
        # torch.logaddexp is max(a, b) + log1p(exp(-|a - b|)) (finite for any
        # finite e) and its backward exp(a - out) - exp(b - out) gives
        # tanh(e), also at e = 0 (a relu/abs-based softplus would give 1 there)
        e = x - y
        return reduce_loss(torch.logaddexp(e, -e) - math.log(2.0), reduction)
    if loss == "msle":
        # re-derived (Keras mean_squared_logarithmic_error, eps = 1e-7):
        #   l = (log1p(max(input, eps)) - log1p(max(target, eps)))^2
        # max via torch.clamp(min=eps): gradient 0 where input <= eps
        lx = torch.log1p(torch.clamp(x, min=KERAS_EPS))
        ly = torch.log1p(torch.clamp(y, min=KERAS_EPS))
        return reduce_loss((lx - ly) ** 2, reduction)
    if loss == "mape":
        # re-derived (Keras mean_absolute_percentage_error, eps = 1e-7):
        #   l = 100 * |target - input| / max(|target|, eps)
        return reduce_loss(100.0 * torch.abs(y - x) / torch.clamp(torch.abs(y), min=KERAS_EPS),
                           reduction)
    if loss == "quantile":
        # re-derived (pinball loss): e = target - input,
        #   l = max(tau e, (tau - 1) e)   (torch.maximum; no ties in the data)
        e = y - x
        tau = d["tau"]
        return reduce_loss(torch.maximum(tau * e, (tau - 1.0) * e), reduction)
    if loss == "clip":
        # re-derived (open_clip ClipLoss, one process): unit rows by
        # F.normalize (eps 1e-12), logits = exp(log_scale) * u @ v.T, the
        # mean of the two cross-entropies against the diagonal; per pair
        # (reduction none) the mean of its row's and its column's terms.
        # Computed in float64 on the case's inputs and cast back: torch's own
        # float32 pass is 3e-5 off on the small-norm case (every term divided
        # by the norms), more than the f32 tolerance; ndloss accumulates in f64.
        u = F.normalize(t["image"].double(), dim=-1)
        v = F.normalize(t["text"].double(), dim=-1)
        logits = torch.exp(t["log_scale"].double()) * u @ v.T
        labels = torch.arange(logits.shape[0])
        per = 0.5 * (F.cross_entropy(logits, labels, reduction="none")
                     + F.cross_entropy(logits.T, labels, reduction="none"))
        return reduce_loss(per, reduction).to(dtype)
    if loss == "cross_entropy_z":
        # re-derived (PaLM's z-loss as ndloss defines it): per row
        #   l = cross_entropy + z * w_y * logsumexp(x)^2   (w_y = 1 without weights;
        #   ignored rows 0), mean = sum / sum of w_y over the kept rows (PyTorch's
        #   weighted-mean denominator)
        ig = d.get("ignore_index", -100)
        ce = F.cross_entropy(x, y, weight=cw, ignore_index=ig, reduction="none",
                             label_smoothing=d.get("label_smoothing", 0.0))
        keep = y != ig
        safe = torch.where(keep, y, torch.zeros_like(y))
        w = (cw[safe] if cw is not None else torch.ones_like(ce)) * keep
        per = ce + d["z_loss"] * w * torch.logsumexp(x, dim=1) ** 2
        if reduction == "mean":
            return per.sum() / w.sum()
        return reduce_loss(per, reduction)
    if loss == "multilabel_soft_margin":
        return F.multilabel_soft_margin_loss(x, y, weight=cw, reduction=reduction)
    if loss == "mse_weighted":
        return F.mse_loss(x, y, reduction=reduction, weight=t["weight"])
    if loss == "mae_weighted":
        return F.l1_loss(x, y, reduction=reduction, weight=t["weight"])
    if loss == "poisson_nll":
        return F.poisson_nll_loss(x, y, log_input=d["log_input"], full=d["full"], eps=d["eps"],
                                  reduction=reduction)
    if loss == "gaussian_nll":
        return F.gaussian_nll_loss(x, y, t["var"], full=d["full"], eps=d["eps"],
                                   reduction=reduction)
    if loss == "kl_div":
        return F.kl_div(x, y, reduction=reduction, log_target=d["log_target"])
    if loss == "nll":
        return F.nll_loss(x, y, weight=cw, ignore_index=d["ignore_index"], reduction=reduction)
    if loss == "cross_entropy_nd":
        return F.cross_entropy(x, y, weight=cw, ignore_index=d["ignore_index"],
                               reduction=reduction, label_smoothing=d["label_smoothing"])
    if loss == "cross_entropy_keras_probs":
        # re-derived (Keras categorical_crossentropy, from_logits=False,
        # eps = 1e-7), over dim 1 of an (N, C) input of probabilities:
        #   q = input / sum_c input;  q = clip(q, eps, 1 - eps)
        #   l_i = -sum_c t_ic log q_ic   (probability / one-hot targets)
        #   l_i = -log q_{i, y_i}         (class-index targets)
        # mean = mean over rows.  1 - eps is rounded to the dtype by clamp.
        q = x / x.sum(dim=1, keepdim=True)
        q = torch.clamp(q, min=KERAS_EPS, max=1.0 - KERAS_EPS)
        if y.dtype == torch.int64:
            per_row = -torch.log(q.gather(1, y.unsqueeze(1))).squeeze(1)
        else:
            per_row = -(y * torch.log(q)).sum(dim=1)
        return reduce_loss(per_row, reduction)
    if loss == "bce_weighted":
        return F.binary_cross_entropy(x, y, weight=t["weight"], reduction=reduction)
    if loss == "bce_with_logits_weighted":
        return F.binary_cross_entropy_with_logits(x, y, weight=t.get("weight"),
                                                  pos_weight=t["pos_weight"],
                                                  reduction=reduction)
    if loss == "sigmoid_focal":
        return sigmoid_focal_loss(t["inputs"], t["targets"], alpha=d["alpha"], gamma=d["gamma"],
                                  reduction=reduction)
    if loss in ("hinge", "squared_hinge"):
        # re-derived (Keras hinge / squared_hinge): if every label is 0 or 1
        # (decided over the whole target tensor) y <- 2 y - 1, else y as is;
        #   l = max(1 - y * input, 0)  [squared_hinge: l^2], element-wise
        # (mean = over all elements).  max via torch.clamp(min=0): gradient 0
        # at the kink y * input = 1 (only "none" cases contain it)
        if bool(((y == 0) | (y == 1)).all()):
            y = 2.0 * y - 1.0
        h = torch.clamp(1.0 - y * x, min=0.0)
        return reduce_loss(h if loss == "hinge" else h ** 2, reduction)
    if loss == "multi_margin":
        return F.multi_margin_loss(x, y, p=d["p"], margin=d["margin"], weight=cw,
                                   reduction=reduction)
    if loss == "soft_margin":
        return F.soft_margin_loss(x, y, reduction=reduction)
    if loss == "margin_ranking":
        return F.margin_ranking_loss(t["x1"], t["x2"], t["y"], margin=d["margin"],
                                     reduction=reduction)
    if loss == "cosine_embedding":
        return F.cosine_embedding_loss(t["x1"], t["x2"], t["y"], margin=d["margin"],
                                       reduction=reduction)
    if loss == "hinge_embedding":
        return F.hinge_embedding_loss(x, y, margin=d["margin"], reduction=reduction)
    if loss == "triplet_margin" and d.get("distance") == "cosine":
        # In float64 on the case's inputs, cast back: torch's float32 pass
        # rounds the cosine's gradient (a difference of two terms) 2e-5 away
        # from the exact one, the f32 tolerance; ndloss accumulates in f64.
        return F.triplet_margin_with_distance_loss(
            t["anchor"].double(), t["positive"].double(), t["negative"].double(),
            distance_function=lambda a, b: 1.0 - F.cosine_similarity(a, b),
            margin=d["margin"], swap=d["swap"], reduction=reduction).to(dtype)
    if loss == "triplet_margin":
        return F.triplet_margin_loss(t["anchor"], t["positive"], t["negative"],
                                     margin=d["margin"], p=d["p"], eps=d["eps"], swap=d["swap"],
                                     reduction=reduction)
    if loss == "iou":
        # re-derived: l = 1 - inter / (union + eps), eps = 1e-7, with
        # torchvision's inter / union (torchvision.ops._utils._loss_inter_union:
        # inter = 0 unless both overlaps are strictly positive; union =
        # area1 + area2 - inter); mean = mean over boxes
        inter, union = _loss_inter_union(t["boxes1"], t["boxes2"])
        return reduce_loss(1 - inter / (union + BOX_LOSS_EPS), reduction)
    if loss == "giou":
        return generalized_box_iou_loss(t["boxes1"], t["boxes2"], reduction=reduction,
                                        eps=BOX_LOSS_EPS)
    if loss == "diou":
        return distance_box_iou_loss(t["boxes1"], t["boxes2"], reduction=reduction,
                                     eps=BOX_LOSS_EPS)
    if loss == "ciou":
        return complete_box_iou_loss(t["boxes1"], t["boxes2"], reduction=reduction,
                                     eps=BOX_LOSS_EPS)
    raise ValueError(loss)


def make_catalogue_case(cfg, dtype_name, reduction):
    dtype = DTYPES[dtype_name]
    with default_dtype(dtype):
        tensors = {}
        for key, a in cfg["inputs"].items():
            a = np.asarray(a)
            if a.dtype.kind in "iu":
                tensors[key] = torch.tensor(a, dtype=torch.int64)
            else:
                tensors[key] = to_t(a, dtype).requires_grad_(key in cfg["diff"])
        options = dict(cfg["options"])
        if "class_weights" in options:
            options["class_weights"] = [float(v) for v in
                                        torch.tensor(options["class_weights"], dtype=dtype).tolist()]
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. a broadcasting size mismatch
            warnings.filterwarnings("ignore", message="reduction: 'mean' divides the total loss")
            value = catalogue_loss(cfg["loss"], tensors, options, reduction, dtype)
        assert value.dtype == dtype, (cfg["name"], value.dtype)
        case = {"name": f"{cfg['name']}_{dtype_name}_{reduction}", "loss": cfg["loss"],
                "dtype": dtype_name, "reduction": reduction}
        case.update(cfg["extra"])
        case["options"] = options
        case["inputs"] = {key: enc(tv) for key, tv in tensors.items()}
        case["value"] = enc(value)
        if reduction != "none":
            diff = [tensors[key] for key in cfg["diff"]]
            grads = torch.autograd.grad(value, diff, allow_unused=True)
            case["grads"] = {key: enc(torch.zeros_like(tv) if g is None else g)
                             for key, tv, g in zip(cfg["diff"], diff, grads)}
    return case


def generate_catalogue():
    cases = []
    for cfg in all_catalogue_configs():
        for dtype_name in DTYPES:
            for reduction in cfg["reductions"]:
                cases.append(make_catalogue_case(cfg, dtype_name, reduction))
    return {"torch_version": torch.__version__, "torchvision_version": torchvision.__version__,
            "generator": GENERATOR, "cases": cases}


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


def dec(arr, dtype=np.float64):
    """{"shape", "data"} -> ndarray (inverse of enc for floats)."""
    data = [float(x) if isinstance(x, str) else x for x in arr["data"]]
    return np.array(data, dtype=dtype).reshape(arr["shape"])


OPTIM_DEFAULTS = {
    "sgd": dict(momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False),
    "adam": dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                 decoupled_weight_decay=False),
    "adamw": dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                  decoupled_weight_decay=True),
    "rmsprop": dict(alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False),
    "adagrad": dict(lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                    eps=1e-10),
    "adadelta": dict(rho=0.9, eps=1e-6, weight_decay=0.0),
    "adamax": dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0),
    "nadam": dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                  decoupled_weight_decay=False),
    "radam": dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                  decoupled_weight_decay=False),
    "lion": dict(betas=(0.9, 0.99), weight_decay=0.0),
}


def numpy_optim_trajectory(case):
    """Independent f64 numpy re-implementation of every optimizer family (the
    textbook formulas, not torch's operation order): checks the semantics of
    the stored trajectories, not their last bits."""
    opt = case["optimizer"]
    options = dict(case["options"])
    groups = options.pop("groups", None)
    params = [dec(p) for p in case["params"]]
    hps = []
    for i in range(len(params)):
        hp = dict(OPTIM_DEFAULTS[opt], maximize=False)
        hp.update(options)
        for g in groups or []:
            if i in g["params"]:
                hp.update({k: v for k, v in g.items() if k != "params"})
        hps.append(hp)
    state = [dict() for _ in params]
    out = []
    for t, step_grads in enumerate(case["grads"], start=1):
        for i, (p, garr) in enumerate(zip(params, step_grads)):
            hp, st = hps[i], state[i]
            lr, wd = hp["lr"], hp["weight_decay"]
            g = dec(garr)
            if hp["maximize"]:
                g = -g
            if opt in ("adam", "adamw", "nadam", "radam") and hp["decoupled_weight_decay"]:
                p *= 1 - lr * wd
            elif opt != "lion" and wd != 0:
                g = g + wd * p
            if opt == "sgd":
                if hp["momentum"] != 0:
                    buf = g.copy() if t == 1 else \
                        hp["momentum"] * st["buf"] + (1 - hp["dampening"]) * g
                    st["buf"] = buf
                    g = g + hp["momentum"] * buf if hp["nesterov"] else buf
                p -= lr * g
            elif opt in ("adam", "adamw"):
                b1, b2 = hp["betas"]
                st["m"] = b1 * st.get("m", 0.0) + (1 - b1) * g
                st["v"] = b2 * st.get("v", 0.0) + (1 - b2) * g * g
                v = st["v"]
                if hp["amsgrad"]:
                    st["vmax"] = v = np.maximum(st.get("vmax", 0.0), v)
                denom = np.sqrt(v) / math.sqrt(1 - b2 ** t) + hp["eps"]
                p -= lr / (1 - b1 ** t) * st["m"] / denom
            elif opt == "rmsprop":
                a = hp["alpha"]
                st["v"] = a * st.get("v", 0.0) + (1 - a) * g * g
                if hp["centered"]:
                    st["ga"] = a * st.get("ga", 0.0) + (1 - a) * g
                    avg = np.sqrt(st["v"] - st["ga"] ** 2) + hp["eps"]
                else:
                    avg = np.sqrt(st["v"]) + hp["eps"]
                if hp["momentum"] > 0:
                    st["buf"] = hp["momentum"] * st.get("buf", 0.0) + g / avg
                    p -= lr * st["buf"]
                else:
                    p -= lr * g / avg
            elif opt == "adagrad":
                st["s"] = st.get("s", hp["initial_accumulator_value"]) + g * g
                clr = lr / (1 + (t - 1) * hp["lr_decay"])
                p -= clr * g / (np.sqrt(st["s"]) + hp["eps"])
            elif opt == "adadelta":
                rho, eps = hp["rho"], hp["eps"]
                st["v"] = rho * st.get("v", 0.0) + (1 - rho) * g * g
                delta = np.sqrt(st.get("u", 0.0) + eps) / np.sqrt(st["v"] + eps) * g
                st["u"] = rho * st.get("u", 0.0) + (1 - rho) * delta * delta
                p -= lr * delta
            elif opt == "adamax":
                b1, b2 = hp["betas"]
                st["m"] = b1 * st.get("m", 0.0) + (1 - b1) * g
                st["u"] = np.maximum(b2 * st.get("u", 0.0), np.abs(g) + hp["eps"])
                p -= lr / (1 - b1 ** t) * st["m"] / st["u"]
            elif opt == "nadam":
                b1, b2 = hp["betas"]
                md = hp["momentum_decay"]
                mu = b1 * (1 - 0.5 * 0.96 ** (t * md))
                mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * md))
                st["mu_prod"] = st.get("mu_prod", 1.0) * mu
                st["m"] = b1 * st.get("m", 0.0) + (1 - b1) * g
                st["v"] = b2 * st.get("v", 0.0) + (1 - b2) * g * g
                denom = np.sqrt(st["v"] / (1 - b2 ** t)) + hp["eps"]
                p -= lr * (1 - mu) / (1 - st["mu_prod"]) * g / denom
                p -= lr * mu_next / (1 - st["mu_prod"] * mu_next) * st["m"] / denom
            elif opt == "radam":
                b1, b2 = hp["betas"]
                st["m"] = b1 * st.get("m", 0.0) + (1 - b1) * g
                st["v"] = b2 * st.get("v", 0.0) + (1 - b2) * g * g
                m_hat = st["m"] / (1 - b1 ** t)
                rho_inf = 2 / (1 - b2) - 1
                rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
                if rho_t > 5:
                    rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                                     / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                    adaptive = math.sqrt(1 - b2 ** t) / (np.sqrt(st["v"]) + hp["eps"])
                    p -= lr * m_hat * rect * adaptive
                else:
                    p -= lr * m_hat
            elif opt == "lion":
                b1, b2 = hp["betas"]
                m = st.get("m", 0.0)
                p -= lr * (np.sign(b1 * m + (1 - b1) * g) + wd * p)
                st["m"] = b2 * m + (1 - b2) * g
            else:
                raise ValueError(opt)
        out.append([p.copy() for p in params])
    return out


def numpy_lion_exact(case):
    """Bit-exact numpy replay of LionReference in the case dtype."""
    dt = np.float32 if case["dtype"] == "f32" else np.float64
    hp = dict(OPTIM_DEFAULTS["lion"])
    hp.update(case["options"])
    b1, b2 = hp["betas"]
    lr, wd = dt(hp["lr"]), dt(hp["weight_decay"])
    params = [dec(p, dt) for p in case["params"]]
    ms = [np.zeros_like(p) for p in params]
    out = []
    for step_grads in case["grads"]:
        for i, garr in enumerate(step_grads):
            g, p, m = dec(garr, dt), params[i], ms[i]
            u = np.sign(m * dt(b1) + g * dt(1.0 - b1))
            d = u + p * wd if hp["weight_decay"] != 0 else u
            params[i] = p - d * lr
            ms[i] = m * dt(b2) + g * dt(1.0 - b2)
        out.append([p.copy() for p in params])
    return out


def check_optim(optim):
    for c in optim["cases"]:
        if c["dtype"] == "f32":
            for arr in walk_arrays(c):
                assert all(is_f32_exact(x) for x in arr["data"]), c["name"]
        assert len(c["grads"]) == len(c["trajectory"]) == OPTIM_STEPS, c["name"]
        if c["dtype"] == "f64":
            ref = numpy_optim_trajectory(c)
            for want_step, got_step in zip(ref, c["trajectory"]):
                for want, got in zip(want_step, got_step):
                    assert np.allclose(dec(got), want, rtol=1e-10, atol=1e-12), c["name"]
        if c["optimizer"] == "lion":
            ref = numpy_lion_exact(c)
            for want_step, got_step in zip(ref, c["trajectory"]):
                for want, got in zip(want_step, got_step):
                    assert np.array_equal(dec(got), want.astype(np.float64)), c["name"]
        if c["optimizer"] == "radam":
            b2 = c["options"].get("betas", [0.9, 0.999])[1]
            first = radam_first_rectified_step(b2)
            assert first is not None and 1 < first <= OPTIM_STEPS, c["name"]
    # the sign(0) case really has c = 0 elements at step 1: they do not move
    c = next(c for c in optim["cases"] if c["name"] == "lion_sign_zero_f64")
    assert dec(c["trajectory"][0][0])[0].tolist() == dec(c["params"][0])[0].tolist()


def check_schedules(schedules):
    by_name = {c["name"]: c for c in schedules["cases"]}
    for c in schedules["cases"]:
        assert c["scheduler"] in SCHEDULER_CLASSES, c["name"]
        assert len(c["lrs"]) == c["steps"] + 1, c["name"]
        assert all(len(row) == len(c["base_lrs"]) for row in c["lrs"]), c["name"]
        if "momentums" in c:
            assert len(c["momentums"]) == c["steps"] + 1, c["name"]
        assert ("metrics" in c) == (c["scheduler"] == "reduce_lr_on_plateau"), c["name"]
    # closed forms (the recursive torch formulas agree up to rounding)
    for name in ("step_lr", "step_lr_two_groups"):
        c = by_name[name]
        o = c["options"]
        for k, row in enumerate(c["lrs"]):
            for base, lr in zip(c["base_lrs"], row):
                assert math.isclose(lr, base * o["gamma"] ** (k // o["step_size"]),
                                    rel_tol=1e-14)
    c = by_name["exponential_lr"]
    assert all(math.isclose(row[0], 0.1 * 0.9 ** k, rel_tol=1e-14)
               for k, row in enumerate(c["lrs"]))
    for name in ("cosine_annealing_lr_past_tmax", "cosine_annealing_lr_tmax10",
                 "cosine_annealing_lr_two_groups"):
        c = by_name[name]
        T, eta_min = c["options"]["T_max"], c["options"].get("eta_min", 0.0)
        for k, row in enumerate(c["lrs"]):
            for base, lr in zip(c["base_lrs"], row):
                want = eta_min + (base - eta_min) * (1 + math.cos(math.pi * k / T)) / 2
                assert abs(lr - want) <= 1e-14 * base, (name, k)
    # ReduceLROnPlateau: reductions exactly at the documented steps
    for name, steps in (("reduce_lr_on_plateau_default", [16, 27]),
                        ("reduce_lr_on_plateau_max_cooldown_min_lr", [7, 13, 18]),
                        ("reduce_lr_on_plateau_abs", [6, 9, 13])):
        lrs = [row[0] for row in by_name[name]["lrs"]]
        assert [k for k in range(1, len(lrs)) if lrs[k] != lrs[k - 1]] == steps, name
    assert by_name["reduce_lr_on_plateau_max_cooldown_min_lr"]["lrs"][-1] == [0.02]
    # OneCycleLR ends at initial_lr / final_div_factor = max_lr / 25 / 1e4
    for name in ("one_cycle_lr_cos_sgd", "one_cycle_lr_three_phase_linear_adam",
                 "one_cycle_lr_no_momentum"):
        c = by_name[name]
        assert math.isclose(c["lrs"][-1][0], c["options"]["max_lr"] / 25 / 1e4,
                            rel_tol=1e-6), name
    assert "momentums" not in by_name["one_cycle_lr_no_momentum"]
    # SequentialLR: warm-up to the base lr at the milestone, then cosine from it
    c = by_name["sequential_lr_warmup_cosine"]
    assert c["lrs"][0] == [0.1 * 0.01] and c["lrs"][5] == [0.1]


def check_clip(clip):
    for c in clip["cases"]:
        if c["dtype"] == "f32":
            for arr in walk_arrays(c):
                assert all(is_f32_exact(x) for x in arr["data"]), c["name"]
        grads = [dec(a) for a in c["grads"]]
        clipped = [dec(a) for a in c["clipped"]]
        assert [g.shape for g in grads] == CLIP_SHAPES, c["name"]
        o = c["options"]
        if c["kind"] == "value":
            for g, k in zip(grads, clipped):
                assert np.array_equal(np.clip(g, -o["clip_value"], o["clip_value"]), k)
            continue
        flat = np.concatenate([g.ravel() for g in grads])
        p = decode_number(o["norm_type"])
        total = dec(c["total_norm"])[()]
        want = np.abs(flat).max() if p == math.inf else (np.abs(flat) ** p).sum() ** (1 / p)
        if not np.isfinite(want):
            assert total == math.inf, c["name"]
            for g, k in zip(grads, clipped):
                assert np.array_equal(np.isnan(k), ~np.isfinite(g)), c["name"]
                assert np.all(k[np.isfinite(g)] == 0.0), c["name"]
            continue
        rtol = 1e-6 if c["dtype"] == "f32" else 1e-14
        assert math.isclose(total, want, rel_tol=rtol), c["name"]
        coef = min(o["max_norm"] / (total + 1e-6), 1.0)
        for g, k in zip(grads, clipped):
            assert np.allclose(k, g * coef, rtol=rtol, atol=0.0), c["name"]
        if coef == 1.0:
            assert all(np.array_equal(g, k) for g, k in zip(grads, clipped)), c["name"]


def check_lasso(lasso):
    for c in lasso["cases"]:
        X, y, w, alpha = dec(c["X"]), dec(c["y"]), dec(c["coef"]), c["alpha"]
        n = X.shape[0]
        # KKT conditions of (1/(2n))||y - Xw||^2 + alpha ||w||_1
        g = X.T @ (y - X @ w) / n
        nz = w != 0.0
        assert np.all(np.abs(g[nz] - alpha * np.sign(w[nz])) <= 1e-9), c["name"]
        assert np.all(np.abs(g[~nz]) <= alpha + 1e-9), c["name"]
        assert c["zero_coef_indices"] == np.flatnonzero(~nz).tolist()
        assert set(LASSO_TRUE_ZEROS) <= set(c["zero_coef_indices"]), c["name"]
        assert math.isclose(lasso_objective(X, y, w, alpha), c["objective"], rel_tol=1e-15)
    zeros = {c["alpha"]: c["zero_coef_indices"] for c in lasso["cases"]}
    assert zeros[0.1] == [1, 4, 6, 7, 9] and zeros[0.02] == [1, 4, 6, 9], zeros


def self_check(docs):
    """docs: {filename: document}, all already written to DATA_DIR."""
    losses, optim = docs["losses.json"], docs["optim.json"]
    # hand-computed value: ((0.5)^2 + 0 + (0.5)^2 + 0) / 4 = 0.125
    a = torch.tensor([[0.5, 1.0], [2.0, -1.0]], dtype=torch.float64)
    b = torch.tensor([[0.0, 1.0], [2.5, -1.0]], dtype=torch.float64)
    assert F.mse_loss(a, b).item() == 0.125
    assert F.mse_loss(a.float(), b.float()).item() == 0.125
    assert F.l1_loss(a, b).item() == 0.25
    # BCE at p=0, y=1 is the clamped -log: 100
    assert F.binary_cross_entropy(torch.tensor([0.0]), torch.tensor([1.0])).item() == 100.0
    assert torch.get_default_dtype() == torch.float32, "default dtype not restored"

    # unique names, array shapes consistent with data lengths
    for doc in docs.values():
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
    check_optim(optim)
    check_schedules(docs["schedules.json"])
    check_clip(docs["clip.json"])
    check_lasso(docs["lasso.json"])

    # an independent recomputation of one case from its own stored data
    c = next(c for c in losses["cases"] if c["name"] == "mse_2d_3x4_f64_mean")
    p = np.array(c["pred"]["data"]).reshape(c["pred"]["shape"])
    t = np.array(c["target"]["data"]).reshape(c["target"]["shape"])
    assert abs(np.mean((p - t) ** 2) - c["value"]["data"][0]) <= 1e-15 * abs(c["value"]["data"][0])

    # reloading the files reproduces identical floats (bitwise)
    paths = [os.path.join(DATA_DIR, name) for name in docs]
    for doc, path in zip(docs.values(), paths):
        with open(path, encoding="utf-8") as f:
            back = json.load(f)
        assert back == doc, f"{path} does not round-trip"
        for x_arr, y_arr in zip(walk_arrays(doc), walk_arrays(back)):
            for x, y in zip(x_arr["data"], y_arr["data"]):
                assert type(x) is type(y)
                if isinstance(x, float):
                    assert np.float64(x).tobytes() == np.float64(y).tobytes()

    total = sum(os.path.getsize(p) for p in paths)
    assert total < 4 * 1024 * 1024, f"reference data too large: {total} bytes"


# Catalogue losses whose "mean" is not the plain mean of the "none" output
# (checked separately in check_catalogue): weighted MSE / MAE divide by
# sum(weight); nll / cross-entropy with class weights divide by the summed
# weights of the non-ignored targets, with ignore_index by their count.
def catalogue_mean_is_plain(c):
    if c["loss"] in ("mse_weighted", "mae_weighted"):
        return False
    if c["loss"] in ("nll", "cross_entropy_nd", "cross_entropy_z") and c.get("target_kind") != "probs":
        return not ("class_weights" in c["options"] or "ignore_index" in c["options"])
    return True


def check_catalogue(doc):
    cases = doc["cases"]
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), "duplicate catalogue case names"
    by_name = {c["name"]: c for c in cases}
    for c in cases:
        assert c["dtype"] in DTYPES and c["reduction"] in KL_REDUCTIONS, c["name"]
        assert (c["reduction"] == "batchmean") <= (c["loss"] == "kl_div"), c["name"]
        assert ("grads" in c) == (c["reduction"] != "none"), c["name"]
        for arr in walk_arrays(c):
            assert len(arr["data"]) == math.prod(arr["shape"]), c["name"]
            # every value, gradient and input of the catalogue is finite
            assert all(not isinstance(x, str) and math.isfinite(x) for x in arr["data"]), c["name"]
            if c["dtype"] == "f32":
                assert all(is_f32_exact(x) for x in arr["data"]), c["name"]
        for key, g in c.get("grads", {}).items():
            assert g["shape"] == c["inputs"][key]["shape"], c["name"]
        if c["reduction"] != "none":
            assert c["value"]["shape"] == [], c["name"]

    # reductions against the unreduced output of the same configuration
    for c in cases:
        if c["reduction"] == "none":
            continue
        base = c["name"][: -len(c["reduction"])]
        none = dec(by_name[base + "none"]["value"])
        v = dec(c["value"])[()]
        rtol = 1e-5 if c["dtype"] == "f32" else 1e-12
        scale = np.abs(none).sum()
        if c["reduction"] == "sum":
            want = none.sum()
        elif c["reduction"] == "batchmean":
            want = none.sum() / c["inputs"]["input"]["shape"][0]
        elif catalogue_mean_is_plain(c):
            want, scale = none.mean(), scale / none.size
        else:
            continue
        assert abs(v - want) <= rtol * scale, (c["name"], v, want)

    # weighted MSE / MAE: mean = sum(w l) / sum(w) -- while F.huber_loss's
    # weight= divides by the element count (documented here, not in the data)
    for c in cases:
        if c["loss"] in ("mse_weighted", "mae_weighted") and c["reduction"] == "mean" \
                and c["dtype"] == "f64":
            x, y, w = (dec(c["inputs"][k]) for k in ("input", "target", "weight"))
            err = (x - y) ** 2 if c["loss"] == "mse_weighted" else np.abs(x - y)
            assert math.isclose(dec(c["value"])[()], (w * err).sum() / w.sum(), rel_tol=1e-13)
            assert np.allclose(dec(c["grads"]["input"]),
                               w * (2 * (x - y) if c["loss"] == "mse_weighted"
                                    else np.sign(x - y)) / w.sum(), rtol=1e-12, atol=0)
    hx = torch.tensor([0.0, 3.0], dtype=torch.float64)
    hy = torch.tensor([1.0, 0.0], dtype=torch.float64)
    hw = torch.tensor([1.0, 3.0], dtype=torch.float64)
    assert F.huber_loss(hx, hy, weight=hw).item() == (0.5 * 1.0 + 3.0 * 2.5) / 2
    assert F.mse_loss(hx, hy, weight=hw).item() == (1.0 + 27.0) / 4

    # hand values: Huber at the branch point, 0.5 delta^2 = 3.125 for delta 2.5
    c = by_name["huber_d2.5_edge_kinks_1e6_8_f32_none"]
    assert c["value"]["data"][:3] == [3.125, 3.125, 0.0]
    # torchvision's generalized_box_iou_loss docs sample (f64, eps = 1e-7)
    got = dec(by_name["giou_docs_sample_3_f64_none"]["value"])
    assert np.allclose(got[:2], [1.0793650789, 1.7777777691], rtol=0, atol=1e-10), got
    assert abs(got[2] - 1.67e-8) < 1e-10, got
    # the same in f32: 6 + 1e-7 rounds to 6, the identical pair gives exactly 0
    assert by_name["giou_docs_sample_3_f32_none"]["value"]["data"][2] == 0.0

    # independent f64 recomputations from the stored inputs
    for c in cases:
        if c["dtype"] != "f64" or c["reduction"] != "none":
            continue
        inp = {k: dec(a) for k, a in c["inputs"].items()}
        o = dict(CAT_DEFAULTS.get(c["loss"], {}))
        o.update(c["options"])
        got = dec(c["value"])
        want = None
        if c["loss"] == "multi_margin":
            # l_i = sum_{j != y} w[y] max(0, margin - x_y + x_j)^p / C  (the
            # weight multiplies the p-th power, not the hinge before it)
            x, y = inp["input"], c["inputs"]["target"]["data"]
            w = o.get("class_weights", [1.0] * x.shape[1])
            want = np.array([sum(w[yi] * max(0.0, o["margin"] - row[yi] + row[j]) ** o["p"]
                                 for j in range(len(row)) if j != yi) / len(row)
                             for row, yi in zip(x, y)])
        elif c["loss"] == "triplet_margin":
            # pairwise_distance(a, b) = ||a - b + eps||_p  (eps inside the norm),
            # or with the cosine distance 1 - a.b / (max(|a|, 1e-8) max(|b|, 1e-8))
            def dist(a, b):
                if o.get("distance") == "cosine":
                    na = np.maximum(np.linalg.norm(a, axis=1), 1e-8)
                    nb = np.maximum(np.linalg.norm(b, axis=1), 1e-8)
                    return 1.0 - (a * b).sum(axis=1) / (na * nb)
                return (np.abs(a - b + o["eps"]) ** o["p"]).sum(axis=1) ** (1.0 / o["p"])
            a, pos, neg = inp["anchor"], inp["positive"], inp["negative"]
            dn = dist(a, neg)
            if o["swap"]:
                dn = np.minimum(dn, dist(pos, neg))
            want = np.maximum(o["margin"] + dist(a, pos) - dn, 0.0)
        elif c["loss"] == "poisson_nll" and o["full"]:
            x, y = inp["input"], inp["target"]
            base = np.exp(x) - y * x if o["log_input"] else x - y * np.log(x + o["eps"])
            with np.errstate(divide="ignore", invalid="ignore"):
                stirling = y * np.log(y) - y + 0.5 * np.log(2 * np.pi * y)
            want = base + np.where(y <= 1, 0.0, stirling)
        elif c["loss"] == "gaussian_nll":
            x, y = inp["input"], inp["target"]
            var = np.maximum(inp["var"], o["eps"])
            if var.ndim == x.ndim - 1:
                var = var[..., None]
            want = 0.5 * (np.log(var) + (x - y) ** 2 / var)
            if o["full"]:
                want = want + 0.5 * math.log(2 * math.pi)
        elif c["loss"] == "sigmoid_focal" and o["alpha"] == -1:
            x, y = inp["inputs"], inp["targets"]
            p = 1 / (1 + np.exp(-x))
            ce = np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))
            want = ce * (1 - (p * y + (1 - p) * (1 - y))) ** o["gamma"]
        elif c["loss"] == "ciou":
            # CIoU = DIoU + alpha v, alpha = v / (1 - iou + v + eps)
            d = dec(by_name[c["name"].replace("ciou", "diou", 1)]["value"])
            i = 1 - dec(by_name[c["name"].replace("ciou", "iou", 1)]["value"])
            b1, b2 = inp["boxes1"], inp["boxes2"]
            v = 4 / math.pi ** 2 * (np.arctan((b2[:, 2] - b2[:, 0]) / (b2[:, 3] - b2[:, 1]))
                                    - np.arctan((b1[:, 2] - b1[:, 0]) / (b1[:, 3] - b1[:, 1]))) ** 2
            want = d + v / (1 - i + v + BOX_LOSS_EPS) * v
        if want is not None:
            assert np.allclose(got, want, rtol=1e-10, atol=1e-12), (c["name"], got, want)

    # nll / cross_entropy_nd "mean": weighted by the class weights of the
    # non-ignored targets; the label-smoothing term sum_c w_c (-log q_c) / C
    # is divided by the same denominator; probability targets (smoothed as
    # t (1 - ls) + ls / C) are divided by the number of positions numel / C
    for c in cases:
        if c["loss"] not in ("nll", "cross_entropy_nd") or c["dtype"] != "f64" \
                or c["reduction"] != "mean":
            continue
        x = dec(c["inputs"]["input"])
        logq = x if c["loss"] == "nll" else log_softmax_np(x, 1)
        n_cls = x.shape[1]
        logq = np.moveaxis(logq, 1, -1).reshape(-1, n_cls)  # (positions, C)
        w = np.array(c["options"].get("class_weights", [1.0] * n_cls))
        ls = c["options"].get("label_smoothing", 0.0)
        if c.get("target_kind") == "probs":
            t = np.moveaxis(dec(c["inputs"]["target"]), 1, -1).reshape(-1, n_cls)
            t = t * (1 - ls) + ls / n_cls
            want = -(w * t * logq).sum() / logq.shape[0]
        else:
            y = np.array(c["inputs"]["target"]["data"])
            keep = y != c["options"].get("ignore_index", -100)
            yk, lk = y[keep], logq[keep]
            denom = w[yk].sum()
            nll = -(w[yk] * lk[np.arange(len(yk)), yk]).sum() / denom
            smooth = -(w * lk).sum() / denom
            want = (1 - ls) * nll + ls / n_cls * smooth
        assert math.isclose(dec(c["value"])[()], want, rel_tol=1e-12), (c["name"], want)
    # cosine_embedding: EPSILON is added to both SQUARED norms, and it is the
    # f32 constant float(1e-12) = 9.999999960041972e-13 also in f64 (a plain
    # 1e-12 misses the gradient below by 2e-9 relative); an all-zero x1 row
    # with y = 1 has gradient -x2 / sqrt(EPSILON (|x2|^2 + EPSILON))
    c = by_name["cosine_embedding_zero_row_3x4_f64_sum"]
    x2 = dec(c["inputs"]["x2"])[1]
    eps32 = float(np.float32(1e-12))
    assert np.allclose(dec(c["grads"]["x1"])[1],
                       -x2 / np.sqrt(eps32 * ((x2 * x2).sum() + eps32)), rtol=1e-13, atol=0)
    assert not np.allclose(dec(c["grads"]["x1"])[1],
                           -x2 / np.sqrt(1e-12 * ((x2 * x2).sum() + 1e-12)), rtol=1e-10, atol=0)

    # binary_cross_entropy at p = 0 / 1: value -w max(log, -100), gradient
    # w (p - y) / max(p (1 - p), EPSILON) with the same f32 constant
    # EPSILON = float(1e-12) as cosine_embedding, also in f64
    c = by_name["bce_weighted_classw_edge_0_1_2x3_f64_sum"]
    g = dec(c["grads"]["input"])
    assert g[1, 0] == 0.5 * 1.0 / eps32 and g[1, 1] == 2.0 * -1.0 / eps32, g
    assert g[0, 0] == 0.0 and g[0, 1] == 0.0, g
    # 0.5 * 100 + 2 * 100 (clamped logs) + 1.5 ln 2 + 1.5 * BCE(0.25, 0.5)
    want = 250.0 + 1.5 * math.log(2.0) - 1.5 * 0.5 * (math.log(0.25) + math.log(0.75))
    assert math.isclose(c["value"]["data"][0], want, rel_tol=1e-14), c["value"]

    # gaussian_nll: the var-gradient where var < eps is that of the clamped var
    c = by_name["gaussian_nll_eps1e-3_clamped_3x4_f64_sum"]
    x, y, var = (dec(c["inputs"][k]) for k in ("input", "target", "var"))
    vc = np.maximum(var, 1e-3)
    assert np.allclose(dec(c["grads"]["var"]), 0.5 * (1 / vc - (x - y) ** 2 / vc ** 2),
                       rtol=1e-12, atol=0)
    # var of shape (N,) for input (N, D): its gradient sums over D
    c = by_name["gaussian_nll_var_n_4x3_f64_sum"]
    x, y, var = (dec(c["inputs"][k]) for k in ("input", "target", "var"))
    assert np.allclose(dec(c["grads"]["var"]),
                       (0.5 * (1 / var[:, None] - (x - y) ** 2 / var[:, None] ** 2)).sum(1),
                       rtol=1e-12, atol=0)
    # log_cosh: gradient tanh(e) / n, also at e = 0 and |e| = 1e19
    for name in ("log_cosh_edge_1e4_8_f64_mean", "log_cosh_edge_large1e19_4_f64_mean"):
        c = by_name[name]
        e = dec(c["inputs"]["input"]) - dec(c["inputs"]["target"])
        assert np.allclose(dec(c["grads"]["input"]), np.tanh(e) / e.size, rtol=1e-12, atol=0)
    # triplet with anchor == positive: d(a, p) = eps sqrt(D)
    c = by_name["triplet_margin_anchor_eq_positive_5x3_f64_none"]
    assert all(v > 0 for v in c["value"]["data"]), "anchor == positive case not active"
    # kl_div: batchmean = sum / size(0), mean = sum / numel
    for base in ("kl_div_3d_2x3x4_f64", "kl_div_log_target_4x5_f64"):
        s = by_name[base + "_sum"]["value"]["data"][0]
        shape = by_name[base + "_sum"]["inputs"]["input"]["shape"]
        assert math.isclose(by_name[base + "_batchmean"]["value"]["data"][0], s / shape[0],
                            rel_tol=1e-15)
        assert math.isclose(by_name[base + "_mean"]["value"]["data"][0], s / math.prod(shape),
                            rel_tol=1e-15)

    # reloading reproduces identical floats; size budget
    path = os.path.join(DATA_DIR, CATALOGUE_FILE)
    with open(path, encoding="utf-8") as f:
        back = json.load(f)
    assert back == doc, f"{path} does not round-trip"
    size = os.path.getsize(path)
    assert size < 4 * 1024 * 1024, f"{path} too large: {size} bytes"
    assert torch.get_default_dtype() == torch.float32, "default dtype not restored"


def main():
    os.makedirs(DATA_DIR, exist_ok=True)
    docs = {
        "losses.json": generate_losses(),
        "optim.json": generate_optim(),
        "schedules.json": generate_schedules(),
        "clip.json": generate_clip(),
        "lasso.json": generate_lasso(),
    }
    for filename, doc in docs.items():
        write_json(doc, filename)
    self_check(docs)
    # the catalogue is a separate document with its own size budget
    catalogue = generate_catalogue()
    write_json(catalogue, CATALOGUE_FILE)
    check_catalogue(catalogue)
    docs[CATALOGUE_FILE] = catalogue
    for filename, doc in docs.items():
        path = os.path.join(DATA_DIR, filename)
        print(f"{os.path.relpath(path, ROOT)}: {len(doc['cases'])} cases, "
              f"{os.path.getsize(path)} bytes")
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, "
          f"numpy {np.__version__}, scikit-learn {sklearn.__version__}: self-check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
