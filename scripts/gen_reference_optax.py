"""Offline generator of the optax reference values in ``tests/data/losses_optax.json``.

Runs optax itself (``optax.losses.dice_loss`` and
``optax.losses.multiclass_generalized_dice_loss``, the anchors of ndloss'
``Dice``), on JAX with 64-bit floats enabled: the f32 cases are computed in
float32 end to end (inputs, class weights and every intermediate), the f64
cases in float64. Inputs are channels-last, predictions and targets both
``(N, d1, ..., C)``. Each case's value is ``jnp.mean`` over the batch of
optax's per-sample loss (``dice_loss`` with its ``reduction`` 'mean' or
'sum' over the classes; ``multiclass_generalized_dice_loss`` is already one
scalar, and its mean is itself), and its gradient ``jax.grad`` of that
scalar with respect to the predictions only. The schema is that of
``tests/data/losses_catalogue.json`` (``scripts/gen_reference.py``) and
``tests/data/losses_keras.json`` (``scripts/gen_reference_keras.py``).

    pip install optax jax
    python3 scripts/gen_reference_optax.py

What optax 0.2.8 computes (``optax/losses/_segmentation.py``), checked
below against an independent NumPy transcription in float64:

- ``dice_loss``: probabilities ``p`` are ``softmax(x)`` over the last axis
  when ``apply_softmax`` and C > 1, ``sigmoid(x)`` when ``apply_softmax``
  and C == 1, else the predictions as given (which must then sum to 1 over
  the last axis, ``jnp.allclose(sum, 1, rtol=1e-5)``, atol 1e-8: even when
  C == 1). ``axis=None`` sums over the spatial axes ``1 .. ndim - 2`` (not
  the batch, not the classes): per sample and class ``I = sum p t``, ``P =
  sum p``, ``T = sum t``, ``l = 1 - (I + smooth) / (I + alpha (P - I) +
  beta (T - I) + smooth)``; alpha weighs the false positives ``P - I``,
  beta the false negatives ``T - I``. Then, in this order, ``l * class_weights``
  (a length-C vector, class 0's weight included), then, if
  ``ignore_background`` and C > 1, class 0 dropped (with C == 1 it is a
  no-op), then the mean (over the C or C - 1 classes kept, not divided by
  the weights' sum) or the sum over classes.
- ``multiclass_generalized_dice_loss``: ``f_c = sum t`` over every axis
  but the last (the batch included), ``w_c = 1 / (f_c^2 + 1e-7)``,
  normalised to ``w_c * C / sum_c w_c`` (over all C classes, before class
  0 is dropped), then ``dice_loss(..., class_weights=w, reduction='none',
  alpha = beta = 0.5)``, and the mean over the batch and the classes kept.
  The weights depend on the targets only, so no gradient flows through
  them. A class absent from every target has ``w = 1e7`` before the
  normalisation and takes almost all of the weight ``C``.

Users and CI never run this script: its output is committed.
"""

import json
import os

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "losses_optax.json")


def tensor(a):
    a = np.asarray(a)
    return {"shape": list(a.shape), "data": [float(x) for x in a.reshape(-1)]}


def dims_of(shape):
    return "x".join(map(str, shape))


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def reference_per_class(pred, true, apply_softmax, alpha, beta, smooth):
    """An independent NumPy float64 transcription of optax's per-sample,
    per-class dice (see the module doc), shaped ``(N, C)``, to check the
    formula recorded."""
    pred = np.asarray(pred, np.float64)
    true = np.asarray(true, np.float64)
    if apply_softmax:
        p = 1.0 / (1.0 + np.exp(-pred)) if pred.shape[-1] == 1 else softmax(pred)
    else:
        p = pred
    axes = tuple(range(1, p.ndim - 1))
    i = np.sum(p * true, axis=axes)
    ps = np.sum(p, axis=axes)
    ts = np.sum(true, axis=axes)
    return 1.0 - (i + smooth) / (i + alpha * (ps - i) + beta * (ts - i) + smooth)


def reference_dice(pred, true, *, apply_softmax, alpha, beta, smooth, class_weights,
                   ignore_background, reduction):
    """``dice_loss`` per sample: weights, then class 0 dropped, then the
    reduction over classes."""
    loss = reference_per_class(pred, true, apply_softmax, alpha, beta, smooth)
    if class_weights is not None:
        loss = loss * np.asarray(class_weights, np.float64)
    if ignore_background and loss.shape[-1] > 1:
        loss = loss[..., 1:]
    return loss.mean(-1) if reduction == "mean" else loss.sum(-1)


def reference_generalized(pred, true, *, apply_softmax, smooth, ignore_background):
    """``multiclass_generalized_dice_loss``: one scalar."""
    true = np.asarray(true, np.float64)
    f = true.sum(axis=tuple(range(true.ndim - 1)))
    w = 1.0 / (f**2 + 1e-7)
    w = w / w.sum() * len(w)
    return np.mean(reference_dice(pred, true, apply_softmax=apply_softmax, alpha=0.5,
                                  beta=0.5, smooth=smooth, class_weights=w,
                                  ignore_background=ignore_background, reduction="mean"))


def make_targets(rng, shape, kind):
    """Channels-last targets: one-hot of random classes, or Dirichlet rows
    (soft). With C == 1 a one-hot row would be all ones, so there 'onehot'
    is a random binary mask {0, 1} and 'soft' uniform in (0, 1)."""
    c = shape[-1]
    lanes = shape[:-1]
    if c == 1:
        if kind == "onehot":
            return (rng.uniform(size=shape) < 0.5).astype(np.float64)
        return rng.uniform(0.0, 1.0, shape)
    if kind == "onehot":
        return np.eye(c)[rng.integers(c, size=lanes)]
    return rng.dirichlet(np.ones(c), size=lanes)


def empty_class(rng, true, pred, apply_softmax, sample, k, predictions=True):
    """Makes class ``k`` absent from sample ``sample``'s targets (its mass
    moved to the other classes) and nearly absent from its predictions: a
    probability of 1e-9 (the rest renormalised so that rows still sum to 1)
    or a logit 12 below the row's others (with C == 1, -12: sigmoid 6e-6;
    with C == 1 and probabilities the predictions stay about 1). Its dice
    is then driven by ``smooth``: ``1 - smooth / (alpha P + smooth)`` with
    ``P`` tiny. With ``predictions=False`` only the targets change."""
    c = true.shape[-1]
    t = true[sample]
    if c == 1:
        t[...] = 0.0
    else:
        lanes = t.reshape(-1, c)
        for row in lanes:
            if row[k] > 0.0:
                others = [j for j in range(c) if j != k]
                if row[others].sum() > 0.0:
                    row[others] += row[k] * row[others] / row[others].sum()
                else:
                    row[rng.choice(others)] = 1.0
                row[k] = 0.0
        t[...] = lanes.reshape(t.shape)
    p = pred[sample]
    if not predictions:
        return
    if c == 1 and not apply_softmax:
        # optax accepts only probabilities of about 1 here (see
        # make_predictions): the class is empty in the target only.
        return
    if apply_softmax:
        rest = np.delete(p, k, axis=-1).min(-1) if c > 1 else 0.0
        p[..., k] = rest - 12.0
    else:
        lanes = p.reshape(-1, c)
        others = [j for j in range(c) if j != k]
        lanes[:, others] *= (1.0 - 1e-9) / lanes[:, others].sum(-1, keepdims=True)
        lanes[:, k] = 1e-9
        p[...] = lanes.reshape(p.shape)


def make_predictions(rng, shape, apply_softmax, near_one=False):
    """Logits normal(0, 2) with ``apply_softmax``; otherwise probabilities
    summing to 1 over the last axis (optax checks it): the softmax of
    normal(0, 1.5) logits when C > 1. With C == 1 and no softmax, optax's
    check still applies, to the single channel, so the only predictions it
    accepts are within 1e-5 (rtol) + 1e-8 (atol) of 1: exactly 1.0, or with
    ``near_one`` 1 - u, u uniform in [0, 9e-6), inside that band (the
    script asserts optax rejects 0.5)."""
    c = shape[-1]
    if apply_softmax:
        return rng.normal(0.0, 2.0, shape)
    if c == 1:
        if near_one:
            return 1.0 - rng.uniform(0.0, 9e-6, shape)
        return np.ones(shape)
    return softmax(rng.normal(0.0, 1.5, shape))


def optax_case(name, loss, dtype, options, pred, true, value, grad):
    return {
        "name": name,
        "loss": loss,
        "dtype": dtype,
        "reduction": "mean",
        "options": options,
        "inputs": {"input": tensor(pred), "target": tensor(true)},
        "value": tensor(np.asarray(value)),
        "grads": {"input": tensor(np.asarray(grad))},
    }


def check_finite(value, grad, what):
    assert np.all(np.isfinite(np.asarray(value))), what
    assert np.all(np.isfinite(np.asarray(grad))), what


def dice_cases():
    """``optax.losses.dice_loss`` over its options: two and three spatial
    axes, one class (sigmoid inside, or probabilities that must be 1), logits
    and probabilities, one-hot and soft targets, empty classes, the smoothing,
    Tversky's alpha and beta, class weights, the background dropped, and the
    sum over classes."""
    cases = []
    rng = np.random.default_rng(20261213)
    # (shape, apply_softmax, targets, empty (sample, class) or None, smooth,
    #  (alpha, beta), class_weights, ignore_background, class_reduction, near_one)
    A, B, D, E = (2, 4, 4, 3), (3, 5, 4), (2, 3, 3, 2, 4), (4, 6, 1)
    configs = [
        (A, True, "onehot", None, 1.0, (0.5, 0.5), None, False, "mean", False),
        (A, False, "onehot", (1, 2), 1.0, (0.5, 0.5), None, False, "mean", False),
        (A, False, "soft", None, 0.5, (0.3, 0.7), None, False, "mean", False),
        (A, True, "onehot", (0, 1), 1e-5, (0.7, 0.3), None, False, "mean", False),
        (A, True, "onehot", None, 1.0, (0.5, 0.5), [0.2, 1.0, 2.5], True, "mean", False),
        (A, False, "onehot", None, 1.0, (1.0, 1.0), [1.5, 0.5, 3.0], False, "sum", False),
        (A, False, "onehot", (0, 0), 1e-5, (1.0, 1.0), [0.7, 1.3, 2.0], True, "sum", False),
        (B, True, "onehot", None, 1.0, (1.0, 1.0), None, False, "sum", False),
        (B, False, "soft", None, 0.5, (0.5, 0.5), None, True, "mean", False),
        (B, False, "onehot", (2, 3), 1e-5, (0.5, 0.5), None, False, "mean", False),
        (B, True, "soft", (1, 0), 1.0, (0.3, 0.7), [0.4, 1.0, 1.6, 2.2], True, "mean", False),
        (D, True, "onehot", None, 1.0, (0.5, 0.5), None, False, "mean", False),
        (D, False, "onehot", (1, 3), 0.5, (0.7, 0.3), None, False, "mean", False),
        (D, False, "soft", None, 1.0, (1.0, 1.0), [0.5, 1.0, 1.5, 2.0], False, "sum", False),
        (D, True, "soft", None, 1e-5, (0.5, 0.5), None, True, "sum", False),
        (E, True, "onehot", None, 1.0, (0.5, 0.5), None, False, "mean", False),
        (E, True, "soft", None, 0.5, (0.3, 0.7), [2.0], False, "mean", False),
        # One sample's mask empty; ignore_background with C == 1 is a no-op in optax.
        (E, True, "onehot", (2, 0), 1e-5, (0.7, 0.3), None, True, "sum", False),
        (E, False, "onehot", None, 1.0, (0.5, 0.5), None, False, "mean", False),
        (E, False, "soft", (3, 0), 1e-5, (0.7, 0.3), [0.5], False, "sum", True),
    ]
    for k, (shape, apply_softmax, targets, empty, smooth, (alpha, beta), weights,
            ignore_background, class_reduction, near_one) in enumerate(configs):
        assert weights is None or len(weights) == shape[-1]
        true = make_targets(rng, shape, targets)
        pred = make_predictions(rng, shape, apply_softmax, near_one)
        if empty is not None:
            empty_class(rng, true, pred, apply_softmax, *empty)
            assert np.all(true[empty[0]][..., empty[1]] == 0.0)
        if not apply_softmax:
            assert np.allclose(pred.sum(-1), 1.0, rtol=1e-5)
        args = dict(smooth=smooth, alpha=alpha, beta=beta, apply_softmax=apply_softmax,
                    reduction=class_reduction, ignore_background=ignore_background)
        expected = np.mean(reference_dice(pred, true, class_weights=weights, **args))
        for dtype in ("f64", "f32"):
            np_dtype = np.float64 if dtype == "f64" else np.float32
            yp = jnp.asarray(pred.astype(np_dtype))
            yt = jnp.asarray(true.astype(np_dtype))
            run = dict(args)
            if weights is not None:
                # An array of the case's dtype: a Python list would become a
                # float64 array under x64 and promote the f32 loss.
                run["class_weights"] = jnp.asarray(np.asarray(weights, np_dtype))

            def f(p):
                return jnp.mean(optax.losses.dice_loss(p, yt, **run))

            value, grad = jax.value_and_grad(f)(yp)
            assert value.dtype == np_dtype and grad.dtype == np_dtype, (k, dtype)
            check_finite(value, grad, (k, dtype))
            tol = 1e-12 if dtype == "f64" else 2e-5
            assert abs(float(value) - expected) <= tol * max(1.0, abs(expected)), (
                k, dtype, float(value), expected)
            options = {"alpha": alpha, "beta": beta, "smooth": smooth,
                       "apply_softmax": apply_softmax}
            if weights is not None:
                options["class_weights"] = [float(w) for w in weights]
            options["ignore_background"] = ignore_background
            options["class_reduction"] = class_reduction
            name = (
                f"dice_{k}_{'logits' if apply_softmax else 'probs'}_{targets}"
                f"{'_empty' if empty is not None else ''}_s{smooth}_a{alpha}_b{beta}"
                f"{'_w' if weights is not None else ''}"
                f"{'_nobg' if ignore_background else ''}_{class_reduction}"
                f"_{dims_of(shape)}_{dtype}_mean"
            )
            cases.append(optax_case(name, "dice", dtype, options, yp, yt, value, grad))
    # optax's probability check, even with one class: 0.5 is rejected.
    try:
        optax.losses.dice_loss(jnp.full(E, 0.5), jnp.ones(E), apply_softmax=False)
    except ValueError:
        pass
    else:
        raise AssertionError("optax accepted C == 1 probabilities of 0.5")
    return cases


def generalized_dice_cases():
    """``optax.losses.multiclass_generalized_dice_loss``: class weights
    ``1 / (f_c^2 + 1e-7)`` from the target totals (normalised to sum to C);
    logits and probabilities, one-hot and soft targets, a class absent from
    every target (weight 1e7 before normalisation, dominating), smooth 1 and
    0.1, the background dropped."""
    cases = []
    rng = np.random.default_rng(20261214)
    A, B = (2, 4, 4, 3), (3, 5, 4)
    # (shape, apply_softmax, targets, class absent from all targets or None,
    #  smooth, ignore_background)
    configs = [
        (A, True, "onehot", None, 1.0, False),
        (A, False, "onehot", 2, 1.0, False),
        (A, True, "soft", None, 0.1, False),
        (B, False, "onehot", None, 0.1, True),
        (B, True, "onehot", 1, 0.1, False),
        (B, False, "soft", None, 1.0, False),
        # The absent class is the background, dropped after it took the
        # weight: the classes kept carry weights of about 1e-9.
        (A, True, "onehot", 0, 1.0, True),
    ]
    for k, (shape, apply_softmax, targets, absent, smooth, ignore_background) in enumerate(
            configs):
        true = make_targets(rng, shape, targets)
        pred = make_predictions(rng, shape, apply_softmax)
        if absent is not None:
            for n in range(shape[0]):
                # Targets only: with a near-zero prediction too the absent
                # class' dice, which the weights make the whole loss, would
                # be 1 - 1/(1 + P/2) with P ~ 1e-8, which cancels to 0 in
                # float32 (no relative accuracy left in the f32 reference).
                empty_class(rng, true, pred, apply_softmax, n, absent, predictions=False)
            assert np.all(true[..., absent] == 0.0)
        args = dict(smooth=smooth, apply_softmax=apply_softmax,
                    ignore_background=ignore_background)
        expected = reference_generalized(pred, true, **args)
        for dtype in ("f64", "f32"):
            np_dtype = np.float64 if dtype == "f64" else np.float32
            yp = jnp.asarray(pred.astype(np_dtype))
            yt = jnp.asarray(true.astype(np_dtype))

            def f(p):
                return jnp.mean(optax.losses.multiclass_generalized_dice_loss(p, yt, **args))

            value, grad = jax.value_and_grad(f)(yp)
            assert value.dtype == np_dtype and grad.dtype == np_dtype, (k, dtype)
            check_finite(value, grad, (k, dtype))
            tol = 1e-12 if dtype == "f64" else 2e-5
            assert abs(float(value) - expected) <= tol * max(1.0, abs(expected)), (
                k, dtype, float(value), expected)
            options = {"alpha": 0.5, "beta": 0.5, "smooth": smooth,
                       "apply_softmax": apply_softmax,
                       "ignore_background": ignore_background, "class_reduction": "mean"}
            name = (
                f"generalized_dice_{k}_{'logits' if apply_softmax else 'probs'}_{targets}"
                f"{f'_absent{absent}' if absent is not None else ''}_s{smooth}"
                f"{'_nobg' if ignore_background else ''}_{dims_of(shape)}_{dtype}_mean"
            )
            cases.append(optax_case(name, "generalized_dice", dtype, options, yp, yt,
                                    value, grad))
    return cases


def main():
    out = {
        "optax_version": optax.__version__,
        "jax_version": jax.__version__,
        "generator": "scripts/gen_reference_optax.py",
        "cases": dice_cases() + generalized_dice_cases(),
    }
    with open(OUT, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"{len(out['cases'])} cases -> {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
