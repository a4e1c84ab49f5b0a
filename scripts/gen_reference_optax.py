"""Offline generator of the optax reference values in ``tests/data/losses_optax.json``.

Runs optax itself on JAX with 64-bit floats enabled: the segmentation losses
``optax.losses.dice_loss`` and ``optax.losses.multiclass_generalized_dice_loss``
(the anchors of ndloss' ``Dice``), then the classification losses
``multiclass_hinge_loss``, ``multiclass_perceptron_loss``,
``multiclass_sparsemax_loss``, ``poly_loss_cross_entropy``,
``generalized_kl_divergence``, ``perceptron_loss`` and ``sparsemax_loss``
(the anchors of ``MulticlassHinge``, ``MulticlassPerceptron``, ``Sparsemax``,
``PolyLoss``, ``GeneralizedKl``, ``Perceptron`` and ``BinarySparsemax``),
and the self-supervised ``ntxent`` (the anchor of ``NtXent``). The
f32 cases are computed in float32 end to end (inputs, class weights and every
intermediate; the classification and NT-Xent ones with x64 disabled around
the call, see below), the f64 cases in float64. Each case's value is
``jnp.mean`` of what optax returns (per sample, per lane or per element; for
``ntxent`` its scalar), and its gradient ``jax.grad`` of that scalar with
respect to the first argument only (predictions, scores, logits,
log-predictions, outputs or embeddings). The schema is
that of ``tests/data/losses_catalogue.json`` (``scripts/gen_reference.py``)
and ``tests/data/losses_keras.json`` (``scripts/gen_reference_keras.py``);
integer class labels are stored in the ``target`` tensor as JSON integers,
of shape ``scores.shape[:-1]`` (``[]`` for a single lane), and so are the
NT-Xent group labels, of shape ``(N,)``. Every value and
gradient is checked finite and against an independent NumPy transcription
in float64 (of the inputs as rounded to the case's dtype).

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

And in ``optax/losses/_classification.py`` (scores or logits ``s`` over
the last axis, ``y`` an integer label, ``l`` a label row, ``t`` targets):

- ``multiclass_hinge_loss(s, y)``: ``max_j (s_j + 1 - [j == y]) - s_y`` per
  lane (margin fixed at 1), gradient ``e_argmax - e_y``: 0 once the label
  wins by more than 1. ``multiclass_perceptron_loss(s, y)``: ``max_j s_j -
  s_y``, gradient ``e_argmax(s) - e_y``. Both build ``jax.nn.one_hot(y,
  C)``: a label outside ``[0, C)`` (or a non-integral float) gives a zero
  row, not an error (the loss is then ``max(s + 1)`` or ``max(s)``); at a
  tie for the max, JAX shares the gradient equally, so the cases keep the
  max unique with a gap of at least 1e-3.
- ``multiclass_sparsemax_loss(s, y)``: ``jax.vmap`` over the first axis
  (so ``(N, C)`` scores), per lane ``p . where(p > 0, s - s_y, 0) + (1 - p
  . p) / 2`` with ``p = projection_simplex(s)`` (sparsemax), i.e. ``p . s
  - s_y + (1 - |p|^2) / 2``: 0 when ``p`` is one-hot at ``y``, ``s_j -
  s_y`` when one-hot at ``j``. ``jax.grad`` through optax's custom JVP of
  the projection is ``p - e_y`` (asserted). Since ``p`` is continuous the
  loss is in fact C^1 (at a score equal to the threshold JAX still returns
  ``p - e_y``); lanes within 1e-3 of the threshold are avoided anyway. The
  label indexes ``s[y]``: -1 wraps to the last class and a label past the
  end is clamped to it (JAX gather), unlike the one-hot losses above.
- ``poly_loss_cross_entropy(x, l, epsilon=2)``: ``-sum l log softmax(x) +
  epsilon sum l (1 - softmax(x))``; the labels must be floating (optax
  checks the dtype) and are not normalised (rows summing to 0.5 or 1.5 scale
  both terms). Gradient ``(sum l) p - l - epsilon p (l - l . p)``.
- ``generalized_kl_divergence(q, t)``: ``sum t (log t - q) + exp(q) - t``
  with ``0 log 0 = 0`` (a ``where``), ``q`` unnormalised log-predictions;
  gradient in ``q`` ``exp(q) - t``. (Its gradient in the targets would be
  NaN at ``t = 0``: not recorded.)
- ``perceptron_loss(o, t)``: element-wise ``max(0, -o t)``, ``t`` in {-1,
  +1}, shapes checked equal; at ``o = 0`` JAX's maximum gives ``-t / 2``, so
  the outputs keep at least 1e-3 from 0. ``sparsemax_loss(x, y)``:
  element-wise ``sparse_plus(where(y, -x, x))``, the label used as a
  boolean (any nonzero label, 0.5 included, counts as 1): ``0`` below -1,
  ``(z + 1)^2 / 4`` inside, ``z`` above 1, gradient ``+-sparse_sigmoid``.
  Their values are the mean over every element.
- Under x64, ``jax.nn.one_hot`` defaults to float64, so the two one-hot
  losses of float32 scores return float64 values, and the simplex
  projection's ``1 / idx`` is float64, so ``jax.grad`` of the sparsemax
  loss of float32 scores raises (custom JVP primal float64, tangent
  float32): the f32 classification cases therefore run inside
  ``jax.enable_x64(False)``, with int32 labels (``check_x64_promotion``).

And in ``optax/losses/_self_supervised.py`` (embeddings ``x`` of shape
``(N, D)``, group labels ``y`` of shape ``(N,)``):

- ``ntxent(x, y, temperature=0.07)``: ``s = cos(x_i, x_j) / temperature``
  with ``cosine_similarity(..., epsilon=finfo(dtype).eps)``, which clips the
  squared norm: ``u_i = x_i / sqrt(max(|x_i|^2, eps))`` (float32: eps =
  2^-23 = 1.19e-7, norm floor 3.45e-4; float64: eps = 2^-52 = 2.22e-16,
  floor 1.49e-8). For anchor ``i``, ``P_i = {j != i : y_j = y_i}``, ``N_i =
  {k : y_k != y_i}``: the value is the mean over every ordered pair ``(i,
  j in P_i)`` of ``-s_ij + log(exp(s_ij) + sum_{k in N_i} exp(s_ik))``
  (each positive against the negatives only, not the other positives;
  the row max, under ``stop_gradient``, shifts out exactly). An anchor
  without positives (a singleton label) adds no term and no count, but is
  still a negative for the others (nonzero gradient); labels are only
  compared. No positive pair at all: 0 / 0 = NaN (not recorded). A row
  below the floor is divided by the constant ``sqrt(eps)``: an all-zero row
  has cosines 0 and a finite gradient, that of ``x . u_m / sqrt(eps)``
  (no projection off the row's direction), about ``1 / sqrt(eps)`` times an
  ordinary one: ~2.7e7 and ~1.9e7 in the f64 cases, ~1.2e3 and ~8e2 in the
  f32 ones (the row is kept exactly 0: JAX gives no NaN there). Since the
  floor depends on the dtype, a row of norm ~1e-6 is clipped in float32
  only, and the f32 and f64 values of that case differ (2.226 against
  2.149). Under x64 a float32 batch stays float32 (checked), but the f32
  cases run with x64 disabled and int32 labels like the classification ones.

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


# ---------------------------------------------------------------------------
# Classification losses (optax/losses/_classification.py).


def evaluate(fn, x, y, dtype, integer_labels=False):
    """``jax.value_and_grad`` of ``jnp.mean(fn(x, y))`` in the first
    argument, in ``dtype`` end to end: the f32 cases run with x64 disabled
    (see ``check_x64_promotion``: under x64, ``jax.nn.one_hot`` and the
    simplex projection bring in float64), the f64 cases with it enabled.
    Integer labels are int32 or int64 to match. Returns the inputs as JAX
    arrays, the value and the gradient."""
    np_dtype = np.float64 if dtype == "f64" else np.float32
    with jax.enable_x64(dtype == "f64"):
        xp = jnp.asarray(np.asarray(x).astype(np_dtype))
        if integer_labels:
            yt = jnp.asarray(np.asarray(y).astype(np.int64 if dtype == "f64" else np.int32))
        else:
            yt = jnp.asarray(np.asarray(y).astype(np_dtype))

        def f(p):
            return jnp.mean(fn(p, yt))

        value, grad = jax.value_and_grad(f)(xp)
        value, grad = np.asarray(value), np.asarray(grad)
    assert value.dtype == np_dtype and grad.dtype == np_dtype, (dtype, value.dtype, grad.dtype)
    assert grad.shape == xp.shape
    return xp, yt, value, grad


def check_against(value, grad, expected_value, expected_grad, dtype, what):
    """The recorded value and gradient against an independent NumPy float64
    transcription (of the inputs as rounded to the case's dtype)."""
    check_finite(value, grad, what)
    tol = 1e-12 if dtype == "f64" else 2e-5
    v = float(value)
    assert abs(v - expected_value) <= tol * max(1.0, abs(expected_value)), (
        what, v, expected_value)
    scale = max(1.0, float(np.max(np.abs(expected_grad))))
    err = float(np.max(np.abs(np.asarray(grad, np.float64) - expected_grad)))
    assert err <= tol * scale, (what, err)


def as_dtype(a, dtype):
    """``a`` rounded to the case's dtype, back in float64 for the references."""
    return np.asarray(a).astype(np.float64 if dtype == "f64" else np.float32).astype(np.float64)


def label_case(name, loss, dtype, options, scores, labels, value, grad):
    """A case whose target is integer class indices, stored as JSON integers."""
    case = optax_case(name, loss, dtype, options, scores, labels, value, grad)
    case["inputs"]["target"]["data"] = [int(v) for v in np.asarray(labels).reshape(-1)]
    return case


def top_gap(z):
    """The gap between the largest and the second largest entry of each
    lane (last axis)."""
    u = np.sort(z, axis=-1)
    return u[..., -1] - u[..., -2]


def hinge_z(scores, labels):
    c = scores.shape[-1]
    return scores + 1.0 - np.eye(c)[labels]


def multiclass_margin_lanes(rng, shape, modes, kind, gap=1e-3):
    """Scores uniform in [-3, 3], ``(..., C)``, and integer labels of shape
    ``shape[:-1]`` (a 0-d array for a 1-D shape), lane by lane: ``modes``
    cycles over the lanes, 'random' (a random label), 'wrong' (a random
    label other than the argmax), 'argmax' (the label is the argmax of the
    scores) or 'margin' (the label beats every other score by more than 1 +
    gap: multiclass hinge 0). A lane is resampled until the
    max over the last axis of ``scores + 1 - onehot`` (``kind`` 'hinge') or
    of the scores ('perceptron') is unique with a gap of at least ``gap``,
    in float64 and in float32: at a tie, JAX's max shares the gradient."""
    c = shape[-1]
    lanes = int(np.prod(shape[:-1]))
    scores = np.empty((lanes, c))
    labels = np.empty(lanes, np.int64)
    for i in range(lanes):
        mode = modes[i % len(modes)]
        for _ in range(100000):
            s = rng.uniform(-3.0, 3.0, c)
            if mode in ("argmax", "margin"):
                y = int(np.argmax(s))
            elif mode == "wrong":
                y = int((np.argmax(s) + 1 + rng.integers(c - 1)) % c)
            else:
                y = int(rng.integers(c))
            if mode == "margin" and not top_gap(s) > 1.0 + gap:
                continue
            ok = True
            for r in (s, s.astype(np.float32).astype(np.float64)):
                z = hinge_z(r, y) if kind == "hinge" else r
                ok = ok and top_gap(z) >= gap
            if ok:
                break
        else:
            raise AssertionError("no lane found")
        scores[i], labels[i] = s, y
    return scores.reshape(shape), labels.reshape(shape[:-1])


def onehot_grad(lanes_shape, c, idx):
    return np.eye(c)[idx].reshape(lanes_shape + (c,))


def multiclass_hinge_cases():
    """``optax.losses.multiclass_hinge_loss(scores, labels)``: ``max_j (s_j
    + 1 - [j == y]) - s_y`` per lane, gradient ``e_argmax - e_y``. Random
    labels, labels at the argmax (the runner-up within 1 of it or not), and
    lanes whose label wins by more than the margin (loss and gradient 0);
    one, two and three-axis scores (a single lane with a 0-d label)."""
    cases = []
    rng = np.random.default_rng(20261215)
    configs = [
        ((4, 5), ["random"]),
        ((4, 5), ["margin", "random"]),
        ((3, 7), ["random"]),
        ((3, 7), ["argmax"]),
        ((2, 3, 4), ["random"]),
        ((2, 3, 4), ["margin", "random", "argmax"]),
        ((6,), ["random"]),
        ((6,), ["argmax"]),
    ]
    for k, (shape, modes) in enumerate(configs):
        scores, labels = multiclass_margin_lanes(rng, shape, modes, "hinge")
        mode = "_".join(modes)
        if "margin" in modes:
            z = hinge_z(scores, labels)
            assert np.any(np.argmax(z, -1) == labels)
        for dtype in ("f64", "f32"):
            xp, yt, value, grad = evaluate(optax.losses.multiclass_hinge_loss, scores, labels,
                                           dtype, integer_labels=True)
            s = as_dtype(scores, dtype)
            z = hinge_z(s, labels)
            per = z.max(-1) - np.take_along_axis(s, labels[..., None], -1)[..., 0]
            n = per.size
            g = (onehot_grad(labels.shape, shape[-1], np.argmax(z, -1))
                 - onehot_grad(labels.shape, shape[-1], labels)) / n
            check_against(value, grad, float(np.mean(per)), g, dtype, ("hinge", k, dtype))
            name = f"multiclass_hinge_{k}_{mode}_{dims_of(shape)}_{dtype}_mean"
            cases.append(label_case(name, "multiclass_hinge", dtype, {"margin": 1.0},
                                    xp, yt, value, grad))
    return cases


def multiclass_perceptron_cases():
    """``optax.losses.multiclass_perceptron_loss(scores, labels)``: ``max_j
    s_j - s_y`` per lane, gradient ``e_argmax - e_y``; lanes with the label
    at the argmax have loss and gradient 0 (the single lane once with its
    label at the argmax, once elsewhere)."""
    cases = []
    rng = np.random.default_rng(20261216)
    configs = [
        ((4, 5), ["random"]),
        ((4, 5), ["argmax", "random"]),
        ((3, 7), ["random"]),
        ((3, 7), ["random", "argmax"]),
        ((2, 3, 4), ["random"]),
        ((2, 3, 4), ["argmax", "random", "random"]),
        ((6,), ["wrong"]),
        ((6,), ["argmax"]),
    ]
    for k, (shape, modes) in enumerate(configs):
        scores, labels = multiclass_margin_lanes(rng, shape, modes, "perceptron")
        mode = "_".join(modes)
        for dtype in ("f64", "f32"):
            xp, yt, value, grad = evaluate(optax.losses.multiclass_perceptron_loss, scores,
                                           labels, dtype, integer_labels=True)
            s = as_dtype(scores, dtype)
            per = s.max(-1) - np.take_along_axis(s, labels[..., None], -1)[..., 0]
            n = per.size
            g = (onehot_grad(labels.shape, shape[-1], np.argmax(s, -1))
                 - onehot_grad(labels.shape, shape[-1], labels)) / n
            check_against(value, grad, float(np.mean(per)), g, dtype, ("perceptron", k, dtype))
            assert (float(value) > 0.0) == (modes != ["argmax"]), (k, float(value))
            name = f"multiclass_perceptron_{k}_{mode}_{dims_of(shape)}_{dtype}_mean"
            cases.append(label_case(name, "multiclass_perceptron", dtype, {}, xp, yt,
                                    value, grad))
    return cases


def sparsemax_tau(x):
    """The sparsemax threshold of each lane (last axis): with ``u`` sorted
    decreasingly, ``tau_k = (u_1 + ... + u_k - 1) / k`` at the largest ``k``
    with ``u_k > tau_k``; ``sparsemax(x) = max(x - tau, 0)``."""
    u = -np.sort(-x, axis=-1)
    k = np.arange(1, x.shape[-1] + 1)
    taus = (np.cumsum(u, -1) - 1.0) / k
    kk = np.sum(u > taus, axis=-1)
    return np.take_along_axis(taus, (kk - 1)[..., None], -1)[..., 0]


def sparsemax_loss_reference(s, labels):
    """Per lane ``p . s - s_y + (1 - |p|^2) / 2`` (optax's
    ``p . where(p > 0, s - s_y, 0) + (1 - p . p) / 2``, with ``sum p = 1``)
    and ``p = sparsemax(s)``."""
    p = np.maximum(s - sparsemax_tau(s)[..., None], 0.0)
    sy = np.take_along_axis(s, labels[..., None], -1)[..., 0]
    return np.sum(p * s, -1) - sy + 0.5 * (1.0 - np.sum(p * p, -1)), p


def sparsemax_cases():
    """``optax.losses.multiclass_sparsemax_loss(scores, labels)`` on ``(N,
    C)`` scores (it vmaps over the first axis), normal(0, 1.5): random
    labels, and lanes whose sparsemax is exactly one-hot at the label (loss
    0) or at another class (loss ``s_j - s_y``). Lanes with a score within
    1e-3 of the threshold tau (a support about to change) are resampled.
    jax.grad, through optax's custom JVP of the projection, is ``sparsemax(s)
    - onehot(y)`` (asserted)."""
    cases = []
    rng = np.random.default_rng(20261217)
    configs = [
        ((4, 5), True),
        ((6, 3), False),
        ((3, 8), True),
        ((5, 2), True),
        ((4, 5), False),
        ((6, 3), True),
        ((3, 8), False),
        ((5, 2), False),
    ]
    for k, (shape, special) in enumerate(configs):
        n, c = shape
        scores = np.empty(shape)
        labels = np.empty(n, np.int64)
        for i in range(n):
            for _ in range(100000):
                s = rng.normal(0.0, 1.5, c)
                y = int(rng.integers(c))
                if special and i < 2:
                    # Lane 0 one-hot at the label, lane 1 at another class.
                    j = y if i == 0 else int((y + 1 + rng.integers(c - 1)) % c)
                    others = np.delete(s, j)
                    s[j] = others.max() + 1.0 + rng.uniform(0.05, 1.0)
                ok = True
                for r in (s, s.astype(np.float32).astype(np.float64)):
                    ok = ok and np.min(np.abs(r - sparsemax_tau(r))) >= 1e-3
                if ok:
                    break
            else:
                raise AssertionError("no lane found")
            scores[i], labels[i] = s, y
        if special:
            _, p = sparsemax_loss_reference(scores, labels)
            assert p[0, labels[0]] == 1.0 and np.count_nonzero(p[0]) == 1
            assert np.count_nonzero(p[1]) == 1 and p[1, labels[1]] == 0.0
        for dtype in ("f64", "f32"):
            xp, yt, value, grad = evaluate(optax.losses.multiclass_sparsemax_loss, scores,
                                           labels, dtype, integer_labels=True)
            s = as_dtype(scores, dtype)
            per, p = sparsemax_loss_reference(s, labels)
            g = (p - np.eye(c)[labels]) / n
            check_against(value, grad, float(np.mean(per)), g, dtype, ("sparsemax", k, dtype))
            if special:
                with jax.enable_x64(dtype == "f64"):
                    lanes = np.asarray(optax.losses.multiclass_sparsemax_loss(xp, yt))
                assert lanes[0] == 0.0, lanes
                assert abs(float(lanes[1]) - (s[1].max() - s[1, labels[1]])) <= 1e-5, lanes
            name = (f"sparsemax_{k}_{'onehot_lanes' if special else 'random'}"
                    f"_{dims_of(shape)}_{dtype}_mean")
            cases.append(label_case(name, "sparsemax", dtype, {}, xp, yt, value, grad))
    return cases


def poly_labels(rng, shape, kind):
    """Label rows over the last axis: 'onehot', 'soft' (Dirichlet) or 'mixed'
    (lanes cycling over one-hot, Dirichlet, 0.5 * one-hot and 1.5 *
    Dirichlet: the last two do not sum to 1)."""
    c = shape[-1]
    lanes = int(np.prod(shape[:-1]))
    rows = np.empty((lanes, c))
    for i in range(lanes):
        onehot = np.eye(c)[rng.integers(c)]
        soft = rng.dirichlet(np.ones(c))
        if kind == "onehot":
            rows[i] = onehot
        elif kind == "soft":
            rows[i] = soft
        else:
            rows[i] = [onehot, soft, 0.5 * onehot, 1.5 * soft][i % 4]
    return rows.reshape(shape)


def poly_loss_cases():
    """``optax.losses.poly_loss_cross_entropy(logits, labels, epsilon=e)``:
    ``-sum l log softmax(x) + e * sum l (1 - softmax(x))`` per lane (Poly-1),
    logits normal(0, 2); labels one-hot, Dirichlet, or mixed with rows
    summing to 0.5 and 1.5 (optax does not normalise them); epsilon 2 (the
    default, not passed), 0 (plain cross-entropy), 1, -1 and 5."""
    cases = []
    rng = np.random.default_rng(20261218)
    A, B, D = (4, 5), (3, 7), (2, 3, 4)
    configs = [
        (A, "onehot", 2.0), (A, "soft", 0.0), (A, "mixed", 5.0), (A, "mixed", 0.0),
        (B, "mixed", 2.0), (B, "onehot", -1.0), (B, "soft", 1.0),
        (D, "soft", 2.0), (D, "mixed", -1.0), (D, "onehot", 5.0), (D, "mixed", 1.0),
    ]
    for k, (shape, kind, eps) in enumerate(configs):
        logits = rng.normal(0.0, 2.0, shape)
        labels = poly_labels(rng, shape, kind)
        if eps == 2.0:
            def fn(x, y):
                return optax.losses.poly_loss_cross_entropy(x, y)
        else:
            def fn(x, y, eps=eps):
                return optax.losses.poly_loss_cross_entropy(x, y, epsilon=eps)
        for dtype in ("f64", "f32"):
            xp, yt, value, grad = evaluate(fn, logits, labels, dtype)
            x = as_dtype(logits, dtype)
            lab = as_dtype(labels, dtype)
            p = softmax(x)
            logp = x - x.max(-1, keepdims=True)
            logp = logp - np.log(np.exp(logp).sum(-1, keepdims=True))
            per = -np.sum(lab * logp, -1) + eps * np.sum(lab * (1.0 - p), -1)
            total = lab.sum(-1, keepdims=True)
            lp = np.sum(lab * p, -1, keepdims=True)
            g = (total * p - lab - eps * p * (lab - lp)) / per.size
            check_against(value, grad, float(np.mean(per)), g, dtype, ("poly", k, dtype))
            name = f"poly_loss_{k}_{kind}_eps{eps}_{dims_of(shape)}_{dtype}_mean"
            cases.append(optax_case(name, "poly_loss", dtype, {"epsilon": eps}, xp, yt,
                                    value, grad))
    return cases


def generalized_kl_cases():
    """``optax.losses.generalized_kl_divergence(log_predictions, targets)``:
    ``sum t (log t - q) + exp(q) - t`` per lane (``0 log 0 = 0``),
    unnormalised log-predictions ``q`` normal(-1, 1), targets uniform in
    [0, 2] with a fraction of exact zeros, and lanes of zeros only
    (``sum exp(q)``). Gradient in ``q``: ``exp(q) - t``."""
    cases = []
    rng = np.random.default_rng(20261219)
    A, B, D = (4, 5), (3, 7), (2, 3, 4)
    # (shape, fraction of zero targets, a lane of zeros only)
    configs = [
        (A, 0.25, False), (A, 0.0, False), (A, 0.5, True),
        (B, 0.3, False), (B, 0.2, True),
        (D, 0.2, False), (D, 0.0, False), (D, 0.4, True),
    ]
    for k, (shape, zeros, zero_lane) in enumerate(configs):
        logp = rng.normal(-1.0, 1.0, shape)
        targets = rng.uniform(0.0, 2.0, shape)
        targets[rng.uniform(size=shape) < zeros] = 0.0
        if zero_lane:
            targets.reshape(-1, shape[-1])[1] = 0.0
        if zeros > 0.0:
            assert np.any(targets == 0.0)
        for dtype in ("f64", "f32"):
            xp, yt, value, grad = evaluate(optax.losses.generalized_kl_divergence, logp,
                                           targets, dtype)
            q = as_dtype(logp, dtype)
            t = as_dtype(targets, dtype)
            tlogt = np.where(t > 0.0, t * np.log(np.where(t > 0.0, t, 1.0)), 0.0)
            per = np.sum(tlogt - t * q + np.exp(q) - t, -1)
            g = (np.exp(q) - t) / per.size
            check_against(value, grad, float(np.mean(per)), g, dtype, ("gkl", k, dtype))
            name = (f"generalized_kl_{k}_zeros{zeros}{'_zerolane' if zero_lane else ''}"
                    f"_{dims_of(shape)}_{dtype}_mean")
            cases.append(optax_case(name, "generalized_kl", dtype, {}, xp, yt, value, grad))
    return cases


def perceptron_cases():
    """``optax.losses.perceptron_loss(outputs, targets)``, element-wise
    ``max(0, -o t)`` with targets in {-1, +1}, averaged over every element;
    outputs uniform in [-3, 3] at least 1e-3 from 0 (the kink, where JAX's
    maximum would share the gradient: -t / 2). Targets random, or mostly
    agreeing with the sign of the outputs (a quarter flipped)."""
    cases = []
    rng = np.random.default_rng(20261220)
    configs = [
        ((4, 5), "random"), ((4, 5), "mostly_right"),
        ((3, 7), "random"), ((3, 7), "mostly_right"),
        ((2, 3, 4), "random"), ((2, 3, 4), "mostly_right"),
        ((10,), "random"), ((10,), "mostly_right"),
    ]
    for k, (shape, kind) in enumerate(configs):
        out = rng.uniform(-3.0, 3.0, shape)
        while np.any(np.abs(out) < 1e-3):
            bad = np.abs(out) < 1e-3
            out[bad] = rng.uniform(-3.0, 3.0, int(bad.sum()))
        if kind == "random":
            targets = np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0)
        else:
            targets = np.sign(out) * np.where(rng.uniform(size=shape) < 0.25, -1.0, 1.0)
        assert np.any(out * targets < 0) and np.any(out * targets > 0)
        for dtype in ("f64", "f32"):
            xp, yt, value, grad = evaluate(optax.losses.perceptron_loss, out, targets, dtype)
            o = as_dtype(out, dtype)
            per = np.maximum(0.0, -o * targets)
            g = np.where(-o * targets > 0.0, -targets, 0.0) / per.size
            check_against(value, grad, float(np.mean(per)), g, dtype, ("perc", k, dtype))
            name = f"perceptron_{k}_{kind}_{dims_of(shape)}_{dtype}_mean"
            cases.append(optax_case(name, "perceptron", dtype, {}, xp, yt, value, grad))
    return cases


def binary_sparsemax_cases():
    """``optax.losses.sparsemax_loss(logits, labels)``, element-wise
    ``sparse_plus(z)`` with ``z = -x`` where the label is 1 and ``x`` where
    it is 0 (``0`` for ``z <= -1``, ``(z + 1)^2 / 4`` inside, ``z`` for ``z
    >= 1``; once differentiable, gradient ``+-sparse_sigmoid(z)``), averaged
    over every element; logits uniform in [-3, 3], every case holding logits
    beyond -1 and +1 and ``z`` in each of the three pieces; none exactly
    +-1."""
    cases = []
    rng = np.random.default_rng(20261221)
    shapes = [(4, 5), (3, 7), (2, 3, 4), (10,)]
    configs = [(shape, kind) for kind in ("random", "balanced") for shape in shapes]
    for k, (shape, kind) in enumerate(configs):
        for _ in range(100000):
            x = rng.uniform(-3.0, 3.0, shape)
            if kind == "random":
                y = (rng.uniform(size=shape) < 0.5).astype(np.float64)
            else:
                # Half the elements labelled 1, in random places.
                flat = np.zeros(x.size)
                flat[rng.permutation(x.size)[: x.size // 2]] = 1.0
                y = flat.reshape(shape)
            z = np.where(y > 0, -x, x)
            if (np.any(x > 1.0) and np.any(x < -1.0) and np.any(z <= -1.0)
                    and np.any(np.abs(z) < 1.0) and np.any(z >= 1.0)
                    and np.min(np.abs(np.abs(x.astype(np.float32)) - 1.0)) > 1e-6):
                break
        else:
            raise AssertionError("no logits found")
        for dtype in ("f64", "f32"):
            xp, yt, value, grad = evaluate(optax.losses.sparsemax_loss, x, y, dtype)
            xx = as_dtype(x, dtype)
            zz = np.where(y > 0, -xx, xx)
            per = np.where(zz <= -1.0, 0.0, np.where(zz >= 1.0, zz, (zz + 1.0) ** 2 / 4.0))
            sig = 0.5 * np.clip(zz + 1.0, 0.0, 2.0)
            g = np.where(y > 0, -sig, sig) / per.size
            check_against(value, grad, float(np.mean(per)), g, dtype, ("bsparse", k, dtype))
            name = f"binary_sparsemax_{k}_{kind}_{dims_of(shape)}_{dtype}_mean"
            cases.append(optax_case(name, "binary_sparsemax", dtype, {}, xp, yt, value, grad))
    return cases


# ---------------------------------------------------------------------------
# Self-supervised losses (optax/losses/_self_supervised.py).


def ntxent_labels(rng, n, layout, shuffle):
    """Group labels for ``n`` embeddings: 'pairs' ``[0, 0, 1, 1, ...]``,
    'triples' ``[0, 0, 0, 1, 1, 1, ...]`` (``n`` a multiple of 3),
    'singleton' (a triple, then pairs, then one label held by a single
    embedding: an anchor without positives) or 'two_groups' (the first
    half 0, the second 1). With ``shuffle`` the rows are permuted and the
    labels renamed to distinct random integers in [0, 100) (optax only
    compares them)."""
    if layout == "pairs":
        labels = np.arange(n) // 2
    elif layout == "triples":
        assert n % 3 == 0
        labels = np.arange(n) // 3
    elif layout == "singleton":
        assert n % 2 == 0 and n >= 4
        labels = np.concatenate([[0, 0, 0], 1 + np.arange(n - 4) // 2, [n // 2]])
    else:
        labels = (np.arange(n) >= n // 2).astype(np.int64)
    labels = labels.astype(np.int64)
    if shuffle:
        names = rng.choice(100, size=int(labels.max()) + 1, replace=False)
        labels = names[labels[rng.permutation(n)]]
    return labels


def ntxent_reference(x, labels, temperature, eps):
    """An independent NumPy float64 transcription of optax's ``ntxent``:
    ``u_i = x_i / sqrt(max(|x_i|^2, eps))``, ``s = u u^T / temperature``,
    and, over every ordered pair ``(i, j)`` with ``j != i`` and ``y_j ==
    y_i`` (``j`` in ``P_i``), ``-s_ij + log(exp(s_ij) + sum_{k in N_i}
    exp(s_ik))`` (``N_i`` the embeddings with another label), averaged over
    the pairs. An anchor without positives adds no term and no count.
    Returns the value, the gradient in ``x`` (through the normalisation: a
    row whose squared norm is below ``eps`` is divided by the constant
    ``sqrt(eps)``, so its Jacobian is ``I / sqrt(eps)``) and the number of
    pairs."""
    x = np.asarray(x, np.float64)
    n = x.shape[0]
    n2 = np.sum(x * x, -1)
    clipped = n2 < eps
    norm = np.sqrt(np.maximum(n2, eps))
    u = x / norm[:, None]
    s = u @ u.T / temperature
    same = labels[:, None] == labels[None, :]
    pos = same & ~np.eye(n, dtype=bool)
    neg = ~same
    count = int(pos.sum())
    total = 0.0
    gs = np.zeros((n, n))
    for i in range(n):
        if not pos[i].any():
            continue
        m = s[i, pos[i] | neg[i]].max()
        en = np.exp(s[i, neg[i]] - m)
        for j in np.flatnonzero(pos[i]):
            ep = np.exp(s[i, j] - m)
            d = ep + en.sum()
            total += -s[i, j] + m + np.log(d)
            gs[i, j] += -1.0 + ep / d
            gs[i, neg[i]] += en / d
    gs /= count
    # s_im = u_i . u_m / t, the diagonal unused: dL/du_r = sum_m (G_rm + G_mr) u_m / t.
    gu = (gs + gs.T) @ u / temperature
    radial = np.where(clipped, 0.0, np.sum(u * gu, -1))
    g = (gu - radial[:, None] * u) / norm[:, None]
    return total / count, g, count


def ntxent_cases():
    """``optax.losses.ntxent(embeddings, labels, temperature)`` on ``(N,
    D)`` embeddings normal(0, 1), N in {4, 6, 8, 10}, D in {2, 3, 5, 16}:
    labels in pairs, triples, groups with one singleton (an anchor without
    positives, still a negative for the others) and two groups only, in
    order or shuffled and renamed; temperatures 0.07 (optax's default, not
    passed, and passed), 0.1, 0.5, 1 and 2; an all-zero row (below optax's
    norm floor ``sqrt(eps)``: divided by ``sqrt(eps)``, so its cosines are
    0 and its gradient, finite, is that of ``x . u_m / sqrt(eps)``: about
    1/sqrt(eps) times an ordinary one, up to ~1e7 in f64, ~1e3 in f32), a
    row of norm ~1e-6 (clipped in float32 only: its f32 cosines shrink
    towards 0, its f64 ones are true cosines), a row of norm ~1e-9 (clipped
    in both), and rows scaled by 100 (all of them: the value is unchanged
    and the gradient divided by 100; every other one). The value is optax's
    scalar (the mean over positive pairs), the gradient in the embeddings,
    each row also checked against the reference at its own scale."""
    cases = []
    rng = np.random.default_rng(20261222)
    # (N, D, labels, shuffle, temperature or None for the default, rows)
    configs = [
        (4, 2, "pairs", False, None, "normal"),
        (6, 3, "triples", False, 0.1, "normal"),
        (8, 5, "singleton", False, 0.5, "normal"),
        (10, 16, "two_groups", False, 1.0, "normal"),
        (8, 16, "pairs", False, 2.0, "normal"),
        (6, 5, "pairs", False, 0.5, "zerorow"),
        (10, 3, "singleton", True, 0.1, "large"),
        (4, 16, "two_groups", True, 0.07, "normal"),
        (8, 2, "pairs", True, 1.0, "tiny1e-06"),
        (10, 5, "singleton", False, 2.0, "tiny1e-09"),
        (6, 16, "triples", True, None, "large_alternate"),
        (8, 3, "two_groups", True, 0.1, "zerorow"),
    ]
    # optax's epsilon is jnp.finfo(dtype).eps, and cosine_similarity clips
    # the SQUARED norm with it: sqrt(clip(|x|^2, eps)). float32: eps =
    # 2^-23 = 1.1920929e-07, norm floor sqrt(eps) = 3.4526698e-04; float64:
    # eps = 2^-52 = 2.220446049250313e-16, norm floor 1.4901161193847656e-08.
    eps_of = {"f32": float(np.finfo(np.float32).eps), "f64": float(np.finfo(np.float64).eps)}
    assert eps_of["f32"] == 2.0**-23 and eps_of["f64"] == 2.0**-52
    for k, (n, d, layout, shuffle, temperature, rows) in enumerate(configs):
        labels = ntxent_labels(rng, n, layout, shuffle)
        x = rng.normal(0.0, 1.0, (n, d))
        # The special row: one with a positive (and a negative).
        r = int(rng.choice(np.flatnonzero(np.sum(labels == labels[:, None], -1) > 1)))
        if rows == "zerorow":
            x[r] = 0.0
        elif rows.startswith("tiny"):
            x[r] = float(rows[4:]) * rng.normal(0.0, 1.0, d)
        elif rows == "large":
            x *= 100.0
        elif rows == "large_alternate":
            x[::2] *= 100.0
        singletons = np.sum(labels == labels[:, None], -1) == 1
        assert singletons.any() == (layout == "singleton"), (k, labels)
        t = 0.07 if temperature is None else temperature
        if temperature is None:
            def fn(e, y):
                return optax.losses.ntxent(e, y)
        else:
            def fn(e, y, t=t):
                return optax.losses.ntxent(e, y, temperature=t)
        for dtype in ("f64", "f32"):
            eps = eps_of[dtype]
            xx = as_dtype(x, dtype)
            n2 = np.sum(xx * xx, -1)
            # No row near the floor; the special rows on the side intended.
            assert np.all((n2 < eps / 10.0) | (n2 > 10.0 * eps)), (k, dtype)
            expect_clipped = {"zerorow": True, "tiny1e-09": True,
                              "tiny1e-06": dtype == "f32"}.get(rows, False)
            assert bool(n2[r] < eps) == expect_clipped, (k, dtype, n2[r])
            assert np.sum(n2 < eps) == int(expect_clipped), (k, dtype)
            xp, yt, value, grad = evaluate(fn, x, labels, dtype, integer_labels=True)
            v, g, count = ntxent_reference(xx, labels, t, eps)
            assert count == int(np.sum(labels == labels[:, None]) - n)
            check_against(value, grad, v, g, dtype, ("ntxent", k, dtype))
            tol = 1e-12 if dtype == "f64" else 2e-5
            for i in range(n):
                # Row by row at the row's own scale (the zero and tiny rows'
                # gradients dwarf the others').
                scale = max(1.0, float(np.max(np.abs(g[i]))))
                err = float(np.max(np.abs(np.asarray(grad[i], np.float64) - g[i])))
                assert err <= tol * scale, ("ntxent row", k, dtype, i, err)
            if layout == "singleton":
                # Counting the singleton anchor as a pair would be another value.
                assert abs(v * count / (count + 1) - float(value)) > 1e-3 * abs(v), k
                assert np.all(np.abs(grad[singletons]) > 0.0), k
            if rows == "zerorow":
                assert np.all(np.asarray(grad[r]) != 0.0), k
            name = (f"ntxent_{k}_{layout}{'_shuffled' if shuffle else ''}"
                    f"_{'default' if temperature is None else f't{t}'}"
                    f"{'' if rows == 'normal' else '_' + rows}_{dims_of((n, d))}_{dtype}_mean")
            cases.append(label_case(name, "ntxent", dtype, {"temperature": t}, xp, yt,
                                    value, grad))
            if rows == "large" and dtype == "f64":
                # Scale invariance: the rows / 100 give the value, and 100 x the gradient.
                v1, g1, _ = ntxent_reference(xx / 100.0, labels, t, eps)
                assert abs(v1 - float(value)) <= 1e-12 * max(1.0, abs(v1))
                assert np.max(np.abs(g1 / 100.0 - np.asarray(grad))) <= 1e-12 * np.max(np.abs(g1))
    # Under x64 a float32 batch stays float32 (nothing here promotes), but
    # the f32 cases still run with x64 disabled and int32 labels, as the
    # classification ones; a batch without any positive pair is 0 / 0.
    e32 = jnp.asarray(np.ones((4, 3), np.float32))
    lab = jnp.asarray(np.array([0, 0, 1, 1]))
    v32, g32 = jax.value_and_grad(lambda e: optax.losses.ntxent(e, lab))(e32)
    assert v32.dtype == jnp.float32 and g32.dtype == jnp.float32
    assert np.isnan(float(optax.losses.ntxent(jnp.asarray(np.eye(4)), jnp.arange(4))))
    return cases


def check_x64_promotion():
    """Why the f32 classification cases run with x64 disabled: under x64
    ``jax.nn.one_hot`` defaults to float64, so the multiclass hinge and
    perceptron losses of float32 scores come out in float64 (their
    gradients in float32), and the simplex projection's ``1 / idx`` is
    float64, so ``jax.grad`` of the multiclass sparsemax loss of float32
    scores fails (the custom JVP's primal float64, its tangent float32)."""
    s = jnp.asarray(np.array([[0.5, -1.0, 2.0]], np.float32))
    y = jnp.asarray(np.array([1]))
    assert optax.losses.multiclass_hinge_loss(s, y).dtype == jnp.float64
    assert optax.losses.multiclass_perceptron_loss(s, y).dtype == jnp.float64
    try:
        jax.grad(lambda v: optax.losses.multiclass_sparsemax_loss(v, y).sum())(s)
    except TypeError:
        pass
    else:
        raise AssertionError("float32 sparsemax under x64 differentiated")
    with jax.enable_x64(False):
        s32 = jnp.asarray(np.asarray(s))
        y32 = jnp.asarray(np.array([1], np.int32))
        assert optax.losses.multiclass_hinge_loss(s32, y32).dtype == jnp.float32


def main():
    cases = dice_cases() + generalized_dice_cases()
    check_x64_promotion()
    cases += (multiclass_hinge_cases() + multiclass_perceptron_cases() + sparsemax_cases()
              + poly_loss_cases() + generalized_kl_cases() + perceptron_cases()
              + binary_sparsemax_cases())
    cases += ntxent_cases()
    names = [c["name"] for c in cases]
    assert len(set(names)) == len(names), "duplicate case names"
    per_loss = {}
    for c in cases:
        per_loss[c["loss"]] = per_loss.get(c["loss"], 0) + 1
    assert all(n >= 14 for n in per_loss.values()), per_loss
    out = {
        "optax_version": optax.__version__,
        "jax_version": jax.__version__,
        "generator": "scripts/gen_reference_optax.py",
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"{len(out['cases'])} cases -> {os.path.normpath(OUT)}")
    for loss, n in per_loss.items():
        print(f"  {loss}: {n}")


if __name__ == "__main__":
    main()
