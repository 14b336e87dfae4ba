"""Golden fixtures of operation nodes, written by real Keras 3.15 (run by hand, see README).

Keras 3 writes tensor arithmetic and `keras.ops.*` calls on symbolic tensors in a functional model as
operation nodes (`{"module": "keras.src.ops.numpy", "class_name": "Add", ...}` with tensors and
constants among the node's args). This script builds functional models that use every operation
layerspec runs (src/ops/registry.ts) -- with broadcasting variants, constants on either side, NumPy and
tensor constants, keepdims, negative axes, float32 and float64 models, keyword arguments, and a
MobileNetV3-style block with layers and weights around the operations -- and records for each:

  - `model.to_json()` (the exact JSON Keras writes: the tests decode it, check every inferred shape
    against the `shape` Keras writes in each `__keras_tensor__`, and encode it back);
  - the inputs' shapes, seeds and ranges, and the weights' names and shapes (spec/keras3/golden.ts
    regenerates both bit for bit with golden.py's PRNG and fill rule);
  - Keras's outputs (every value, float32 written with 9 significant digits, other floats exactly);
  - `model.summary()`'s text, whose rows the tests compare with `layerspec summary`.

Usage (from the repository root):
  KERAS_BACKEND=tensorflow TF_CPP_MIN_LOG_LEVEL=3 /path/to/venv/bin/python scripts/golden/ops.py \
      [--out spec/fixtures/keras3/ops] [--only arithmetic,layout]

Writes one JSON file per model, `<name>.json`, read by spec/keras3/ops.spec.ts.
"""
import argparse
import json
import re
import os
import sys
import warnings

os.environ.setdefault('KERAS_BACKEND', 'tensorflow')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')
warnings.filterwarnings('ignore')

import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras import layers as L  # noqa: E402
from keras import ops  # noqa: E402
from keras.src.ops import numpy as knp  # noqa: E402
from keras.src.activations.activations import Mish  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden import fill_weights, make_input  # noqa: E402

FORMAT_VERSION = 1


# -------------------------------------------------------------------------------------
# the models
# -------------------------------------------------------------------------------------

def arithmetic():
    """The binary and unary numpy/math operations: constants on either side, NumPy and tensor
    constants, and broadcasting between tensors of the same rank."""
    x = keras.Input((4, 6), name='x')
    y = keras.Input((1, 6), name='y')
    z = keras.Input((4, 1), name='z')
    pos = ops.abs(x) + 1.0
    outs = [
        x + 3.0, 3.0 + x, x - y, 1 - x, x * (1.0 / 6.0), 2 * x, x / 2, 2.0 / pos,
        ops.true_divide(x, z + 3.0), ops.divide(x, y + 3.0), -x,
        ops.maximum(x, 0.5), ops.minimum(0.5, x), ops.maximum(x, y), ops.minimum(x, z),
        x ** 2, ops.power(pos, y), ops.power(2.0, x), ops.square(x), ops.sqrt(ops.abs(x)),
        ops.abs(x), ops.absolute(z), ops.exp(x), ops.log(pos), ops.tanh(x),
        ops.reciprocal(pos), ops.sign(x), ops.floor(x), ops.ceil(x), ops.log1p(ops.abs(x)),
        ops.expm1(x), ops.sin(x), ops.cos(x), ops.rsqrt(pos), ops.erf(x),
        ops.clip(x, -1, 1), ops.clip(x, -0.5, 2.5),
        x * np.arange(6, dtype='float32'), x + np.linspace(-1, 1, 4, dtype='float32').reshape(4, 1),
        x * np.array([0.5, 1.5, -2.0, 3.0, 0.25, 1.0]),  # float64 NumPy array
        ops.subtract(np.full((1, 4, 6), 0.5, dtype='float32'), x),  # a constant with the batch axis as 1
        x + ops.convert_to_tensor(np.full((1, 6), 0.25, dtype='float32')),  # a __tensor__ constant
        x * True, ops.subtract(x, y) * z, (x + y) / (z + 4.0),
    ]
    return keras.Model([x, y, z], outs, name='arithmetic'), {'x': (-2.0, 2.0), 'y': (-1.0, 1.0), 'z': (-1.0, 1.0)}


def activations():
    """The activation operations of keras.src.ops.nn and keras.src.activations.activations."""
    x = keras.Input((3, 8), name='x')
    outs = [
        ops.relu(x), ops.relu6(x), ops.sigmoid(x), ops.hard_sigmoid(x), ops.hard_silu(x),
        ops.hard_swish(x), ops.silu(x), ops.swish(x), ops.tanh(x),
        ops.softmax(x), ops.softmax(x, axis=1), ops.log_softmax(x, axis=-1), ops.log_softmax(x, axis=1),
        ops.gelu(x), ops.gelu(x, approximate=False), ops.elu(x), ops.elu(x, alpha=0.5), ops.selu(x),
        ops.softplus(x), ops.softsign(x), ops.leaky_relu(x, negative_slope=0.1), ops.leaky_relu(x),
        ops.log_sigmoid(x), ops.hard_tanh(x), ops.celu(x, alpha=2.0),
        ops.sparse_plus(x), ops.sparse_sigmoid(x), ops.squareplus(x), ops.squareplus(x, b=0.5),
        ops.soft_shrink(x), ops.soft_shrink(x, threshold=1.5), ops.hard_shrink(x, threshold=1.0), ops.tanh_shrink(x),
        ops.threshold(x, 0.5, -2.0),
        keras.activations.relu(x, negative_slope=0.1, max_value=4.0, threshold=0.5),
        keras.activations.relu(x, max_value=6.0), keras.activations.relu(x, negative_slope=0.2),
        # keras.activations.mish fails on a symbolic tensor in 3.15; the class it calls is an operation
        Mish()(x), keras.activations.gelu(x), keras.activations.softmax(x),
    ]
    return keras.Model(x, outs, name='activations'), {'x': (-7.0, 7.0)}


def reductions():
    """Reductions over axes, negative axes, keepdims."""
    x = keras.Input((3, 4, 5), name='x')
    outs = [
        ops.mean(x, axis=-1), ops.mean(x, axis=[1, 2], keepdims=True), ops.mean(x, axis=(1, 2, 3)),
        ops.sum(x, axis=2), ops.sum(x, axis=(-1, -3), keepdims=True),
        ops.max(x, axis=1), ops.max(x, axis=-1, keepdims=True, initial=0.0), ops.min(x, axis=[2, 3]),
        ops.min(x, axis=-2, keepdims=True), ops.amax(x, axis=3), ops.amin(x, axis=(1, 3)),
        ops.prod(x, axis=-1), ops.var(x, axis=[1, 2]), ops.std(x, axis=-1, keepdims=True),
        ops.logsumexp(x, axis=-1), ops.logsumexp(x, axis=(1, 2), keepdims=True),
    ]
    return keras.Model(x, outs, name='reductions'), {'x': (-3.0, 3.0)}


def layout():
    """Reshape, transpose, expand_dims, squeeze, concatenate, stack."""
    x = keras.Input((4, 5), name='x')
    w = keras.Input((2, 3, 4), name='w')
    o = keras.Input((1, 5), name='o')
    outs = [
        ops.reshape(x, (-1, 20)), ops.reshape(x, (-1, 5, 4)), ops.reshape(w, (-1, 6, 2, 2)),
        ops.transpose(x, (0, 2, 1)), ops.transpose(w, (0, 3, 1, 2)), ops.transpose(w, (0, -1, -3, -2)),
        ops.expand_dims(x, 1), ops.expand_dims(x, -1), ops.expand_dims(x, [1, 3]),
        ops.squeeze(o, 1), ops.squeeze(o), ops.squeeze(ops.expand_dims(x, 2), axis=-2),
        ops.concatenate([x, x * 2.0], axis=-1), ops.concatenate([x, o, x], axis=1),
        ops.stack([x, -x], axis=1), ops.stack([x, x + 1.0, x * x], axis=-1),
    ]
    return keras.Model([x, w, o], outs, name='layout'), {'x': (-2.0, 2.0), 'w': (-2.0, 2.0), 'o': (-2.0, 2.0)}


def matmul():
    """Matrix products of tensors and constants."""
    x = keras.Input((4, 6), name='x')
    v = keras.Input((6,), name='v')
    b = keras.Input((2, 4, 6), name='b')
    k = np.linspace(-1.0, 1.0, 18, dtype='float32').reshape(6, 3)
    outs = [
        ops.matmul(x, ops.transpose(x, (0, 2, 1))), x @ k, ops.matmul(v, k),
        ops.matmul(v, np.arange(6, dtype='float32')), ops.matmul(np.linspace(0.0, 1.0, 20, dtype='float32').reshape(5, 4), x),
        ops.matmul(x, np.arange(6, dtype='float32')), ops.matmul(b, k), ops.matmul(b, ops.transpose(b, (0, 1, 3, 2))),
        ops.matmul(np.ones((1, 4, 4), dtype='float32'), x),
    ]
    return keras.Model([x, v, b], outs, name='matmul'), {'x': (-1.0, 1.0), 'v': (-1.0, 1.0), 'b': (-1.0, 1.0)}


def float64():
    """A model computed in float64 (its input is float64): constants and operations follow it."""
    x = keras.Input((3, 5), dtype='float64', name='x')
    h = ops.exp(x * 0.3 + 1.0 / 3.0)
    outs = [
        h, ops.softmax(h, axis=-1), ops.mean(h, axis=-1, keepdims=True), ops.sqrt(ops.abs(x)) - 0.1,
        ops.matmul(x, np.linspace(-1.0, 1.0, 10).reshape(5, 2)), ops.hard_silu(x), ops.gelu(x, approximate=False),
        ops.cast(x, 'float32'), ops.cast(x * 1000.0, 'float16'), ops.cast(x, 'bfloat16'),
    ]
    return keras.Model(x, outs, name='float64'), {'x': (-2.0, 2.0)}


def keywords():
    """Operations called with keyword arguments (Keras records them in the node's kwargs)."""
    x = keras.Input((2, 3), name='x')
    outs = [
        knp.Add()(x, x2=2.5), knp.Subtract()(x1=1.0, x2=x), knp.Power()(x, x2=3),
        knp.Concatenate(axis=-1)(xs=[x, x]), knp.Mean(axis=-1, keepdims=True)(x=x),
    ]
    return keras.Model(x, outs, name='keywords'), {'x': (-2.0, 2.0)}


def mobilenetv3_block():
    """MobileNetV3's hard-swish and squeeze-excite, as keras.applications writes them: operation nodes
    (`x + 3.0`, `* (1.0 / 6.0)`) between layers with weights."""
    def hard_sigmoid(t):
        return L.ReLU(6.0)(t + 3.0) * (1.0 / 6.0)

    def hard_swish(t):
        return L.Multiply()([t, hard_sigmoid(t)])

    x = keras.Input((8, 8, 3), name='image')
    h = L.Conv2D(8, 3, strides=2, padding='same', name='stem')(x)
    h = hard_swish(h)
    s = L.GlobalAveragePooling2D(keepdims=True, name='se_pool')(h)
    s = L.Conv2D(4, 1, name='se_reduce')(s)
    s = L.ReLU(name='se_relu')(s)
    s = L.Conv2D(8, 1, name='se_expand')(s)
    s = hard_sigmoid(s)
    h = L.Multiply(name='se_mul')([h, s])
    h = ops.mean(h, axis=[1, 2], keepdims=True)
    h = L.Flatten(name='flat')(h)
    y = L.Dense(5, name='logits')(h)
    return keras.Model(x, [y, ops.softmax(y)], name='mobilenetv3_block'), {'image': (-1.0, 1.0)}


MODELS = [arithmetic, activations, reductions, layout, matmul, float64, keywords, mobilenetv3_block]


# -------------------------------------------------------------------------------------
# writing
# -------------------------------------------------------------------------------------

def values_json(a):
    """Every value of an array: float32 with 9 significant digits (exact); float64, float16 and
    bfloat16 values as the shortest float64 repr (exact)."""
    a = np.asarray(a)
    if a.dtype == np.float32:
        return [float('%.9g' % v) for v in a.reshape(-1)]
    return [float(v) for v in a.astype(np.float64).reshape(-1)]


def fixture(build, batch, seed):
    # Fresh default names (`add`, `add_1`, …) for every model, whichever models are written.
    keras.backend.clear_session()
    model, ranges = build()
    inputs = []
    for i, t in enumerate(model.inputs):
        name = t._keras_history[0].name
        low, high = ranges[name]
        shape = [batch] + list(t.shape[1:])
        inputs.append({'name': name, 'shape': shape, 'dtype': t.dtype, 'seed': seed + 100 * i, 'low': low, 'high': high})
    names = [w.path for w in model.weights]
    weights = [{'name': n, 'shape': list(w.shape)} for n, w in zip(names, model.get_weights())]
    model.set_weights(fill_weights(model.get_weights(), names, seed))
    xs = [make_input(i['shape'], i['seed'], i['low'], i['high']).astype(i['dtype']) for i in inputs]
    ys = model(xs if len(xs) > 1 else xs[0], training=False)
    ys = ys if isinstance(ys, (list, tuple)) else [ys]
    # rich sizes the table to the terminal: give it room for every column, whatever runs the script.
    os.environ['COLUMNS'] = '200'
    lines = []
    model.summary(line_length=160, print_fn=lambda s, **_: lines.append(s))
    return {
        'format': FORMAT_VERSION,
        'keras_version': keras.__version__,
        'backend': keras.backend.backend(),
        'name': build.__name__,
        'description': ' '.join(build.__doc__.split()),
        'model': json.loads(model.to_json()),
        'seed': seed,
        'inputs': inputs,
        'weights': weights,
        'outputs': [{'shape': list(np.shape(y)), 'dtype': str(np.asarray(y).dtype), 'values': values_json(y)} for y in ys],
        # The table's text rows (border lines dropped, runs of spaces collapsed: the cells are unchanged).
        'summary': [re.sub(' {2,}', ' ', row).rstrip() for row in ''.join(lines).split('\n') if row.strip() and row.lstrip()[0] not in '┏┡├└'],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default='spec/fixtures/keras3/ops')
    ap.add_argument('--only', default='')
    ap.add_argument('--batch', type=int, default=2)
    ap.add_argument('--seed', type=int, default=20261206)
    args = ap.parse_args()
    only = [s for s in args.only.split(',') if s]
    os.makedirs(args.out, exist_ok=True)
    for k, build in enumerate(MODELS):
        if only and build.__name__ not in only:
            continue
        f = fixture(build, args.batch, args.seed + 1000 * k)
        path = os.path.join(args.out, build.__name__ + '.json')
        with open(path, 'w') as fh:
            json.dump(f, fh, separators=(',', ':'))
            fh.write('\n')
        ops_count = sum(1 for l in f['model']['config']['layers'] if l['module'].startswith('keras.src.ops.') or l['module'] == 'keras.src.activations.activations')
        print(f'{path}: {ops_count} operation nodes, {len(f["outputs"])} outputs, {os.path.getsize(path)} bytes')


if __name__ == '__main__':
    main()
