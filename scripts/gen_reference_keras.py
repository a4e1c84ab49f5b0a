"""Offline generator of the Keras 3 reference values in ``tests/data/losses_keras.json``.

Runs Keras itself, on its JAX backend with 64-bit floats enabled, for the
losses whose anchor is Keras (PyTorch has no counterpart): binary focal
crossentropy, Poisson, and, along the last axis, categorical hinge, cosine
similarity, categorical focal crossentropy (probabilities and logits) and
categorical generalized cross entropy (integer labels); and the overlap
losses Dice and Tversky with their default ``axis=None`` (one scalar over
every element, appended after the others). The gradients are
``jax.grad`` of the loss object's call with respect to ``y_pred``. Each case
has the schema of ``tests/data/losses_catalogue.json`` (``scripts/gen_reference.py``),
so ``tests/it/parity_catalogue.rs`` reads both files the same way.

    pip install keras jax
    python3 scripts/gen_reference_keras.py

In float64, Keras computes every mean in float32: ``keras.ops.mean`` on the
JAX backend (``keras/src/backend/jax/numpy.py``) averages in
``result_type(x.dtype, "float32")``, which Keras promotes to float32, and
casts back; so its float64 losses carry float32 rounding (about 4e-8
relative), and no float64 implementation can match them to 1e-10. The f64
cases therefore run Keras' own loss function with that one mean done in
float64 (``f64_means`` below); every other operation is Keras'. The f32 cases
are Keras end to end, its loss object and reduction included.

Keras' default reduction, ``'sum_over_batch_size'`` (the per-sample mean over
the last axis, then the mean over samples), is ndloss' ``Mean``; the cases use
it only (for Dice and Tversky, whose loss over every element is a single
scalar, that reduction is the scalar itself: ndloss' ``Dice`` on the whole
tensor as one sample and one class). Users and CI never run this script:
its output is committed.
"""

import json
import os

os.environ["KERAS_BACKEND"] = "jax"

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras.src.losses import losses as keras_losses  # noqa: E402


class f64_means:
    """Within the block, the ``ops.mean`` Keras' loss functions call averages
    float64 inputs in float64 (see the module doc); other dtypes unchanged."""

    def __enter__(self):
        self.ops = keras_losses.ops
        mean = self.ops.mean

        class Ops:
            def __getattr__(self, name):
                return getattr(keras.ops, name)

            @staticmethod
            def mean(x, axis=None, keepdims=False):
                x = keras.ops.convert_to_tensor(x)
                if x.dtype == jax.numpy.float64:
                    return jax.numpy.mean(x, axis=axis, keepdims=keepdims)
                return mean(x, axis=axis, keepdims=keepdims)

        keras_losses.ops = Ops()

    def __exit__(self, *exc):
        keras_losses.ops = self.ops


OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "losses_keras.json")


def tensor(a):
    a = np.asarray(a)
    return {"shape": list(a.shape), "data": [float(x) for x in a.reshape(-1)]}


def binary_focal_cases():
    """``keras.losses.BinaryFocalCrossentropy`` over its options, on
    probabilities (a few beyond Keras' clip at 1e-7 and 1 - 1e-7) and logits
    (up to +-20, where sigma saturates), hard and soft targets."""
    cases = []
    rng = np.random.default_rng(20261207)
    options = [
        dict(gamma=2.0, alpha=None, from_logits=False, label_smoothing=0.0),
        dict(gamma=0.0, alpha=None, from_logits=False, label_smoothing=0.0),
        dict(gamma=1.5, alpha=0.25, from_logits=False, label_smoothing=0.0),
        dict(gamma=2.0, alpha=0.6, from_logits=False, label_smoothing=0.1),
        dict(gamma=3.0, alpha=None, from_logits=False, label_smoothing=0.2),
        dict(gamma=2.0, alpha=None, from_logits=True, label_smoothing=0.0),
        dict(gamma=0.0, alpha=0.25, from_logits=True, label_smoothing=0.0),
        dict(gamma=1.5, alpha=0.4, from_logits=True, label_smoothing=0.1),
        dict(gamma=1.0, alpha=None, from_logits=True, label_smoothing=0.3),
    ]
    for k, opt in enumerate(options):
        for targets in ("hard", "soft"):
            shape = (4, 5)
            if opt["from_logits"]:
                pred = rng.uniform(-6.0, 6.0, shape)
                pred[2, 2] = 0.0
            else:
                pred = rng.uniform(0.02, 0.98, shape)
                pred[0, 0], pred[1, 1], pred[2, 2] = 1e-9, 1.0 - 1e-9, 0.5
            if targets == "hard":
                true = (rng.uniform(size=shape) < 0.5).astype(np.float64)
            else:
                true = rng.uniform(size=shape)
            for dtype in ("f64", "f32"):
                np_dtype = np.float64 if dtype == "f64" else np.float32
                if opt["from_logits"]:
                    # Large logits. In f32, +-20 saturates sigma to 1 or 0
                    # (where ndloss' 1 - p is sigma(-x), Keras' 1 - sigma(x) is
                    # 0; the difference is below the f32 tolerance), except for
                    # gamma < 1, where JAX's gradient of 0**gamma is NaN
                    # (0 * inf, an artifact, not Keras' semantics): +-15. In
                    # f64, +-12: beyond it Keras' rounded 1 - sigma(x) is off by
                    # more than 1e-10 relative from the exact sigma(-x).
                    big = 12.0 if dtype == "f64" else 20.0 if opt["gamma"] >= 1.0 else 15.0
                    # Two easy elements and a confidently wrong one, all with
                    # hard targets: with a soft target (or a wrong one inside
                    # the clip) Keras' ln(1 - sigma(x)) in f32 cancels (1 -
                    # sigma(15) rounds 3.06e-7 to 2.98e-7), where ndloss takes
                    # ln sigma(-x). The wrong one at 20 in f32 is clipped in both.
                    wrong = 12.0 if dtype == "f64" else 20.0
                    pred[0, 0], pred[1, 1], pred[3, 3] = big, -big, wrong
                    true[0, 0], true[1, 1], true[3, 3] = 1.0, 0.0, 0.0
                args = dict(
                    apply_class_balancing=opt["alpha"] is not None,
                    alpha=0.25 if opt["alpha"] is None else opt["alpha"],
                    gamma=opt["gamma"],
                    from_logits=opt["from_logits"],
                    label_smoothing=opt["label_smoothing"],
                )
                yp = jax.numpy.asarray(pred.astype(np_dtype))
                yt = jax.numpy.asarray(true.astype(np_dtype))
                value, grad = value_and_grad(
                    keras.losses.BinaryFocalCrossentropy,
                    keras.losses.binary_focal_crossentropy, args, yt, yp, dtype)
                assert np.asarray(value).dtype == np_dtype
                assert np.all(np.isfinite(np.asarray(grad))), opt
                name = (
                    f"binary_focal_{k}_g{opt['gamma']}_a{opt['alpha']}"
                    f"_{'logits' if opt['from_logits'] else 'probs'}"
                    f"_s{opt['label_smoothing']}_{targets}_4x5_{dtype}_mean"
                )
                # Two catalogue entries: the probability one checks its
                # domain, the logit one has none.
                loss = "binary_focal_logits" if opt["from_logits"] else "binary_focal"
                options = {
                    "gamma": opt["gamma"],
                    "alpha": -1.0 if opt["alpha"] is None else opt["alpha"],
                    "from_logits": opt["from_logits"],
                    "label_smoothing": opt["label_smoothing"],
                }
                cases.append(keras_case(name, loss, dtype, options,
                                        {"y_pred": yp, "y_true": yt}, value, "y_pred", grad))
    return cases


def value_and_grad(loss_class, loss_fn, args, yt, yp, dtype):
    """The loss' mean over all elements and its gradient in ``y_pred``: in
    f32 Keras' loss object end to end (its ``'sum_over_batch_size'``
    reduction), in f64 Keras' loss function (per-sample means over the last
    axis) and then the mean over samples, with ``f64_means``."""
    if dtype == "f32":
        loss = loss_class(**args, dtype="float32")
        return jax.value_and_grad(lambda p: loss(yt, p))(yp)

    def f(p):
        return jax.numpy.mean(loss_fn(yt, p, **args))

    with f64_means():
        return jax.value_and_grad(f)(yp)


def keras_case(name, loss, dtype, options, inputs, value, grad_key, grad):
    return {
        "name": name,
        "loss": loss,
        "dtype": dtype,
        "reduction": "mean",
        "options": options,
        "inputs": {k: tensor(np.asarray(v)) for k, v in inputs.items()},
        "value": tensor(np.asarray(value)),
        "grads": {grad_key: tensor(np.asarray(grad))},
    }


def keras_poisson_cases():
    """``keras.losses.Poisson``, which is ndloss' ``PoissonNll`` with
    ``log_input(false)`` and ``eps(1e-7)`` (the catalogue's ``poisson_nll``
    entry replays these with those options): rates from near 0 to 10, counts
    with zeros."""
    cases = []
    rng = np.random.default_rng(20261208)
    for k, shape in enumerate([(4, 5), (3, 7), (6,), (2, 3, 4)]):
        rate = rng.uniform(0.0, 10.0, shape)
        rate.reshape(-1)[0] = 1e-9  # below Keras' epsilon
        counts = rng.poisson(3.0, shape).astype(np.float64)
        counts.reshape(-1)[1] = 0.0
        for dtype in ("f64", "f32"):
            np_dtype = np.float64 if dtype == "f64" else np.float32
            yp = jax.numpy.asarray(rate.astype(np_dtype))
            yt = jax.numpy.asarray(counts.astype(np_dtype))
            value, grad = value_and_grad(
                keras.losses.Poisson, keras.losses.poisson, {}, yt, yp, dtype)
            assert np.all(np.isfinite(np.asarray(grad)))
            dims = "x".join(map(str, shape))
            cases.append(keras_case(
                f"keras_poisson_{k}_{dims}_{dtype}_mean", "poisson_nll", dtype,
                {"log_input": False, "full": False, "eps": float(keras.config.epsilon())},
                {"input": yp, "target": yt}, value, "input", grad))
    return cases


def dims_of(shape):
    return "x".join(map(str, shape))


def categorical_hinge_lane(rng, c, soft, negative):
    """One lane of ``categorical_hinge``: the target (one-hot or soft) and
    the prediction, resampled until the loss has no kink there: the maximum
    of ``(1 - y_true) * y_pred`` is unique by at least 1e-3 (``jax.grad`` of
    a tied max splits the cotangent between the tied entries, where ndloss
    takes one), and ``v = neg - pos + 1`` is at least 1e-3 away from the
    hinge, on the side asked for (``negative``: v < 0, loss and gradient 0)."""
    while True:
        pred = rng.uniform(-3.0, 3.0, c)
        if soft:
            true = rng.uniform(0.0, 1.0, c)
        else:
            true = np.zeros(c)
            true[rng.integers(c)] = 1.0
        m = np.sort((1.0 - true) * pred)
        if m[-1] - m[-2] < 1e-3:
            continue
        v = m[-1] - np.sum(true * pred) + 1.0
        if abs(v) < 1e-3 or (v < 0.0) != negative:
            continue
        return true, pred


def categorical_hinge_cases():
    """``keras.losses.CategoricalHinge``: ``max(neg - pos + 1, 0)`` per lane
    of the last axis, ``neg`` the max of ``(1 - y_true) * y_pred``, ``pos``
    the sum of ``y_true * y_pred``; one-hot and soft (unnormalised) targets,
    a few lanes past the hinge (loss 0) in most cases, a single lane."""
    cases = []
    rng = np.random.default_rng(20261209)
    # (shape, targets, lanes forced to v < 0); the other lanes have v > 0.
    configs = [
        ((4, 5), "onehot", {0}),
        ((4, 5), "soft", {1}),
        ((3, 7), "onehot", {2}),
        ((3, 7), "soft", {0}),
        ((2, 3, 4), "onehot", {0, 4}),
        ((2, 3, 4), "soft", {3}),
        ((6,), "onehot", set()),
        ((6,), "soft", set()),
        ((6,), "onehot", {0}),
    ]
    for k, (shape, targets, negative) in enumerate(configs):
        c = shape[-1]
        lanes = int(np.prod(shape[:-1]))
        true = np.empty((lanes, c))
        pred = np.empty((lanes, c))
        for i in range(lanes):
            true[i], pred[i] = categorical_hinge_lane(rng, c, targets == "soft", i in negative)
        true, pred = true.reshape(shape), pred.reshape(shape)
        for dtype in ("f64", "f32"):
            np_dtype = np.float64 if dtype == "f64" else np.float32
            yp = jax.numpy.asarray(pred.astype(np_dtype))
            yt = jax.numpy.asarray(true.astype(np_dtype))
            value, grad = value_and_grad(
                keras.losses.CategoricalHinge, keras.losses.categorical_hinge,
                {}, yt, yp, dtype)
            assert np.asarray(value).dtype == np_dtype
            assert np.isfinite(np.asarray(value)) and np.all(np.isfinite(np.asarray(grad)))
            cases.append(keras_case(
                f"categorical_hinge_{k}_{targets}_{dims_of(shape)}_{dtype}_mean",
                "categorical_hinge", dtype, {}, {"input": yp, "target": yt},
                value, "input", grad))
    return cases


def cosine_similarity_cases():
    """``keras.losses.CosineSimilarity(axis=-1)``: ``-sum(l2n(y_true) *
    l2n(y_pred))`` per lane, where Keras' ``l2n(x) = x * min(rsqrt(sum x^2),
    1/epsilon)``; plain lanes, and lanes with a zero or a tiny norm (below
    epsilon = 1e-7, where the inverse norm is clamped at 1e7) in the
    prediction or the target."""
    cases = []
    rng = np.random.default_rng(20261210)
    eps = float(keras.config.epsilon())
    # Special lanes (lane index -> kind) of the second case of each shape.
    specials = {
        (4, 5): {0: "pred_zero", 2: "target_tiny"},
        (3, 7): {1: "target_zero", 2: "pred_tiny"},
        (2, 3, 4): {0: "pred_zero", 1: "target_zero", 3: "pred_tiny", 4: "target_tiny"},
        (5,): {0: "pred_tiny"},
    }
    k = 0
    for shape, special in specials.items():
        for variant in ("plain", "special"):
            c = shape[-1]
            pred = rng.normal(0.0, 1.0, shape).reshape(-1, c)
            true = rng.normal(0.0, 1.0, shape).reshape(-1, c)
            zero_lanes = []
            if variant == "special":
                for i, kind in special.items():
                    if kind == "pred_zero":
                        pred[i] = 0.0
                        zero_lanes.append(i)
                    elif kind == "target_zero":
                        true[i] = 0.0
                    elif kind == "pred_tiny":
                        pred[i] *= 1e-9 / np.linalg.norm(pred[i])
                    else:
                        true[i] *= 3e-8 / np.linalg.norm(true[i])
            # No norm near epsilon, where the clamp has its kink.
            for x in (pred, true):
                n = np.linalg.norm(x, axis=-1)
                assert np.all((n == 0.0) | (n < 0.5 * eps) | (n > 2.0 * eps))
            pred, true = pred.reshape(shape), true.reshape(shape)
            for dtype in ("f64", "f32"):
                np_dtype = np.float64 if dtype == "f64" else np.float32
                yp = jax.numpy.asarray(pred.astype(np_dtype))
                yt = jax.numpy.asarray(true.astype(np_dtype))
                value, grad = value_and_grad(
                    keras.losses.CosineSimilarity, keras.losses.cosine_similarity,
                    {"axis": -1}, yt, yp, dtype)
                if zero_lanes:
                    # On a zero prediction lane jax.grad is NaN: the clamp
                    # selects 1/epsilon, but the cotangent 0 of the unselected
                    # rsqrt branch meets rsqrt's derivative at 0, -inf (0 *
                    # inf), an autodiff artifact. Below epsilon the lane's
                    # loss is exactly linear, -sum(l2n(y_true) * x) / epsilon,
                    # so its gradient is the same at every x there: take
                    # Keras' gradient with the zero lane replaced by one of
                    # norm 1e-12 (the lanes are independent; the value keeps
                    # the true zeros).
                    flat = np.asarray(grad).reshape(-1, c)
                    assert np.all(np.isnan(flat[zero_lanes]))
                    subst = pred.reshape(-1, c).copy()
                    for i in zero_lanes:
                        subst[i] = 1e-12 / np.sqrt(c)
                    _, grad_subst = value_and_grad(
                        keras.losses.CosineSimilarity, keras.losses.cosine_similarity,
                        {"axis": -1}, yt,
                        jax.numpy.asarray(subst.reshape(shape).astype(np_dtype)), dtype)
                    others = np.ones(flat.shape[0], bool)
                    others[zero_lanes] = False
                    assert np.array_equal(
                        np.asarray(grad_subst).reshape(-1, c)[others], flat[others])
                    grad = grad_subst
                assert np.asarray(value).dtype == np_dtype
                assert np.isfinite(np.asarray(value)) and np.all(np.isfinite(np.asarray(grad)))
                cases.append(keras_case(
                    f"cosine_similarity_{k}_{variant}_{dims_of(shape)}_{dtype}_mean",
                    "cosine_similarity", dtype, {"eps": eps}, {"input": yp, "target": yt},
                    value, "input", grad))
            k += 1
    return cases


def focal_clear_of_clip(weights):
    """Whether every normalised probability ``p = w / sum(w)`` of the lanes
    (``weights``: the positive predictions, or the shifted exponentials of
    the logits) is clear of Keras' clip bounds epsilon and 1 - epsilon,
    where its gradient jumps (and ``jax.grad`` of the clip at a bound is
    1/2): 1e-3 relative in float64, p and ``1 - p`` (the other entries'
    share, without cancellation) both. In float32, p near 1 is a multiple
    of 2^-24 (6e-8), and Keras' upper bound rounds to 1 - 2^-23 (1 -
    1.19e-7): an entry with 1 - p within a few such steps of it may land on
    either side (or on the bound) depending on the rounding of the softmax
    and normalisation, so 1 - p in [3e-8, 3e-7] is avoided too."""
    eps = 1e-7
    total = weights.sum(-1, keepdims=True)
    out = weights / total
    rest = np.stack([np.delete(weights, i, -1).sum(-1) for i in range(weights.shape[-1])],
                    -1) / total
    return not (np.any(np.abs(out - eps) < 1e-3 * eps)
                or np.any(np.abs(rest - eps) < 1e-3 * eps)
                or np.any((rest > 3e-8) & (rest < 3e-7)))


def categorical_focal_cases():
    """``keras.losses.CategoricalFocalCrossentropy`` over its options,
    ``sum(-alpha * (1 - p)^gamma * y * ln p)`` per lane with ``p`` the
    prediction divided by its lane's sum (or the softmax of logits) and
    clipped to [1e-7, 1 - 1e-7]: unnormalised probabilities with entries
    beyond the clip, logits up to +-20; one-hot and Dirichlet targets; scalar
    and per-class alpha, label smoothing."""
    cases = []
    rng = np.random.default_rng(20261211)
    # (gamma, alpha, label_smoothing, [(shape, targets), ...]); a list alpha
    # has one weight per class (the last axis).
    grid = [
        (2.0, 0.25, 0.0, [((4, 5), "onehot"), ((2, 3, 4), "soft")]),
        (0.0, 1.0, 0.0, [((4, 5), "soft"), ((3, 6), "onehot")]),
        (1.0, 0.6, 0.1, [((3, 6), "onehot"), ((2, 3, 4), "soft")]),
        (1.5, [0.1, 0.2, 0.3, 0.4, 0.5], 0.0, [((4, 5), "onehot"), ((4, 5), "soft")]),
        (3.0, 0.25, 0.3, [((3, 6), "soft"), ((4, 5), "onehot")]),
        (0.5, 0.25, 0.1, [((4, 5), "onehot"), ((2, 3, 4), "soft")]),
        (2.0, [0.15, 0.3, 0.05, 0.5, 0.25, 0.75], 0.3, [((3, 6), "onehot"), ((3, 6), "soft")]),
    ]
    for from_logits in (False, True):
        loss = "categorical_focal_logits" if from_logits else "categorical_focal"
        for k, (gamma, alpha, smoothing, layouts) in enumerate(grid):
            if from_logits:
                # Another option mix for the logit entry: the same grid with
                # the gammas rotated, so each entry sees every gamma with a
                # different alpha and smoothing.
                gamma = grid[(k + 3) % len(grid)][0]
            for j, (shape, targets) in enumerate(layouts):
                c = shape[-1]
                assert not isinstance(alpha, list) or len(alpha) == c
                lanes = int(np.prod(shape[:-1]))
                if targets == "onehot":
                    true = np.eye(c)[rng.integers(c, size=lanes)]
                else:
                    true = rng.dirichlet(np.ones(c), size=lanes)
                while True:
                    if from_logits:
                        pred = rng.uniform(-6.0, 6.0, (lanes, c))
                        # Lane 0: a +20 logit (p beyond 1 - 1e-7, the others
                        # from e^-26 to e^-14 relative, some below 1e-7);
                        # lane 1: a -20 one (below 1e-7).
                        pred[0, rng.integers(c)] = 20.0
                        pred[1, rng.integers(c)] = -20.0
                        weights = np.exp(pred - pred.max(-1, keepdims=True))
                    else:
                        pred = rng.uniform(0.05, 2.0, (lanes, c))
                        # Lane 0: one entry 1e-12 (below the clip after the
                        # normalisation), on the true class of a one-hot
                        # target in the first layout of each configuration;
                        # lane 1 (first layouts): one entry dominating, 50
                        # against 1e-9, so that every entry of the lane is
                        # clipped (p > 1 - 1e-7 for it, < 1e-7 for the rest)
                        # and the lane's gradient is 0.
                        tiny = int(np.argmax(true[0])) if j == 0 else rng.integers(c)
                        pred[0, tiny] = 1e-12
                        if j == 0:
                            pred[1] = 1e-9
                            pred[1, rng.integers(c)] = 50.0
                        weights = pred
                    if focal_clear_of_clip(weights):
                        break
                true, pred = true.reshape(shape), pred.reshape(shape)
                args = dict(alpha=alpha, gamma=gamma, from_logits=from_logits,
                            label_smoothing=smoothing)
                for dtype in ("f64", "f32"):
                    np_dtype = np.float64 if dtype == "f64" else np.float32
                    yp = jax.numpy.asarray(pred.astype(np_dtype))
                    yt = jax.numpy.asarray(true.astype(np_dtype))
                    run_args = dict(args)
                    if isinstance(alpha, list):
                        # With x64 enabled Keras turns a list alpha into a
                        # float64 array, which promotes a float32 loss to
                        # float64 from its multiply on (the loss object casts
                        # the per-sample values back); with x64 off, Keras'
                        # usual setup, it is float32. An array of the case's
                        # dtype keeps the f32 cases float32 throughout.
                        run_args["alpha"] = np.asarray(alpha, np_dtype)
                    assert keras.losses.categorical_focal_crossentropy(
                        yt, yp, **run_args).dtype == np_dtype
                    value, grad = value_and_grad(
                        keras.losses.CategoricalFocalCrossentropy,
                        keras.losses.categorical_focal_crossentropy, run_args, yt, yp, dtype)
                    assert np.asarray(value).dtype == np_dtype
                    # gamma < 1: (1 - p)^gamma has an infinite derivative at
                    # p = 1, kept away by the clip (1 - p >= 1e-7).
                    assert np.isfinite(np.asarray(value)), (loss, k, j)
                    assert np.all(np.isfinite(np.asarray(grad))), (loss, k, j)
                    a = "list" if isinstance(alpha, list) else alpha
                    cases.append(keras_case(
                        f"{loss}_{k}_g{gamma}_a{a}_s{smoothing}_{targets}"
                        f"_{dims_of(shape)}_{dtype}_mean",
                        loss, dtype,
                        {"gamma": gamma,
                         "alpha": [float(x) for x in alpha] if isinstance(alpha, list) else alpha,
                         "label_smoothing": smoothing, "from_logits": from_logits},
                        {"input": yp, "target": yt}, value, "input", grad))
    return cases


def generalized_ce_cases():
    """``keras.losses.CategoricalGeneralizedCrossEntropy(q)``: ``(1 - p_y^q)
    / q`` per lane of the last axis, ``p_y`` the probability of the lane's
    class label; softmax probabilities, integer labels (written as floats),
    q over (0, 1)."""
    cases = []
    rng = np.random.default_rng(20261212)
    configs = [
        (0.5, (4, 5)), (0.5, (2, 3, 4)),
        (0.1, (3, 7)), (0.3, (4, 5)),
        (0.7, (2, 3, 4)), (0.9, (3, 7)),
        (0.9, (4, 5)),
    ]
    for k, (q, shape) in enumerate(configs):
        c = shape[-1]
        logits = rng.normal(0.0, 1.5, shape)
        e = np.exp(logits - logits.max(-1, keepdims=True))
        pred = e / e.sum(-1, keepdims=True)
        labels = rng.integers(c, size=shape[:-1])
        for dtype in ("f64", "f32"):
            np_dtype = np.float64 if dtype == "f64" else np.float32
            yp = jax.numpy.asarray(pred.astype(np_dtype))
            # The labels as floats of the case's dtype, as they are stored
            # (Keras casts y_true to int32 before its one_hot; the loss object
            # first converts it to its float32 dtype); the same values as
            # with integer labels.
            yt = jax.numpy.asarray(labels.astype(np_dtype))
            value, grad = value_and_grad(
                keras.losses.CategoricalGeneralizedCrossEntropy,
                keras.losses.categorical_generalized_cross_entropy, {"q": q}, yt, yp, dtype)
            value_int, grad_int = value_and_grad(
                keras.losses.CategoricalGeneralizedCrossEntropy,
                keras.losses.categorical_generalized_cross_entropy, {"q": q},
                jax.numpy.asarray(labels), yp, dtype)
            assert np.array_equal(np.asarray(value), np.asarray(value_int))
            assert np.array_equal(np.asarray(grad), np.asarray(grad_int))
            assert np.asarray(value).dtype == np_dtype
            assert np.isfinite(np.asarray(value)) and np.all(np.isfinite(np.asarray(grad)))
            case = keras_case(
                f"generalized_ce_{k}_q{q}_{dims_of(shape)}_{dtype}_mean",
                "generalized_ce", dtype, {"q": q}, {"input": yp, "target": yt},
                value, "input", grad)
            # Class indices as JSON integers (the Rust side reads them as usize).
            case["inputs"]["target"]["data"] = [int(c) for c in labels.reshape(-1)]
            cases.append(case)
    return cases


def overlap_cases():
    """``keras.losses.Dice()`` and ``keras.losses.Tversky(alpha, beta)``
    with their default ``axis=None``: every element of the call summed, one
    scalar loss for the whole tensor (the loss object's
    ``'sum_over_batch_size'`` of a 0-d loss is that scalar, as is the
    ``jnp.mean`` of the f64 path). With ``I = sum(y_true * y_pred)``,
    ``T = sum(y_true)``, ``P = sum(y_pred)``:

        dice    = 1 - 2 I / (T + P + 1e-7)
        tversky = 1 - I / (I + alpha sum((1 - y_pred) y_true)
                             + beta sum(y_pred (1 - y_true)) + 1e-7)

    Keras' ``tversky`` names ``inputs = y_true`` and ``targets = y_pred``,
    so its ``fp = sum((1 - targets) * inputs)`` is in fact the false
    negatives (true mass the prediction misses) and its ``fn`` the false
    positives: alpha weighs the false negatives and beta the false
    positives, the opposite of its docstring and of optax's ``dice_loss``
    (where alpha weighs ``P - I``). Neither has smoothing in the numerator:
    with ``y_true`` all zeros both are exactly ``1 - 0 = 1``, with gradient
    0. Probabilities in [0, 1] (some exactly 0 and 1), targets in {0, 1}
    or soft (uniform in [0, 1]); no mean is involved, so ``f64_means``
    changes nothing here."""
    cases = []
    rng = np.random.default_rng(20261215)
    eps = float(keras.config.epsilon())
    # (loss, options, shape, targets); "zeros": y_true all 0.
    configs = [
        ("keras_dice", {}, (4, 5), "hard"),
        ("keras_dice", {}, (2, 3, 4), "soft"),
        ("keras_dice", {}, (8,), "hard"),
        ("keras_dice", {}, (2, 4, 4, 2), "hard"),
        ("keras_dice", {}, (4, 5), "zeros"),
        ("keras_dice", {}, (2, 3, 4), "hard"),
        ("keras_dice", {}, (8,), "soft"),
        ("keras_tversky", {"alpha": 0.5, "beta": 0.5}, (4, 5), "hard"),
        ("keras_tversky", {"alpha": 0.3, "beta": 0.7}, (2, 3, 4), "hard"),
        ("keras_tversky", {"alpha": 0.7, "beta": 0.3}, (8,), "soft"),
        ("keras_tversky", {"alpha": 0.9, "beta": 0.1}, (2, 4, 4, 2), "hard"),
        ("keras_tversky", {"alpha": 0.3, "beta": 0.7}, (4, 5), "zeros"),
        ("keras_tversky", {"alpha": 0.9, "beta": 0.1}, (2, 3, 4), "soft"),
        ("keras_tversky", {"alpha": 0.7, "beta": 0.3}, (2, 4, 4, 2), "hard"),
    ]
    for k, (loss, args, shape, targets) in enumerate(configs):
        pred = rng.uniform(0.0, 1.0, shape)
        flat = pred.reshape(-1)
        flat[0], flat[1] = 0.0, 1.0
        if targets == "hard":
            true = (rng.uniform(size=shape) < 0.5).astype(np.float64)
        elif targets == "soft":
            true = rng.uniform(0.0, 1.0, shape)
        else:
            true = np.zeros(shape)
        # Independent float64 check of the formulas above.
        i, t, p = np.sum(true * pred), np.sum(true), np.sum(pred)
        if loss == "keras_dice":
            expected = 1.0 - 2.0 * i / (t + p + eps)
        else:
            expected = 1.0 - i / (i + args["alpha"] * np.sum((1.0 - pred) * true)
                                  + args["beta"] * np.sum(pred * (1.0 - true)) + eps)
        loss_class, loss_fn = (
            (keras.losses.Dice, keras.losses.dice) if loss == "keras_dice"
            else (keras.losses.Tversky, keras.losses.tversky))
        for dtype in ("f64", "f32"):
            np_dtype = np.float64 if dtype == "f64" else np.float32
            yp = jax.numpy.asarray(pred.astype(np_dtype))
            yt = jax.numpy.asarray(true.astype(np_dtype))
            assert loss_fn(yt, yp, **args).shape == ()
            value, grad = value_and_grad(loss_class, loss_fn, args, yt, yp, dtype)
            assert np.asarray(value).dtype == np_dtype
            assert np.isfinite(np.asarray(value)) and np.all(np.isfinite(np.asarray(grad)))
            tol = 1e-13 if dtype == "f64" else 1e-6
            assert abs(float(value) - expected) <= tol, (k, dtype, float(value), expected)
            if targets == "zeros":
                assert float(value) == 1.0 and not np.any(np.asarray(grad)), (k, dtype)
            opt = "".join(f"_{n[0]}{v}" for n, v in args.items())
            cases.append(keras_case(
                f"{loss}_{k}{opt}_{targets}_{dims_of(shape)}_{dtype}_mean",
                loss, dtype, dict(args), {"input": yp, "target": yt},
                value, "input", grad))
    return cases


def main():
    out = {
        "keras_version": keras.__version__,
        "jax_version": jax.__version__,
        "keras_backend": keras.backend.backend(),
        "generator": "scripts/gen_reference_keras.py",
        "cases": binary_focal_cases() + keras_poisson_cases()
        + categorical_hinge_cases() + cosine_similarity_cases()
        + categorical_focal_cases() + generalized_ce_cases()
        + overlap_cases(),
    }
    with open(OUT, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"{len(out['cases'])} cases -> {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
