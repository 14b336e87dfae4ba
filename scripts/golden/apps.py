"""Golden fixtures of keras.applications architectures, written by real Keras 3.15 (run by hand).

    KERAS_BACKEND=tensorflow TF_CPP_MIN_LOG_LEVEL=3 ../kvenv/bin/python scripts/golden/apps.py [NAME ...]

(any venv with keras 3.15.1 and tensorflow-cpu 2.21; ../shared/tools/keras-venv.sh DIR makes one).
With no NAME every architecture below is written; `--list` prints the names, `--out DIR` writes
elsewhere than spec/fixtures/keras3/apps.

Each architecture is built with `weights=None` at a small input size / width, its weights are set with
golden.py's fill rule (weight i of `model.weights`, which is Keras's `get_weights()` order, from
`seed + 1 + i`), its batch-2 input drawn with `make_input(shape, seed, low, high)`, and it is run
with `model(x, training=False)`. The fixture `<name>.json` holds:

- `builder`: the Python call that built the model; `keras_version`, `tensorflow_version`;
- `seed`, `input` (`shape` with the batch axis, `low`, `high`);
- `weights`: `name` (the variable's `path`, `layer/weight`), `shape`, `dtype`, in get_weights() order.
  Integer weights (Normalization's `count`, int64) are not filled (the rule draws floats and they do
  not enter inference): they keep the value Keras built them with, recorded as `value`;
- `params` (`count_params()`), `output_shapes` (Keras's, batch `null`);
- `outputs`: per model output `{shape, data}`, data as float32 values (the shortest decimal that
  reads back as the same float32);
- `stats`: the outputs' spread (min, max, mean, std, max |y|), how far the two batch rows are apart
  (max |y[0] − y[1]| / max |y|: near 0 would mean the input no longer matters), and
  `keras_float32_vs_float64`: max |y32 − y64| / max |y64| where y64 is the same architecture, same
  weights and input, run by Keras in float64: Keras's own float32 rounding at this depth, against
  which a tolerance can be judged;
- `model`: the model JSON exactly as `model.to_json()` writes it (parsed).

Outputs are compared before any softmax (`classifier_activation=None`, or no top with average
pooling), so that a difference is not hidden by saturation.
"""
import argparse
import json
import math
import os
import sys
import time

os.environ.setdefault('KERAS_BACKEND', 'tensorflow')
# oneDNN's CPU kernels returned uninitialized memory for some small convolutions (scripts/golden/layers.py)
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, '..', '..', 'spec', 'fixtures', 'keras3', 'apps'))
BATCH = 2

# name: (builder call, as written into the fixture; input shape without batch; input range; seed)
# Input ranges: about what each architecture's `preprocess_input` hands it: [0, 255) where the model
# has its preprocessing built in (MobileNetV3's Rescaling, EfficientNet's Rescaling + Normalization),
# [-128, 128) for the "caffe" mode (VGG16, ResNet50: BGR minus the ImageNet mean), [-2, 2.5) for
# "torch" (DenseNet: ImageNet mean and std), [-1, 1) for "tf" (MobileNet, MobileNetV2, Xception).
ARCHS = {
    'vgg16': ("VGG16(weights=None, include_top=False, pooling='avg', input_shape=(64, 64, 3))", (64, 64, 3), (-128.0, 128.0), 1601),
    'mobilenet': ("MobileNet(weights=None, alpha=0.25, input_shape=(96, 96, 3), classifier_activation=None)", (96, 96, 3), (-1.0, 1.0), 1602),
    'mobilenet_v2': ("MobileNetV2(weights=None, alpha=0.35, input_shape=(96, 96, 3), classifier_activation=None)", (96, 96, 3), (-1.0, 1.0), 1603),
    'mobilenet_v3_small': ("MobileNetV3Small(weights=None, input_shape=(96, 96, 3), include_preprocessing=True, classifier_activation=None)", (96, 96, 3), (0.0, 255.0), 1604),
    'mobilenet_v3_large': ("MobileNetV3Large(weights=None, input_shape=(96, 96, 3), include_preprocessing=True, classifier_activation=None)", (96, 96, 3), (0.0, 255.0), 1605),
    'resnet50': ("ResNet50(weights=None, input_shape=(64, 64, 3), classifier_activation=None)", (64, 64, 3), (-128.0, 128.0), 1606),
    'densenet121': ("DenseNet121(weights=None, input_shape=(64, 64, 3), classifier_activation=None)", (64, 64, 3), (-2.0, 2.5), 1607),
    'efficientnet_b0': ("EfficientNetB0(weights=None, input_shape=(64, 64, 3), classifier_activation=None)", (64, 64, 3), (0.0, 255.0), 1608),
    'xception': ("Xception(weights=None, input_shape=(71, 71, 3), classifier_activation=None)", (71, 71, 3), (-1.0, 1.0), 1609),
    # the example models of issue 14 (scripts/golden/example_models.py; --examples also writes their JSON
    # into examples/models/)
    'causal_tcn': ("examples.causal_tcn(keras)", (64, 2), (-1.0, 1.0), 1610),
    'unet': ("examples.unet(keras)", (32, 32, 3), (0.0, 1.0), 1611),
}

# example name: its file in examples/models/
EXAMPLE_FILES = {'causal_tcn': 'causal-tcn.keras3.json', 'unet': 'unet.keras3.json'}
EXAMPLES_DIR = os.path.normpath(os.path.join(HERE, '..', '..', 'examples', 'models'))


# -------------------------------------------------------------------------------------
# the fill rule, vectorized (checked against golden.uniform before use)
# -------------------------------------------------------------------------------------

def _uniform_fast(seed, n, low, high):
    """golden.uniform(seed, n, low, high) in numpy: mulberry32's state after k steps is seed + k·C."""
    m = np.uint64(golden.MASK)
    k = np.arange(1, n + 1, dtype=np.uint64)
    s = (np.uint64(seed & golden.MASK) + k * np.uint64(0x6D2B79F5)) & m
    t = ((s ^ (s >> np.uint64(15))) * (s | np.uint64(1))) & m
    t = ((t + (((t ^ (t >> np.uint64(7))) * (t | np.uint64(61))) & m)) & m) ^ t
    u = ((t ^ (t >> np.uint64(14))) & m).astype(np.float64) / 4294967296.0
    return (low + (high - low) * u).astype(np.float32)


def _check_fast():
    for seed, n, low, high in [(0, 50, 0.0, 1.0), (1606, 1000, -0.25, 0.25), (2**32 - 3, 40, 0.8, 1.2), (123456789, 300, -1.0, 1.0)]:
        a, b = golden.uniform(seed, n, low, high), _uniform_fast(seed, n, low, high)
        if not np.array_equal(a.view(np.uint32), b.view(np.uint32)):
            raise SystemExit(f'vectorized mulberry32 differs from golden.uniform (seed {seed})')


def app_range(path, shape, layer_class):
    """The fill range of an architecture's weight, stored in the fixture (`low`, `high`).

    golden.weight_range's LeCun-uniform kernels shrink the signal layer after layer in these deep
    networks, and it finds a depthwise kernel by the name `depthwise_kernel`, which Keras 3 calls
    `kernel`: with it, the outputs of MobileNet-like models did not depend on the input to float32
    precision. Here kernels are He-uniform (sqrt(6 / fan_in), ReLU networks keep their scale) and a
    depthwise kernel's fan-in is its window (kh * kw), found by the layer's class; the other weights
    keep golden.weight_range's ranges.
    """
    n = path.split('/')[-1].split(':')[0]
    if n not in ('kernel', 'depthwise_kernel', 'pointwise_kernel'):
        return golden.weight_range(path, shape)
    depthwise = n == 'depthwise_kernel' or layer_class == 'DepthwiseConv2D'
    fan_in = int(np.prod(shape[:-2])) if depthwise else int(np.prod(shape[:-1]))
    a = math.sqrt(6.0 / max(1, fan_in))
    return (-a, a)


def filled_weights(model, seed):
    """Weights over model.weights (get_weights() order), weight i from seed + 1 + i in its app_range;
    integer weights (Normalization's count) keep their value."""
    classes = {w.path: type(layer).__name__ for layer in model.layers for w in layer.weights}
    values, entries = [], []
    for i, w in enumerate(model.weights):
        shape = tuple(int(d) for d in w.shape)
        dtype = str(w.dtype)
        entry = {'name': w.path, 'shape': list(shape), 'dtype': dtype}
        if dtype.startswith('float'):
            low, high = app_range(w.path, shape, classes.get(w.path))
            values.append(_uniform_fast(seed + 1 + i, int(np.prod(shape)), low, high).reshape(shape))
            entry['low'], entry['high'] = low, high
        else:
            v = np.asarray(w.numpy())
            values.append(v)
            entry['value'] = v.tolist()
        entries.append(entry)
    return values, entries


# -------------------------------------------------------------------------------------
# fixtures
# -------------------------------------------------------------------------------------

def f32_list(a):
    """Each value as the shortest decimal that reads back as the same float32."""
    a = np.asarray(a, dtype=np.float32).ravel()
    return [float(np.format_float_positional(v, unique=True, trim='-')) if abs(v) >= 1e-4 or v == 0 else float(np.format_float_scientific(v, unique=True, trim='-')) for v in a]


def builder(call):
    """The builder as written into the fixture."""
    return call if call.startswith('examples.') else 'keras.applications.' + call


def build(keras, call):
    import example_models
    return eval(builder(call), {'keras': keras, 'examples': example_models})


def run(model, values, x):
    model.set_weights(values)
    # Normalization caches mean and variance when it adapts or builds; set_weights alone leaves the
    # cache at mean 0, variance 1 (Keras 3.15), so the layer must recompute it from its weights.
    for layer in model.layers:
        if type(layer).__name__ == 'Normalization':
            layer.finalize_state()
    y = model(x, training=False)
    ys = y if isinstance(y, (list, tuple)) else [y]
    return [np.asarray(t) for t in ys]


def write(name, out_dir, write_example=False):
    import keras
    import tensorflow as tf

    call, in_shape, (low, high), seed = ARCHS[name]
    t0 = time.time()
    keras.config.set_dtype_policy('float32')
    keras.utils.clear_session()
    model = build(keras, call)
    values, entries = filled_weights(model, seed)
    # model.weights is get_weights()'s order (Keras 3: Layer.get_weights reads self.weights)
    assert [tuple(v.shape) for v in model.get_weights()] == [tuple(v.shape) for v in values]
    x = golden.make_input((BATCH,) + in_shape, seed, low, high)
    ys = run(model, values, x)

    # the same architecture in float64: Keras's own float32 rounding error at this depth
    keras.utils.clear_session()
    keras.config.set_dtype_policy('float64')
    model64 = build(keras, call)
    ys64 = run(model64, [v.astype(np.float64) if v.dtype == np.float32 else v for v in values], x.astype(np.float64))
    keras.config.set_dtype_policy('float32')
    del model64

    stats = []
    for y, y64 in zip(ys, ys64):
        scale = float(np.max(np.abs(y)))
        stats.append({
            'min': float(y.min()), 'max': float(y.max()), 'mean': float(y.mean()), 'std': float(y.std()),
            'max_abs': scale,
            'rows_apart': float(np.max(np.abs(y[0] - y[1])) / scale) if scale > 0 else 0.0,
            'finite': bool(np.all(np.isfinite(y))),
            'keras_float32_vs_float64': float(np.max(np.abs(y.astype(np.float64) - y64)) / float(np.max(np.abs(y64)))),
        })

    outputs = [{'shape': list(y.shape), 'data': f32_list(y)} for y in ys]
    for o, y in zip(outputs, ys):  # the decimals read back as Keras's float32 values, bit for bit
        assert np.array_equal(np.array(o['data'], dtype=np.float32).view(np.uint32), y.astype(np.float32).ravel().view(np.uint32))

    fixture = {
        'name': name,
        'builder': builder(call),
        'keras_version': keras.__version__,
        'tensorflow_version': tf.__version__,
        'seed': seed,
        'input': {'shape': [BATCH, *in_shape], 'low': low, 'high': high},
        'params': int(model.count_params()),
        'output_shapes': [list(s) for s in (model.output_shape if isinstance(model.output_shape, list) else [model.output_shape])],
        'weights': entries,
        'outputs': outputs,
        'stats': stats,
        'model': json.loads(model.to_json()),
    }
    os.makedirs(out_dir, exist_ok=True)
    if write_example and name in EXAMPLE_FILES:
        with open(os.path.join(EXAMPLES_DIR, EXAMPLE_FILES[name]), 'w') as f:
            json.dump(fixture['model'], f, indent=2)
            f.write('\n')
    path = os.path.join(out_dir, f'{name}.json')
    with open(path, 'w') as f:
        json.dump(fixture, f, separators=(',', ':'))
        f.write('\n')
    s = stats[0]
    print(f'{name}: {os.path.getsize(path) / 1024:.0f} KB, {fixture["params"]:,} params, {len(model.layers)} layers, '
          f'output {fixture["output_shapes"]}, y in [{s["min"]:.4g}, {s["max"]:.4g}] std {s["std"]:.4g}, '
          f'rows apart {s["rows_apart"]:.3g}, keras f32 vs f64 {s["keras_float32_vs_float64"]:.3g} ({time.time() - t0:.1f} s)')


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('names', nargs='*', help='architectures to write (default: all)')
    p.add_argument('--out', default=OUT, help='output folder (default: spec/fixtures/keras3/apps)')
    p.add_argument('--list', action='store_true', help='print the architecture names and exit')
    p.add_argument('--examples', action='store_true', help='also write the example models\' JSON into examples/models/')
    a = p.parse_args()
    if a.list:
        print('\n'.join(ARCHS))
        return
    unknown = [n for n in a.names if n not in ARCHS]
    if unknown:
        raise SystemExit(f'unknown architecture(s) {unknown}; known: {list(ARCHS)}')
    _check_fast()
    for name in a.names or ARCHS:
        write(name, a.out, a.examples)


if __name__ == '__main__':
    main()
