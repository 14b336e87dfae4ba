"""Golden values of Keras losses and metrics, written by real Keras 3.15 on TensorFlow (run by hand, see README).

For every loss class and option layerspec computes (src/train/loss/), this evaluates the Keras loss on small
float32 (and some float64) tensors and records the value and its gradient with respect to `y_pred`
(tf.GradientTape on a tf.Variable): probabilities and logits, clipping edge cases (p = 0, p = 1),
label smoothing, sparse labels of shape (N,) and (N, 1), per-pixel losses on rank-3 and rank-4
predictions, `axis`, `ignore_class`, sample weights and every reduction. For metrics (src/train/metric/)
it records the value after one or two `update_state` calls, and the name Keras gives the metric.

Predictions are plain tensors (tf.Variable), never softmax/sigmoid outputs, so Keras's TensorFlow backend
does not take its "logits shortcut" (reference §3.2) and the probability path is what is measured.

Each case stores its inputs explicitly (float32 values with 9 significant digits, exact), the loss or metric
as the TypeScript side decodes it (the JSON Keras's own `serialize` writes, with the constructor arguments
Keras 3.15 leaves out of `get_config` -- Huber `delta`, CosineSimilarity `axis` -- added back), and Keras's
results. Sample weights are per sample and are given to Keras broadcast to the per-element loss's shape
(Keras 3 refuses (N,) weights against (N, H, W) losses). Where Keras's TensorFlow backend computes a
different formula from Keras 3's JAX / torch backends (sparse crossentropy from probabilities when a
probability is clipped: TF clips, then renormalizes), the case also stores `jax_equivalent`: the JAX formula
(normalize, clip, one-hot), computed with Keras's categorical crossentropy on one-hot labels.

Also records a few `compile_config`s written by `model.get_compile_config()` and `keras.*.serialize` outputs
(class objects and plain functions), which the tests decode.

Usage (from the repository root):
  TF_ENABLE_ONEDNN_OPTS=0 /path/to/venv/bin/python scripts/golden/losses.py [--out spec/fixtures/keras3/train/losses.json]
"""
import argparse
import json
import os
import sys
import warnings

os.environ.setdefault('KERAS_BACKEND', 'tensorflow')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')
warnings.filterwarnings('ignore')

import numpy as np  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras.src.trainers.compile_utils import get_loss, get_metric  # noqa: E402

FORMAT_VERSION = 1
LS = keras.losses
MS = keras.metrics


# -------------------------------------------------------------------------------------
# writing
# -------------------------------------------------------------------------------------

def values_json(a):
    """Every value of an array: float32 with 9 significant digits (exact); float64 as the shortest repr (exact)."""
    a = np.asarray(a)
    if a.dtype == np.float32:
        return [float('%.9g' % v) for v in a.reshape(-1)]
    return [float(v) for v in a.astype(np.float64).reshape(-1)]


def scalar_json(v, dtype):
    v = float(np.asarray(v))
    return float('%.9g' % v) if dtype == 'float32' else v


# -------------------------------------------------------------------------------------
# data
# -------------------------------------------------------------------------------------

RNG = np.random.default_rng(20261206)


def uniform(shape, low, high, dtype='float32'):
    return RNG.uniform(low, high, size=shape).astype(dtype)


def one_hot(labels, classes, dtype='float32'):
    labels = np.asarray(labels)
    return np.eye(classes, dtype=dtype)[labels]


def class_labels(shape, classes):
    return RNG.integers(0, classes, size=shape)


def soft_labels(shape, dtype='float32'):
    """Rows that sum to 1 over the last axis."""
    a = RNG.uniform(0.05, 1.0, size=shape)
    return (a / a.sum(axis=-1, keepdims=True)).astype(dtype)


# -------------------------------------------------------------------------------------
# losses
# -------------------------------------------------------------------------------------

LOSS_CASES = []


def loss_case(case_id, make, y, p, sw=None, dtype='float32', extra=None, jax_equivalent=False, note=None):
    """Evaluates the loss `make()` (a Keras Loss or an identifier string) on labels `y` and predictions `p`.

    `extra`: constructor arguments Keras 3.15 leaves out of get_config, added to the serialized config.
    `sw`: one weight per sample (broadcast to the per-element loss's shape for Keras).
    """
    prev = keras.config.floatx()
    keras.config.set_floatx(dtype)
    try:
        y = np.asarray(y, dtype=dtype)
        p = np.asarray(p, dtype=dtype)
        obj = make()
        yt = tf.constant(y)
        yp = tf.Variable(p)
        if isinstance(obj, str):
            ident = obj
            fn = get_loss(obj, yt, yp)
        else:
            ident = LS.serialize(obj)
            if extra:
                ident['config'].update(extra)
            fn = obj
        per = fn.call(yt, yp)
        swb = None
        if sw is not None:
            sw = np.asarray(sw, dtype=dtype)
            swb = np.broadcast_to(sw.reshape((len(sw),) + (1,) * (len(per.shape) - 1)), tuple(per.shape)).astype(dtype)
        with tf.GradientTape() as tape:
            v = fn(yt, yp, sample_weight=swb)
        g = tape.gradient(v, yp)
        if g is None:
            g = tf.zeros_like(yp)
        if not isinstance(obj, str):
            # The serialized form (with `extra`) must give Keras the same loss back.
            again = LS.deserialize(ident)
            v2 = again(yt, tf.constant(p), sample_weight=swb)
            assert np.allclose(np.asarray(v2), np.asarray(v), rtol=1e-6, atol=0), (case_id, float(v2), float(v))
        case = {
            'id': case_id,
            'loss': ident,
            'dtype': dtype,
            'batch': int(p.shape[0]),
            'outputShape': list(p.shape[1:]),
            'labelShape': list(y.shape[1:]),
            'yTrue': values_json(y),
            'yPred': values_json(p),
            'sampleWeight': None if sw is None else values_json(sw),
            'lossShape': list(per.shape[1:]),
            'value': scalar_json(v, dtype),
            'grad': values_json(np.asarray(g)),
        }
        if jax_equivalent:
            # Keras 3 on JAX / torch: normalize, clip, then one-hot: categorical crossentropy of one-hot labels.
            classes = p.shape[-1]
            labels = y.reshape(y.shape[:len(p.shape) - 1]).astype(np.int64)
            cce = LS.CategoricalCrossentropy(reduction=fn.reduction)
            oh = tf.constant(one_hot(labels, classes, dtype))
            yp2 = tf.Variable(p)
            with tf.GradientTape() as tape:
                vj = cce(oh, yp2, sample_weight=swb)
            gj = tape.gradient(vj, yp2)
            case['jax_equivalent'] = {'value': scalar_json(vj, dtype), 'grad': values_json(np.asarray(gj))}
        if note:
            case['note'] = note
        LOSS_CASES.append(case)
    finally:
        keras.config.set_floatx(prev)


def build_loss_cases():
    N, C = 4, 5
    y_cls = class_labels((N,), C)
    y_oh = one_hot(y_cls, C)
    p_unnorm = uniform((N, C), 0.05, 1.0)
    logits = uniform((N, C), -3.0, 3.0)
    sw = uniform((N,), 0.2, 2.0)

    # --- CategoricalCrossentropy -------------------------------------------------------
    for red in ['sum_over_batch_size', 'sum', 'mean_with_sample_weight']:
        loss_case(f'cce-probs-{red}', lambda red=red: LS.CategoricalCrossentropy(reduction=red), y_oh, p_unnorm)
        loss_case(f'cce-probs-{red}-weighted', lambda red=red: LS.CategoricalCrossentropy(reduction=red), y_oh, p_unnorm, sw=sw)
    loss_case('cce-probs-soft-labels', lambda: LS.CategoricalCrossentropy(), soft_labels((N, C)), p_unnorm)
    # p = 0 for the true class (cap 16.118095), p = 1 (clipped to 1 - eps), rows with zeros.
    edge_p = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.5, 0.5], [0.2, 0.0, 0.8]], dtype='float32')
    edge_y = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0.3, 0.3, 0.4]], dtype='float32')
    loss_case('cce-probs-clip-edges', lambda: LS.CategoricalCrossentropy(), edge_y, edge_p)
    loss_case('cce-probs-clip-edges-sum', lambda: LS.CategoricalCrossentropy(reduction='sum'), edge_y, edge_p)
    for ls in [0.1, 0.25]:
        loss_case(f'cce-probs-smoothing-{ls}', lambda ls=ls: LS.CategoricalCrossentropy(label_smoothing=ls), y_oh, p_unnorm)
        loss_case(f'cce-logits-smoothing-{ls}', lambda ls=ls: LS.CategoricalCrossentropy(from_logits=True, label_smoothing=ls), y_oh, logits)
    loss_case('cce-logits', lambda: LS.CategoricalCrossentropy(from_logits=True), y_oh, logits)
    loss_case('cce-logits-soft-weighted', lambda: LS.CategoricalCrossentropy(from_logits=True), soft_labels((N, C)), logits, sw=sw)
    # Per-position losses: (N, T, C) and (N, H, W, C).
    y3 = one_hot(class_labels((2, 3), 4), 4)
    loss_case('cce-probs-rank3', lambda: LS.CategoricalCrossentropy(), y3, uniform((2, 3, 4), 0.05, 1.0))
    loss_case('cce-logits-rank3-sum-weighted', lambda: LS.CategoricalCrossentropy(from_logits=True, reduction='sum'), y3, uniform((2, 3, 4), -2, 2), sw=[0.5, 2.0])
    y4 = one_hot(class_labels((2, 3, 2), 3), 3)
    loss_case('cce-probs-rank4', lambda: LS.CategoricalCrossentropy(), y4, uniform((2, 3, 2, 3), 0.05, 1.0))
    loss_case('cce-probs-rank4-mwsw', lambda: LS.CategoricalCrossentropy(reduction='mean_with_sample_weight'), y4, uniform((2, 3, 2, 3), 0.05, 1.0), sw=[0.25, 1.5])
    # Channels-first class axis.
    y_cf = np.transpose(one_hot(class_labels((2, 3), 4), 4), (0, 2, 1))
    loss_case('cce-probs-axis1', lambda: LS.CategoricalCrossentropy(axis=1), y_cf, uniform((2, 4, 3), 0.05, 1.0))
    loss_case('cce-logits-axis1', lambda: LS.CategoricalCrossentropy(axis=1, from_logits=True), y_cf, uniform((2, 4, 3), -2, 2))

    # --- SparseCategoricalCrossentropy -------------------------------------------------
    yf = y_cls.astype('float32')
    loss_case('scce-probs-labels-N', lambda: LS.SparseCategoricalCrossentropy(), yf, p_unnorm)
    loss_case('scce-probs-labels-N1', lambda: LS.SparseCategoricalCrossentropy(), yf.reshape(N, 1), p_unnorm)
    loss_case('scce-logits-labels-N', lambda: LS.SparseCategoricalCrossentropy(from_logits=True), yf, logits)
    loss_case('scce-logits-labels-N1-sum-weighted', lambda: LS.SparseCategoricalCrossentropy(from_logits=True, reduction='sum'), yf.reshape(N, 1), logits, sw=sw)
    loss_case('scce-probs-mwsw', lambda: LS.SparseCategoricalCrossentropy(reduction='mean_with_sample_weight'), yf, p_unnorm, sw=sw)
    sparse_edge_p = np.array([[0.0, 1.0, 0.0], [0.0, 0.5, 0.5], [1.0, 0.0, 0.0], [0.2, 0.3, 0.5]], dtype='float32')
    loss_case('scce-probs-clip-edges', lambda: LS.SparseCategoricalCrossentropy(), np.array([0, 1, 0, 2], dtype='float32'), sparse_edge_p, jax_equivalent=True,
              note='Keras\'s TensorFlow backend clips the probabilities, then renormalizes; Keras 3 on JAX / torch (and layerspec) renormalize, then clip. They differ where a probability is clipped.')
    ys3 = class_labels((2, 3, 2), 3).astype('float32')
    loss_case('scce-probs-rank4-per-pixel', lambda: LS.SparseCategoricalCrossentropy(), ys3, uniform((2, 3, 2, 3), 0.05, 1.0))
    loss_case('scce-logits-rank4-per-pixel-N1', lambda: LS.SparseCategoricalCrossentropy(from_logits=True), ys3.reshape(2, 3, 2, 1), uniform((2, 3, 2, 3), -2, 2))
    loss_case('scce-logits-rank3-weighted', lambda: LS.SparseCategoricalCrossentropy(from_logits=True), class_labels((2, 4), 3).astype('float32'), uniform((2, 4, 3), -2, 2), sw=[2.0, 0.5])
    ign = np.array([1, 4, 0, 4, 2, 3], dtype='float32')
    p6 = uniform((6, 4), 0.05, 1.0)
    for red in ['sum_over_batch_size', 'sum', 'mean_with_sample_weight']:
        loss_case(f'scce-ignore-class-{red}', lambda red=red: LS.SparseCategoricalCrossentropy(ignore_class=4, reduction=red), ign, p6)
        loss_case(f'scce-ignore-class-{red}-weighted', lambda red=red: LS.SparseCategoricalCrossentropy(ignore_class=4, reduction=red), ign, p6, sw=uniform((6,), 0.2, 2.0))
    loss_case('scce-ignore-class-logits-per-pixel', lambda: LS.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1),
              np.array([[[0, -1], [2, 1]], [[-1, -1], [1, 0]]], dtype='float32'), uniform((2, 2, 2, 3), -2, 2))
    loss_case('scce-ignore-class-all-ignored', lambda: LS.SparseCategoricalCrossentropy(ignore_class=7), np.array([7, 7], dtype='float32'), uniform((2, 3), 0.1, 1.0))

    # --- BinaryCrossentropy ------------------------------------------------------------
    yb = RNG.integers(0, 2, size=(N, 3)).astype('float32')
    pb = uniform((N, 3), 0.02, 0.98)
    for red in ['sum_over_batch_size', 'sum', 'mean_with_sample_weight']:
        loss_case(f'bce-probs-{red}', lambda red=red: LS.BinaryCrossentropy(reduction=red), yb, pb, sw=sw if red != 'sum_over_batch_size' else None)
    # The caps: y=1,p=0 -> 16.118095; y=0,p=1 -> 15.942385; and p exactly at 0/1 with the right label.
    loss_case('bce-probs-caps', lambda: LS.BinaryCrossentropy(), np.array([[1, 0, 1, 0]], dtype='float32'), np.array([[0.0, 1.0, 1.0, 0.0]], dtype='float32'))
    loss_case('bce-probs-caps-sum', lambda: LS.BinaryCrossentropy(reduction='sum'), np.array([[1], [0], [1], [0.5]], dtype='float32'), np.array([[0.0], [1.0], [0.9999999], [1e-9]], dtype='float32'))
    loss_case('bce-probs-smoothing', lambda: LS.BinaryCrossentropy(label_smoothing=0.2), yb, pb)
    loss_case('bce-logits', lambda: LS.BinaryCrossentropy(from_logits=True), yb, uniform((N, 3), -6, 6))
    loss_case('bce-logits-smoothing-weighted', lambda: LS.BinaryCrossentropy(from_logits=True, label_smoothing=0.1), yb, uniform((N, 3), -30, 30), sw=sw)
    loss_case('bce-labels-N-outputs-N1', lambda: LS.BinaryCrossentropy(), yb[:, 0], pb[:, :1])
    loss_case('bce-rank4-segmentation', lambda: LS.BinaryCrossentropy(), RNG.integers(0, 2, size=(2, 3, 2, 1)).astype('float32'), uniform((2, 3, 2, 1), 0.02, 0.98))
    loss_case('bce-rank4-segmentation-labels-NHW-sum', lambda: LS.BinaryCrossentropy(reduction='sum'), RNG.integers(0, 2, size=(2, 3, 2)).astype('float32'), uniform((2, 3, 2, 1), 0.02, 0.98),
              note='Keras squeezes the outputs to (N, H, W) and averages over W: the per-element loss has shape (N, H).')
    loss_case('bce-axis1', lambda: LS.BinaryCrossentropy(axis=1), RNG.integers(0, 2, size=(2, 3, 4)).astype('float32'), uniform((2, 3, 4), 0.02, 0.98))

    # --- regressions and the rest --------------------------------------------------------
    yr = uniform((N, 3), -2, 2)
    pr = uniform((N, 3), -2, 2)
    for red in ['sum_over_batch_size', 'sum', 'mean_with_sample_weight']:
        loss_case(f'mse-{red}-weighted', lambda red=red: LS.MeanSquaredError(reduction=red), yr, pr, sw=sw)
    loss_case('mse', lambda: LS.MeanSquaredError(), yr, pr)
    loss_case('mse-labels-N-outputs-N1', lambda: LS.MeanSquaredError(), yr[:, 0], pr[:, :1])
    loss_case('mse-rank4-labels-NHW-sum', lambda: LS.MeanSquaredError(reduction='sum'), uniform((2, 3, 2), -1, 1), uniform((2, 3, 2, 1), -1, 1))
    loss_case('mse-rank3', lambda: LS.MeanSquaredError(), uniform((2, 3, 4), -1, 1), uniform((2, 3, 4), -1, 1))
    loss_case('mae', lambda: LS.MeanAbsoluteError(), yr, pr)
    loss_case('mae-sum-weighted', lambda: LS.MeanAbsoluteError(reduction='sum'), yr, pr, sw=sw)
    loss_case('mape', lambda: LS.MeanAbsolutePercentageError(), uniform((N, 3), 0.5, 2), pr)
    loss_case('mape-zero-labels', lambda: LS.MeanAbsolutePercentageError(), np.array([[0.0, 1.0], [-2.0, 0.0]], dtype='float32'), np.array([[0.05, 1.5], [-1.0, -0.5]], dtype='float32'))
    loss_case('msle', lambda: LS.MeanSquaredLogarithmicError(), uniform((N, 3), 0, 3), uniform((N, 3), 0, 3))
    loss_case('msle-negative', lambda: LS.MeanSquaredLogarithmicError(), uniform((N, 3), -1, 3), np.array([[-0.5, 0.0, 1.0], [2.0, -1.0, 0.3], [0.1, 0.2, -3.0], [1.5, 2.5, 0.7]], dtype='float32'))
    for delta in [1.0, 0.5, 2.0]:
        loss_case(f'huber-delta-{delta}', lambda delta=delta: LS.Huber(delta=delta), yr, pr, extra={'delta': delta})
    loss_case('huber-sum-weighted', lambda: LS.Huber(delta=0.7, reduction='sum'), yr, pr, sw=sw, extra={'delta': 0.7})
    loss_case('log-cosh', lambda: LS.LogCosh(), yr, pr)
    loss_case('log-cosh-large', lambda: LS.LogCosh(), np.array([[0.0, 0.0]], dtype='float32'), np.array([[30.0, -25.0]], dtype='float32'))
    loss_case('kld', lambda: LS.KLDivergence(), soft_labels((N, 3)), uniform((N, 3), 0.05, 1.0))
    loss_case('kld-clip', lambda: LS.KLDivergence(), np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]], dtype='float32'), np.array([[0.0, 1.5, 0.3], [1.0, 0.0, -0.2]], dtype='float32'))
    loss_case('poisson', lambda: LS.Poisson(), uniform((N, 3), 0, 3), uniform((N, 3), 0.1, 3))
    loss_case('hinge-binary-labels', lambda: LS.Hinge(), yb, uniform((N, 3), -2, 2))
    loss_case('hinge-pm1-labels', lambda: LS.Hinge(), 2 * yb - 1, uniform((N, 3), -2, 2))
    loss_case('hinge-mixed-labels', lambda: LS.Hinge(), np.array([[0.0, 1.0, 0.5]], dtype='float32'), np.array([[0.3, -0.4, 1.2]], dtype='float32'))
    loss_case('squared-hinge', lambda: LS.SquaredHinge(), yb, uniform((N, 3), -2, 2))
    loss_case('squared-hinge-pm1', lambda: LS.SquaredHinge(reduction='sum'), 2 * yb - 1, uniform((N, 3), -2, 2))
    loss_case('categorical-hinge', lambda: LS.CategoricalHinge(), y_oh, uniform((N, C), -2, 2))
    loss_case('categorical-hinge-zero', lambda: LS.CategoricalHinge(), np.array([[0, 1, 0]], dtype='float32'), np.array([[0.0, 3.0, 0.5]], dtype='float32'))
    loss_case('cosine', lambda: LS.CosineSimilarity(), yr, pr, extra={'axis': -1})
    loss_case('cosine-axis1', lambda: LS.CosineSimilarity(axis=1), uniform((2, 3, 4), -1, 1), uniform((2, 3, 4), -1, 1), extra={'axis': 1})
    loss_case('cosine-zero-vector', lambda: LS.CosineSimilarity(), np.array([[1.0, 2.0], [0.5, 0.5]], dtype='float32'), np.array([[0.0, 0.0], [1.0, -3.0]], dtype='float32'), extra={'axis': -1})

    # --- names, as compile() resolves them --------------------------------------------------
    loss_case('string-mse', lambda: 'mse', yr, pr)
    loss_case('string-categorical_crossentropy', lambda: 'categorical_crossentropy', y_oh, p_unnorm)
    loss_case('string-sparse_categorical_crossentropy', lambda: 'sparse_categorical_crossentropy', yf, p_unnorm)
    loss_case('string-huber', lambda: 'huber', yr, pr)
    loss_case('string-crossentropy-binary', lambda: 'crossentropy', yb[:, :1], pb[:, :1])
    loss_case('string-crossentropy-sparse', lambda: 'crossentropy', yf, p_unnorm)
    loss_case('string-ce-sparse-N1', lambda: 'ce', yf.reshape(N, 1), p_unnorm)
    loss_case('string-crossentropy-categorical', lambda: 'crossentropy', y_oh, p_unnorm)

    # --- float64 --------------------------------------------------------------------------
    loss_case('f64-cce-probs', lambda: LS.CategoricalCrossentropy(), y_oh.astype('float64'), p_unnorm.astype('float64'), dtype='float64')
    loss_case('f64-cce-clip-edges', lambda: LS.CategoricalCrossentropy(), edge_y, edge_p, dtype='float64')
    loss_case('f64-bce-caps', lambda: LS.BinaryCrossentropy(), np.array([[1, 0, 1, 0]]), np.array([[0.0, 1.0, 1.0, 0.0]]), dtype='float64')
    loss_case('f64-scce-logits-weighted', lambda: LS.SparseCategoricalCrossentropy(from_logits=True), yf, logits, sw=sw, dtype='float64')
    loss_case('f64-mse', lambda: LS.MeanSquaredError(), yr, pr, dtype='float64')
    loss_case('f64-cosine', lambda: LS.CosineSimilarity(), yr, pr, dtype='float64', extra={'axis': -1})


# -------------------------------------------------------------------------------------
# metrics
# -------------------------------------------------------------------------------------

METRIC_CASES = []


def metric_case(case_id, ident, batches, make=None, dtype='float32'):
    """Updates a Keras metric with each (y, p) batch and records its result.

    `ident`: what the TypeScript side decodes (a string, or a serialized metric). `make(y, p)`: the Keras
    metric object; by default compile()'s own resolution, `get_metric(ident, y, p)`.
    """
    batches = [(np.asarray(y, dtype=dtype), np.asarray(p, dtype=dtype)) for y, p in batches]
    y0, p0 = batches[0]
    m = make(y0, p0) if make is not None else get_metric(ident, tf.constant(y0), tf.constant(p0))
    for y, p in batches:
        m.update_state(tf.constant(y), tf.constant(p))
    METRIC_CASES.append({
        'id': case_id,
        'metric': ident,
        'kerasClass': type(m).__name__,
        'name': m.name,
        'outputShape': list(p0.shape[1:]),
        'labelShape': list(y0.shape[1:]),
        'batches': [{'batch': int(p.shape[0]), 'yTrue': values_json(y), 'yPred': values_json(p)} for y, p in batches],
        'value': scalar_json(m.result(), dtype),
    })


def build_metric_cases():
    N, C = 6, 4
    p = uniform((N, C), 0, 1)
    labels = class_labels((N,), C)
    oh = one_hot(labels, C)
    p2 = uniform((N, C), 0, 1)
    labels2 = class_labels((N,), C)
    yb = RNG.integers(0, 2, size=(N, 1)).astype('float32')
    pb = uniform((N, 1), 0, 1)

    # "accuracy" / "acc" by shapes.
    metric_case('accuracy-binary-N-vs-N1', 'accuracy', [(yb[:, 0], pb), (yb[::-1, 0], pb[::-1] * 0.9)])
    metric_case('acc-binary-N1', 'acc', [(yb, pb)])
    metric_case('accuracy-sparse-N', 'accuracy', [(labels.astype('float32'), p), (labels2.astype('float32'), p2)])
    metric_case('accuracy-sparse-N1', 'Accuracy', [(labels.astype('float32').reshape(N, 1), p)])
    metric_case('accuracy-categorical', 'accuracy', [(oh, p), (one_hot(labels2, C), p2)])
    metric_case('accuracy-categorical-2', 'ACC', [(np.array([[0, 1], [1, 0], [0, 1]]), np.array([[0.6, 0.7], [0.5, 0.5], [0.2, 0.1]]))])
    # Threshold is strict; argmax ties go to the first index.
    metric_case('binary-accuracy-threshold', MS.serialize(MS.BinaryAccuracy(threshold=0.7)),
                [(np.array([[1, 0, 1], [0, 1, 1]]), np.array([[0.7, 0.7, 0.71], [0.1, 0.9, 0.69]]))], make=lambda y, p: MS.BinaryAccuracy(threshold=0.7))
    metric_case('binary-accuracy-string', 'binary_accuracy', [(yb, pb)])
    metric_case('categorical-accuracy-ties', 'categorical_accuracy', [(np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]]), np.array([[0.4, 0.4, 0.2], [0.3, 0.3, 0.3], [0.1, 0.5, 0.5]]))])
    metric_case('sparse-categorical-accuracy', 'sparse_categorical_accuracy', [(labels.astype('float32'), p)])
    metric_case('top-k', MS.serialize(MS.TopKCategoricalAccuracy(k=2)), [(oh, p), (one_hot(labels2, C), p2)], make=lambda y, p: MS.TopKCategoricalAccuracy(k=2))
    metric_case('top-k-ties', MS.serialize(MS.TopKCategoricalAccuracy(k=1)),
                [(np.array([[0, 1, 0], [0, 0, 1]]), np.array([[0.4, 0.4, 0.2], [0.5, 0.2, 0.5]]))], make=lambda y, p: MS.TopKCategoricalAccuracy(k=1))
    metric_case('sparse-top-k', MS.serialize(MS.SparseTopKCategoricalAccuracy(k=3)), [(labels.astype('float32'), p)], make=lambda y, p: MS.SparseTopKCategoricalAccuracy(k=3))
    # Per-pixel accuracies.
    yseg = class_labels((2, 3, 2), 3)
    pseg = uniform((2, 3, 2, 3), 0, 1)
    metric_case('accuracy-sparse-per-pixel', 'accuracy', [(yseg.astype('float32'), pseg)])
    metric_case('accuracy-categorical-per-pixel', 'accuracy', [(one_hot(yseg, 3), pseg)])
    # Loss-like metrics.
    yr = uniform((N, 3), -2, 2)
    pr = uniform((N, 3), -2, 2)
    for s in ['mse', 'mae', 'MSE', 'mean_squared_error', 'mean_absolute_error']:
        metric_case(f'string-{s}', s, [(yr, pr), (pr, yr * 0.5)])
    metric_case('mape', 'mape', [(uniform((N, 3), 0.5, 2), pr)])
    metric_case('msle', 'msle', [(uniform((N, 3), 0, 2), uniform((N, 3), 0, 2))])
    metric_case('logcosh', MS.serialize(MS.LogCoshError()), [(yr, pr)], make=lambda y, p: MS.LogCoshError())
    metric_case('cosine-similarity', MS.serialize(MS.CosineSimilarity()), [(yr, pr)], make=lambda y, p: MS.CosineSimilarity())
    metric_case('kld', 'kl_divergence', [(soft_labels((N, 3)), uniform((N, 3), 0.05, 1))])
    metric_case('poisson', 'poisson', [(uniform((N, 3), 0, 2), uniform((N, 3), 0.1, 2))])
    metric_case('hinge', 'hinge', [(RNG.integers(0, 2, size=(N, 3)).astype('float32'), pr)])
    metric_case('squared-hinge', 'squared_hinge', [(RNG.integers(0, 2, size=(N, 3)).astype('float32'), pr)])
    metric_case('categorical-hinge', 'categorical_hinge', [(oh, uniform((N, C), -2, 2))])
    metric_case('binary-crossentropy', 'binary_crossentropy', [(RNG.integers(0, 2, size=(N, 3)).astype('float32'), uniform((N, 3), 0.02, 0.98))])
    metric_case('binary-crossentropy-logits-smoothing', MS.serialize(MS.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)),
                [(RNG.integers(0, 2, size=(N, 3)).astype('float32'), uniform((N, 3), -4, 4))], make=lambda y, p: MS.BinaryCrossentropy(from_logits=True, label_smoothing=0.1))
    metric_case('categorical-crossentropy', 'categorical_crossentropy', [(oh, p + 0.05), (one_hot(labels2, C), p2 + 0.05)])
    metric_case('sparse-categorical-crossentropy', 'sparse_categorical_crossentropy', [(labels.astype('float32'), p + 0.05)])
    metric_case('sparse-ce-ignore-class-per-pixel', MS.serialize(MS.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)),
                [(np.array([[[0, -1], [2, 1]], [[-1, -1], [1, 0]]]), uniform((2, 2, 2, 3), -2, 2))],
                make=lambda y, p: MS.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1))
    # TF 2.x forms Keras 3 cannot read as such: computed with the class they resolve to.
    metric_case('tf2-mean-metric-wrapper', {'class_name': 'MeanMetricWrapper', 'config': {'name': 'accuracy', 'dtype': 'float32', 'fn': 'binary_accuracy'}},
                [(yb, pb)], make=lambda y, p: MS.BinaryAccuracy(name='accuracy'))
    metric_case('tf2-crossentropy-sparse', 'crossentropy', [(labels.astype('float32'), p + 0.05)],
                make=lambda y, p: MS.SparseCategoricalCrossentropy(name='crossentropy'))
    metric_case('tf2-ce-binary', 'ce', [(yb, pb)], make=lambda y, p: MS.BinaryCrossentropy(name='ce'))


# -------------------------------------------------------------------------------------
# serialized forms
# -------------------------------------------------------------------------------------

def compile_configs():
    """What Keras 3 writes for compile(loss=..., metrics=...) (model.get_compile_config()) and for serialize()."""
    out = []

    def model():
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation='softmax')])

    for loss, metrics, expect in [
        (LS.CategoricalCrossentropy(label_smoothing=0.1), ['accuracy', MS.TopKCategoricalAccuracy(k=2), 'mae'],
         {'loss': 'CategoricalCrossentropy', 'metrics': ['accuracy', 'TopKCategoricalAccuracy', 'MeanAbsoluteError']}),
        ('sparse_categorical_crossentropy', ['acc'], {'loss': 'SparseCategoricalCrossentropy', 'metrics': ['accuracy']}),
        (LS.categorical_crossentropy, [MS.categorical_accuracy, MS.CategoricalCrossentropy(from_logits=True)],
         {'loss': 'CategoricalCrossentropy', 'metrics': ['CategoricalAccuracy', 'CategoricalCrossentropy']}),
        (LS.Huber(delta=2.0, reduction='sum'), [MS.MeanSquaredError(name='my_mse')], {'loss': 'Huber', 'metrics': ['MeanSquaredError']}),
        (LS.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0), None, {'loss': 'SparseCategoricalCrossentropy', 'metrics': []}),
    ]:
        m = model()
        m.compile(optimizer='adam', loss=loss, metrics=metrics)
        cc = m.get_compile_config()
        out.append({'loss': cc['loss'], 'metrics': cc['metrics'], 'expect': expect})
    return out


def serialized_examples():
    return {
        'losses': [LS.serialize(o) for o in [
            LS.CategoricalCrossentropy(), LS.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255), LS.BinaryCrossentropy(label_smoothing=0.2, reduction='sum'),
            LS.MeanSquaredError(reduction=None), LS.MeanAbsoluteError(reduction='mean'), LS.MeanAbsolutePercentageError(), LS.MeanSquaredLogarithmicError(),
            LS.Huber(), LS.LogCosh(), LS.KLDivergence(), LS.Poisson(), LS.Hinge(), LS.SquaredHinge(), LS.CategoricalHinge(), LS.CosineSimilarity(),
            LS.mean_squared_error, LS.sparse_categorical_crossentropy, LS.huber]],
        'metrics': [MS.serialize(o) for o in [
            MS.BinaryAccuracy(), MS.CategoricalAccuracy(), MS.SparseCategoricalAccuracy(), MS.TopKCategoricalAccuracy(), MS.SparseTopKCategoricalAccuracy(),
            MS.Accuracy(), MS.MeanSquaredError(), MS.MeanAbsoluteError(), MS.MeanAbsolutePercentageError(), MS.MeanSquaredLogarithmicError(),
            MS.LogCoshError(), MS.CosineSimilarity(), MS.KLDivergence(), MS.Poisson(), MS.Hinge(), MS.SquaredHinge(), MS.CategoricalHinge(),
            MS.BinaryCrossentropy(), MS.CategoricalCrossentropy(), MS.SparseCategoricalCrossentropy(), MS.binary_accuracy]],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default='spec/fixtures/keras3/train/losses.json')
    args = ap.parse_args()
    build_loss_cases()
    build_metric_cases()
    fixture = {
        'format': FORMAT_VERSION,
        'keras_version': keras.__version__,
        'tensorflow_version': tf.__version__,
        'backend': keras.backend.backend(),
        'description': ' '.join(__doc__.split('\n\n')[0].split()),
        'losses': LOSS_CASES,
        'metrics': METRIC_CASES,
        'compileConfigs': compile_configs(),
        'serialized': serialized_examples(),
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, 'w') as fh:
        json.dump(fixture, fh, separators=(',', ':'))
        fh.write('\n')
    print(f'{args.out}: {len(LOSS_CASES)} loss cases, {len(METRIC_CASES)} metric cases, {os.path.getsize(args.out)} bytes')


if __name__ == '__main__':
    sys.exit(main())
