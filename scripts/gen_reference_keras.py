"""Offline generator of the Keras 3 reference values in ``tests/data/losses_keras.json``.

Runs Keras itself, on its JAX backend with 64-bit floats enabled, for the
losses whose anchor is Keras (PyTorch has no counterpart). The gradients are
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
it only. Users and CI never run this script: its output is committed.
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


def main():
    out = {
        "keras_version": keras.__version__,
        "jax_version": jax.__version__,
        "keras_backend": keras.backend.backend(),
        "generator": "scripts/gen_reference_keras.py",
        "cases": binary_focal_cases() + keras_poisson_cases(),
    }
    with open(OUT, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"{len(out['cases'])} cases -> {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
