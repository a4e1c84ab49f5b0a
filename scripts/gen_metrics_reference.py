#!/usr/bin/env python3
"""Generate the scikit-learn reference data for ndloss's metrics parity tests.

What it generates
-----------------
``tests/data/metrics.json`` -- values of ``sklearn.metrics`` functions on
small seeded problems, replayed by ``tests/it/parity_metrics.rs`` against
``ndloss::metrics``:

* ``accuracy_score`` (``normalize`` True and False), binary and multiclass,
  with and without sample weights;
* ``top_k_accuracy_score`` with ``labels=range(n_classes)``, k = 1, 2, 3 (and
  k >= n_classes), continuous scores and heavily tied scores, 1-D (binary)
  scores as probabilities and as decision values;
* ``precision_recall_fscore_support`` for every ``average`` (``'binary'``,
  ``'micro'``, ``'macro'``, ``'weighted'``, ``None``), beta 1, 0.5, 2 (and 0,
  inf), every ``zero_division`` (``'warn'``, 0, 1, ``np.nan``), the
  ``labels`` option (subsets, absent labels, reordered), labels that are
  never predicted or never true, sample weights; averaged cases also record
  ``precision_score``, ``recall_score``, ``f1_score`` and ``fbeta_score``;
* ``confusion_matrix`` for every ``normalize`` (None, ``'true'``,
  ``'pred'``, ``'all'``), ``labels`` subsets / supersets / reordered, sample
  weights;
* ``log_loss`` with probabilities of exactly 0 and 1, 1-column input,
  ``labels`` (absent classes, unsorted), non-contiguous labels, rows that do
  not sum to 1, sample weights;
* ``mean_squared_error``, ``root_mean_squared_error``,
  ``mean_absolute_error``, ``r2_score`` for 1-D and 2-D targets
  (``multioutput='uniform_average'``), sample weights, constant targets
  (perfect and imperfect predictions), negative R².

Every case whose inputs or result involve floats is generated twice: with
float32 inputs (``"dtype": "f32"``, scikit-learn then computes in float32
where it does) and float64 inputs (``"dtype": "f64"``).  Label-only cases
(no weights) have ``"dtype": "f64"`` and the test replays them in both types.
Float inputs are stored as the exact decimal of the value in the case's
dtype (an f32 value is written as the shortest repr of its exact f64 value),
so the Rust side reads them back bit for bit.

Schema
------
Top level: ``{"meta": {...}, "accuracy": [...], "top_k": [...], "prfs":
[...], "confusion_matrix": [...], "log_loss": [...], "regression": [...]}``.
Every case has ``"name"`` (unique within its family) and ``"dtype"``.
Label arrays are JSON lists of non-negative integers; float vectors are JSON
lists; 2-D float arrays are ``{"shape": [n, m], "data": [row-major]}``;
``"sample_weight"`` is a list or ``null``.  Non-finite floats are the
strings ``"nan"``, ``"inf"``, ``"-inf"``.

* accuracy: ``y_true``, ``y_pred``, ``sample_weight``, ``normalize`` (bool),
  ``expected``.
* top_k: ``y_true``, ``y_score`` (2-D; one column = scikit-learn's 1-D
  binary ``y_score``), ``k``, ``sample_weight``, ``expected``.
* prfs: ``y_true``, ``y_pred``, ``sample_weight``, ``beta`` (number or
  ``"inf"``), ``average`` (``"binary"``, ``"micro"``, ``"macro"``,
  ``"weighted"`` or ``null``), ``pos_label`` (used with ``"binary"``),
  ``labels`` (list or ``null``), ``zero_division`` (``"warn"``, ``0``,
  ``1`` or ``"nan"``), ``precision``, ``recall``, ``fscore`` (numbers when
  averaged, lists when ``average`` is ``null``), ``support`` (list, or
  ``null`` when averaged), ``labels_out`` (the labels of the per-class
  lists when ``average`` is ``null``), and, when averaged,
  ``precision_score``, ``recall_score``, ``fbeta_score`` (at ``beta``) and
  ``f1_score`` from the separate scikit-learn functions.
* confusion_matrix: ``y_true``, ``y_pred``, ``labels``, ``sample_weight``,
  ``normalize`` (``null``, ``"true"``, ``"pred"``, ``"all"``),
  ``expected`` (2-D, as floats).
* log_loss: ``y_true``, ``y_proba`` (2-D), ``labels``, ``sample_weight``,
  ``expected``.
* regression: ``metric`` (``"mse"``, ``"rmse"``, ``"mae"``, ``"r2"``),
  ``y_true`` and ``y_pred`` (``{"shape": [n], ...}`` or
  ``{"shape": [n, m], ...}``), ``sample_weight``, ``expected``.

Deliberately not in the data: inputs scikit-learn rejects or where ndloss
deviates on purpose (R² of one sample, 2-column top-k scores for binary
``y_true``, the floating-point artefact of ``r2_score`` on a constant
``[0.1, 0.1, 0.1]`` target); ``tests/it/parity_metrics.rs`` covers those with
hand-derived values.

How it is run
-------------
Offline, by a developer, only when the reference data needs to change::

    pip install scikit-learn==1.9.1 numpy
    python3 scripts/gen_metrics_reference.py

The output is committed; the tests never need Python.  Generated with
scikit-learn 1.9.1, numpy 2.4.6, CPython 3.11.7.  Every random input comes
from ``numpy.random.default_rng`` with a fixed seed (``SEED`` below, plus a
per-family offset), so rerunning reproduces the file byte for byte.
UndefinedMetricWarning / UserWarning are silenced: the zero-division cases
trigger them on purpose.
"""

import json
import math
import os
import warnings

import numpy as np
import sklearn
from sklearn import metrics as skm

SEED = 20240611
OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "metrics.json")
DTYPES = {"f32": np.float32, "f64": np.float64}


def fnum(x):
    """A float for JSON: finite numbers as-is, non-finite as strings."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def flist(a):
    return [fnum(x) for x in np.asarray(a).ravel()]


def arr(a):
    a = np.asarray(a)
    return {"shape": list(a.shape), "data": flist(a)}


def ilist(a):
    return [int(x) for x in a]


def weights(rng, n, dtype):
    """Seeded positive weights, exactly representable in `dtype`."""
    return rng.uniform(0.1, 3.0, size=n).astype(dtype)


# ---------------------------------------------------------------------------
# label datasets shared by accuracy / prfs / confusion matrix
# ---------------------------------------------------------------------------


def label_datasets():
    rng = np.random.default_rng(SEED)
    ds = []
    ds.append(("docs", [0, 1, 2, 2, 1, 0, 2], [0, 2, 2, 2, 0, 0, 1]))
    yt = rng.integers(0, 2, size=25)
    yp = np.where(rng.random(25) < 0.75, yt, 1 - yt)
    ds.append(("binary", ilist(yt), ilist(yp)))
    # binary with labels {3, 7}
    ds.append(("binary_3_7", [3, 7, 7, 3, 7, 3, 3, 7, 7], [3, 7, 3, 3, 7, 7, 3, 7, 3]))
    yt = rng.integers(0, 4, size=30)
    yp = np.where(rng.random(30) < 0.6, yt, rng.integers(0, 4, size=30))
    ds.append(("multiclass4", ilist(yt), ilist(yp)))
    # 5 labels: 3 is never true, 4 is never predicted.
    yt = rng.choice([0, 1, 2, 4], size=24)
    yp = np.where(rng.random(24) < 0.5, yt, rng.choice([0, 1, 2, 3], size=24))
    yp = np.where(yp == 4, 3, yp)
    ds.append(("absent5", ilist(yt), ilist(yp)))
    # binary, positive class never predicted (precision 0/0)
    ds.append(("binary_never_pred", [0, 1, 1, 0, 1, 0], [0, 0, 0, 0, 0, 0]))
    # only negatives anywhere: tp = fp = fn = 0 for pos_label 1
    ds.append(("all_negative", [0, 0, 0, 0], [0, 0, 0, 0]))
    ds.append(("perfect3", [2, 0, 1, 1, 0, 2], [2, 0, 1, 1, 0, 2]))
    ds.append(("all_wrong3", [0, 1, 2, 0], [1, 2, 0, 2]))
    return ds


def accuracy_cases():
    rng = np.random.default_rng(SEED + 1)
    cases = []
    for name, yt, yp in label_datasets():
        for normalize in (True, False):
            cases.append(
                dict(
                    name=f"{name}_norm{int(normalize)}",
                    dtype="f64",
                    y_true=yt,
                    y_pred=yp,
                    sample_weight=None,
                    normalize=normalize,
                    expected=fnum(skm.accuracy_score(yt, yp, normalize=normalize)),
                )
            )
        w64 = rng.uniform(0.1, 3.0, size=len(yt))
        for dname, dt in DTYPES.items():
            w = w64.astype(dt)
            for normalize in (True, False):
                cases.append(
                    dict(
                        name=f"{name}_w_norm{int(normalize)}_{dname}",
                        dtype=dname,
                        y_true=yt,
                        y_pred=yp,
                        sample_weight=flist(w),
                        normalize=normalize,
                        expected=fnum(
                            skm.accuracy_score(
                                yt, yp, normalize=normalize, sample_weight=w
                            )
                        ),
                    )
                )
    return cases


def top_k_cases():
    rng = np.random.default_rng(SEED + 2)
    cases = []

    def add(name, yt, score, k, w, dname):
        score = np.asarray(score)
        n_classes = score.shape[1]
        if n_classes == 1:
            sk_score, labels = score[:, 0], [0, 1]
        else:
            sk_score, labels = score, list(range(n_classes))
        exp = skm.top_k_accuracy_score(
            yt, sk_score, k=k, labels=labels, sample_weight=w
        )
        cases.append(
            dict(
                name=name,
                dtype=dname,
                y_true=ilist(yt),
                y_score=arr(score),
                k=k,
                sample_weight=None if w is None else flist(w),
                expected=fnum(exp),
            )
        )

    docs_t = [0, 1, 2, 2]
    docs_s = [[0.5, 0.2, 0.2], [0.3, 0.4, 0.2], [0.2, 0.4, 0.3], [0.7, 0.2, 0.1]]
    yt5 = rng.integers(0, 5, size=40)
    s5 = rng.normal(size=(40, 5))
    # Heavy ties: scores on a 3-value grid.
    yt_tie = rng.integers(0, 5, size=40)
    s_tie = rng.integers(0, 3, size=(40, 5)) * 0.25
    tie_t = [0, 1, 2, 3, 0, 2]
    tie_s = [
        [0.2, 0.2, 0.2, 0.4],
        [0.3, 0.3, 0.3, 0.1],
        [0.2, 0.2, 0.2, 0.4],
        [0.25, 0.25, 0.25, 0.25],
        [0.25, 0.25, 0.25, 0.25],
        [0.1, 0.5, 0.1, 0.3],
    ]
    yt3 = rng.integers(0, 3, size=20)
    s3 = rng.dirichlet(np.ones(3), size=20)
    w40 = rng.uniform(0.1, 3.0, size=40)
    # binary, 1 column: probabilities (with exact 0.5) and decision values (exact 0)
    ytb = rng.integers(0, 2, size=16)
    pb = rng.integers(0, 9, size=16) / 8.0  # includes 0.5, 0, 1
    db = rng.integers(-3, 4, size=16) * 0.5  # includes 0
    wb = rng.uniform(0.1, 3.0, size=16)
    for dname, dt in DTYPES.items():
        for k in (1, 2, 3):
            add(f"docs_k{k}_{dname}", docs_t, np.array(docs_s, dt), k, None, dname)
            add(f"random5_k{k}_{dname}", yt5, s5.astype(dt), k, None, dname)
            add(f"random5_w_k{k}_{dname}", yt5, s5.astype(dt), k, w40.astype(dt), dname)
            add(f"ties5_k{k}_{dname}", yt_tie, s_tie.astype(dt), k, None, dname)
            add(f"ties5_w_k{k}_{dname}", yt_tie, s_tie.astype(dt), k, w40.astype(dt), dname)
            add(f"ties4_k{k}_{dname}", tie_t, np.array(tie_s, dt), k, None, dname)
            add(f"proba3_k{k}_{dname}", yt3, s3.astype(dt), k, None, dname)
        add(f"random5_k5_{dname}", yt5, s5.astype(dt), 5, None, dname)
        add(f"random5_k7_{dname}", yt5, s5.astype(dt), 7, None, dname)
        add(f"ties5_k4_{dname}", yt_tie, s_tie.astype(dt), 4, None, dname)
        for k in (1, 2):
            add(f"binary_proba_k{k}_{dname}", ytb, pb.astype(dt)[:, None], k, None, dname)
            add(f"binary_decision_k{k}_{dname}", ytb, db.astype(dt)[:, None], k, None, dname)
            add(
                f"binary_proba_w_k{k}_{dname}",
                ytb,
                pb.astype(dt)[:, None],
                k,
                wb.astype(dt),
                dname,
            )
    return cases


def prfs_cases():
    rng = np.random.default_rng(SEED + 3)
    cases = []
    ds = {name: (yt, yp) for name, yt, yp in label_datasets()}

    def add(name, yt, yp, w, dname, beta=1.0, average="binary", pos_label=1,
            labels=None, zero_division="warn"):
        zd = {"warn": "warn", 0: 0.0, 1: 1.0, "nan": np.nan}[zero_division]
        kw = dict(labels=labels, pos_label=pos_label, average=average,
                  sample_weight=w, zero_division=zd)
        p, r, f, s = skm.precision_recall_fscore_support(yt, yp, beta=beta, **kw)
        case = dict(
            name=name,
            dtype=dname,
            y_true=ilist(yt),
            y_pred=ilist(yp),
            sample_weight=None if w is None else flist(w),
            beta=fnum(beta),
            average=average,
            pos_label=pos_label,
            labels=labels,
            zero_division=zero_division,
        )
        if average is None:
            case.update(precision=flist(p), recall=flist(r), fscore=flist(f),
                        support=flist(s),
                        labels_out=ilist(labels) if labels is not None
                        else ilist(sorted(set(yt) | set(yp))))
        else:
            case.update(
                precision=fnum(p), recall=fnum(r), fscore=fnum(f), support=None,
                precision_score=fnum(skm.precision_score(yt, yp, **kw)),
                recall_score=fnum(skm.recall_score(yt, yp, **kw)),
                fbeta_score=fnum(skm.fbeta_score(yt, yp, beta=beta, **kw)),
                f1_score=fnum(skm.f1_score(yt, yp, **kw)),
            )
        cases.append(case)

    multi_avgs = ("micro", "macro", "weighted", None)
    zds = ("warn", 0, 1, "nan")
    for name, (yt, yp) in ds.items():
        present = sorted(set(yt) | set(yp))
        binary = len(present) <= 2
        pos = 7 if name == "binary_3_7" else 1
        avgs = (("binary",) if binary else ()) + multi_avgs
        w64 = rng.uniform(0.1, 3.0, size=len(yt))
        for avg in avgs:
            for beta in (1.0, 0.5, 2.0):
                for zd in zds:
                    add(f"{name}_{avg}_b{beta}_zd{zd}", yt, yp, None, "f64",
                        beta=beta, average=avg, pos_label=pos, zero_division=zd)
            for dname, dt in DTYPES.items():
                for zd in (0, "nan"):
                    add(f"{name}_{avg}_w_zd{zd}_{dname}", yt, yp, w64.astype(dt), dname,
                        beta=2.0, average=avg, pos_label=pos, zero_division=zd)
        if binary and name != "binary_3_7":
            for zd in zds:
                add(f"{name}_binary_pos0_zd{zd}", yt, yp, None, "f64",
                    average="binary", pos_label=0, zero_division=zd)
    yt, yp = ds["docs"]
    for beta in (0.0, math.inf):
        for avg in ("macro", None):
            add(f"docs_{avg}_beta{beta}", yt, yp, None, "f64", beta=beta, average=avg)
    yt, yp = ds["absent5"]
    for labels in ([0, 2], [4, 3, 2, 1, 0], [0, 1, 2, 3, 4, 9], [9], [3], [2, 2, 0]):
        for avg in multi_avgs:
            for zd in zds:
                add(f"absent5_labels{labels}_{avg}_zd{zd}", yt, yp, None, "f64",
                    average=avg, labels=labels, zero_division=zd)
    # All-negative data under a pos_label absent from the data.
    yt, yp = ds["all_negative"]
    for zd in zds:
        add(f"all_negative_pos5_zd{zd}", yt, yp, None, "f64", average="binary",
            pos_label=5, zero_division=zd)
    # Binary data scored with the multiclass averages and labels.
    yt, yp = ds["binary"]
    for avg in multi_avgs:
        add(f"binary_labels1_{avg}", yt, yp, None, "f64", average=avg, labels=[1])
    return cases


def confusion_cases():
    rng = np.random.default_rng(SEED + 4)
    cases = []
    ds = {name: (yt, yp) for name, yt, yp in label_datasets()}
    ds["docs_cm"] = ([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2])

    def add(name, yt, yp, labels, w, normalize, dname):
        cm = skm.confusion_matrix(yt, yp, labels=labels, sample_weight=w,
                                  normalize=normalize)
        cases.append(dict(name=name, dtype=dname, y_true=ilist(yt), y_pred=ilist(yp),
                          labels=labels, sample_weight=None if w is None else flist(w),
                          normalize=normalize, expected=arr(cm.astype(np.float64))))

    for name, (yt, yp) in ds.items():
        w64 = rng.uniform(0.1, 3.0, size=len(yt))
        label_sets = [None]
        if name == "absent5":
            label_sets += [[0, 2], [4, 3, 2, 1, 0], [0, 1, 2, 3, 4, 9], [3, 4], [1, 1, 0]]
        if name == "docs_cm":
            label_sets += [[2, 0], [2, 1, 0]]
        for labels in label_sets:
            for normalize in (None, "true", "pred", "all"):
                add(f"{name}_l{labels}_{normalize}", yt, yp, labels, None, normalize, "f64")
                for dname, dt in DTYPES.items():
                    add(f"{name}_l{labels}_{normalize}_w_{dname}", yt, yp, labels,
                        w64.astype(dt), normalize, dname)
    # Negative weights: a row summing to 0 normalizes to +-inf, which
    # nan_to_num turns into +-float64 max (f64 only: scikit-learn
    # accumulates float weights in float64 whatever their dtype).
    for normalize in (None, "true", "pred", "all"):
        add(f"negative_weights_{normalize}", [0, 0, 1, 1], [0, 1, 1, 0], None,
            np.array([1.0, -1.0, 2.0, 0.5]), normalize, "f64")
    return cases


def log_loss_cases():
    rng = np.random.default_rng(SEED + 5)
    cases = []

    def add(name, yt, proba, labels, w, dname):
        proba = np.asarray(proba)
        sk_proba = proba[:, 0] if proba.shape[1] == 1 else proba
        exp = skm.log_loss(yt, sk_proba, sample_weight=w, labels=labels)
        cases.append(dict(name=name, dtype=dname, y_true=ilist(yt), y_proba=arr(proba),
                          labels=labels, sample_weight=None if w is None else flist(w),
                          expected=fnum(exp)))

    docs_t = [1, 0, 0, 1]
    docs_p = [[0.1, 0.9], [0.9, 0.1], [0.8, 0.2], [0.35, 0.65]]
    yt4 = rng.integers(0, 4, size=30)
    logits = rng.normal(scale=2.0, size=(30, 4))
    p4 = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    w30 = rng.uniform(0.1, 3.0, size=30)
    # exact 0 and 1, for the true class and for others
    ex_t = [0, 1, 2, 0, 1, 2]
    ex_p = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0],
            [0.25, 0.75, 0.0], [0.0, 0.0, 1.0]]
    ytb = rng.integers(0, 2, size=12)
    p1 = rng.integers(0, 9, size=12) / 8.0  # includes exact 0 and 1
    # unnormalised rows (sklearn warns, no renormalisation)
    un_p = [[0.2, 0.3, 0.1], [0.5, 0.6, 0.2], [0.1, 0.1, 0.9]]
    un_t = [1, 0, 2]
    for dname, dt in DTYPES.items():
        add(f"docs_{dname}", docs_t, np.array(docs_p, dt), None, None, dname)
        add(f"random4_{dname}", yt4, p4.astype(dt), None, None, dname)
        add(f"random4_w_{dname}", yt4, p4.astype(dt), None, w30.astype(dt), dname)
        add(f"exact01_{dname}", ex_t, np.array(ex_p, dt), None, None, dname)
        add(f"exact01_w_{dname}", ex_t, np.array(ex_p, dt), None,
            np.array([1.0, 2.0, 0.5, 1.5, 1.0, 0.25], dt), dname)
        add(f"one_column_{dname}", ytb, p1.astype(dt)[:, None], None, None, dname)
        add(f"one_column_labels_{dname}", [1, 1, 1], np.array([[0.9], [0.0], [1.0]], dt),
            [0, 1], None, dname)
        add(f"one_column_0only_{dname}", [0, 0], np.array([[0.2], [1.0]], dt),
            [0, 1], None, dname)
        add(f"labels_absent_class_{dname}", [0, 2, 2, 0],
            np.array([[0.7, 0.1, 0.2], [0.1, 0.1, 0.8], [0.3, 0.3, 0.4], [0.5, 0.5, 0.0]], dt),
            [0, 1, 2], None, dname)
        add(f"labels_unsorted_{dname}", [3, 7, 3],
            np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0], [1.0, 0.0, 0.0]], dt),
            [7, 3, 9], None, dname)
        add(f"noncontiguous_{dname}", [3, 7, 3, 9],
            np.array([[0.9, 0.05, 0.05], [0.2, 0.7, 0.1], [0.6, 0.0, 0.4], [0.1, 0.1, 0.8]], dt),
            None, None, dname)
        add(f"unnormalised_{dname}", un_t, np.array(un_p, dt), None, None, dname)
    return cases


def regression_cases():
    rng = np.random.default_rng(SEED + 6)
    cases = []
    fns = {
        "mse": skm.mean_squared_error,
        "rmse": skm.root_mean_squared_error,
        "mae": skm.mean_absolute_error,
        "r2": skm.r2_score,
    }

    def add(name, yt, yp, w, dname, metrics=tuple(fns)):
        for m in metrics:
            exp = fns[m](yt, yp, sample_weight=w)
            cases.append(dict(name=f"{name}_{m}", dtype=dname, metric=m, y_true=arr(yt),
                              y_pred=arr(yp), sample_weight=None if w is None else flist(w),
                              expected=fnum(exp)))

    docs_t, docs_p = [3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0]
    docs2_t = [[0.5, 1.0], [-1.0, 1.0], [7.0, -6.0]]
    docs2_p = [[0.0, 2.0], [-1.0, 2.0], [8.0, -5.0]]
    y1 = rng.normal(size=20) * 3.0 + 1.0
    p1 = y1 + rng.normal(size=20)
    w20 = rng.uniform(0.1, 3.0, size=20)
    y2 = rng.normal(size=(15, 3)) * np.array([1.0, 10.0, 0.1])
    p2 = y2 + rng.normal(size=(15, 3)) * np.array([0.5, 2.0, 0.2])
    w15 = rng.uniform(0.1, 3.0, size=15)
    bad = rng.normal(size=20) * 5.0  # a prediction worse than the mean: R² < 0
    const_col = y2.copy()
    const_col[:, 1] = 2.5
    const_col_p = p2.copy()
    const_col_p[:, 1] = 2.5  # perfect on the constant column
    const_col_p2 = p2.copy()  # imperfect on the constant column
    for dname, dt in DTYPES.items():
        c = lambda a: np.asarray(a, dtype=dt)  # noqa: E731
        add(f"docs_{dname}", c(docs_t), c(docs_p), None, dname)
        add(f"docs2d_{dname}", c(docs2_t), c(docs2_p), None, dname)
        add(f"random1d_{dname}", c(y1), c(p1), None, dname)
        add(f"random1d_w_{dname}", c(y1), c(p1), c(w20), dname)
        add(f"random2d_{dname}", c(y2), c(p2), None, dname)
        add(f"random2d_w_{dname}", c(y2), c(p2), c(w15), dname)
        add(f"negative_r2_{dname}", c(y1), c(bad), None, dname)
        add(f"zero_weights_some_{dname}", c(y1), c(p1),
            c(np.where(np.arange(20) % 3 == 0, 0.0, w20)), dname)
        add(f"const_perfect_{dname}", c([2.5] * 6), c([2.5] * 6), None, dname)
        add(f"const_imperfect_{dname}", c([2.5] * 6), c([2.5, 2.5, 3.0, 2.5, 2.0, 2.5]),
            None, dname)
        add(f"const_imperfect_w_{dname}", c([-4.0] * 5), c([-4.0, -3.5, -4.0, -4.0, -5.0]),
            c([1.0, 2.0, 0.5, 1.0, 3.0]), dname)
        # Constant among the non-zero weights only.
        add(f"const_weighted_perfect_{dname}", c([1.0, 2.0, 1.0, 7.0]),
            c([1.0, 5.0, 1.0, 0.0]), c([1.0, 0.0, 2.0, 0.0]), dname)
        add(f"const_column_perfect_{dname}", c(const_col), c(const_col_p), None, dname)
        add(f"const_column_imperfect_{dname}", c(const_col), c(const_col_p2), None, dname)
        add(f"two_samples_{dname}", c([1.0, 3.0]), c([2.0, 2.0]), None, dname)
        add(f"perfect_{dname}", c(y2), c(y2), None, dname)
    return cases


def main():
    warnings.simplefilter("ignore")
    data = {
        "meta": {
            "generator": "scripts/gen_metrics_reference.py",
            "sklearn": sklearn.__version__,
            "numpy": np.__version__,
            "seed": SEED,
        },
        "accuracy": accuracy_cases(),
        "top_k": top_k_cases(),
        "prfs": prfs_cases(),
        "confusion_matrix": confusion_cases(),
        "log_loss": log_loss_cases(),
        "regression": regression_cases(),
    }
    for family, cases in data.items():
        if family == "meta":
            continue
        names = [c["name"] for c in cases]
        assert len(names) == len(set(names)), f"duplicate case names in {family}"
    with open(OUT, "w") as fh:
        json.dump(data, fh, separators=(",", ":"))
        fh.write("\n")
    counts = {k: len(v) for k, v in data.items() if k != "meta"}
    print(f"wrote {os.path.normpath(OUT)}: {counts}, total {sum(counts.values())}")


if __name__ == "__main__":
    main()
