"""Golden fixtures of every layer kind layerspec reads, written by real Keras 3.15 (run by hand, see README).

For each layer kind (src/layers/registry.ts LAYER_KINDS, plus InputLayer) this builds many one-layer Keras
models from seeded random configs (every argument and its edge values, both data formats, known and
unknown input dims) and from mutated, mostly invalid, configs, and asks Keras for its verdict:

  1. `keras.layers.X.from_config(config)`;
  2. a functional model `keras.Model(inputs, layer(inputs))` on the case's input shape (build + symbolic call);
  3. weights set by golden.py's fill rule, then `model(x, training=False)` on golden.py's input.

A case Keras accepts records `model.to_json()` (the layer's `get_config()` is its entry in it), the
weights' names and shapes in `get_weights()` order, the symbolic and concrete output shapes and the output
(all of it when small, else 64 evenly spaced values plus float64 sums over all of it). A case Keras
refuses records the stage and the exception text. Nothing else is stored: spec/keras3/golden.ts
regenerates the weights and the input bit for bit from the seed.

Usage (from the repository root):
  KERAS_BACKEND=tensorflow TF_CPP_MIN_LOG_LEVEL=3 /path/to/venv/bin/python scripts/golden/layers.py \
      [--out spec/fixtures/keras3/layers] [--kinds Conv2D,Dense] [--seed 20261126] [--scale 1.0]

Writes one gzip-compressed JSON file per kind, `<Kind>.json.gz`, read by spec/keras3/layers-golden.spec.ts.
"""
import argparse
import base64
import copy
import gzip
import json
import math
import os
import random
import re
import sys
import warnings

# Keras's messages print Python sets: a fixed hash seed makes them, and the fixtures, the same on every run.
if os.environ.get('PYTHONHASHSEED') != '0':
    os.environ['PYTHONHASHSEED'] = '0'
    os.execv(sys.executable, [sys.executable, *sys.argv])

os.environ.setdefault('KERAS_BACKEND', 'tensorflow')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
# oneDNN's CPU convolutions returned uninitialized memory for some small geometries (e.g. a 3×2 kernel,
# strides (1, 3), 'same', on a 2×3 input); TensorFlow's own kernels do not.
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')
warnings.filterwarnings('ignore')

import numpy as np  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden import fill_weights, make_input  # noqa: E402

L = keras.layers
SAMPLE = 64
FORMAT_VERSION = 1


# -------------------------------------------------------------------------------------
# value domains shared by several kinds
# -------------------------------------------------------------------------------------

def env(module, cls, config):
    return {'module': module, 'class_name': cls, 'config': config, 'registered_name': None}


ACTIVATIONS = ['celu', 'elu', 'exponential', 'gelu', 'hard_shrink', 'hard_sigmoid', 'hard_silu', 'hard_swish',
               'hard_tanh', 'leaky_relu', 'linear', 'log_sigmoid', 'log_softmax', 'mish', 'relu', 'relu6', 'selu',
               'sigmoid', 'silu', 'soft_shrink', 'softmax', 'softplus', 'softsign', 'sparse_plus', 'sparse_sigmoid',
               'sparsemax', 'squareplus', 'swish', 'tanh', 'tanh_shrink', None]
ACTIVATIONS_BAD = ['glu', 'threshold', 'gelu_new', 'Relu', 'RELU', 'relu ', 'swish_', 'foo', 3, True, [], {'a': 1},
                   'linear_', '__proto__', 'tanh_', 'hard-sigmoid']


def initializers_ok(rng):
    return rng.choice([
        'zeros', 'ones', 'zero', 'one', 'glorot_uniform', 'glorot_normal', 'he_uniform', 'he_normal', 'lecun_uniform',
        'lecun_normal', 'random_normal', 'random_uniform', 'truncated_normal', 'variance_scaling', 'orthogonal',
        'constant', 'normal', 'uniform', 'Zeros', 'Ones', 'GlorotUniform', 'HeNormal', 'Orthogonal', 'RandomNormal',
        'TruncatedNormal', 'VarianceScaling', 'LecunNormal', 'OrthogonalInitializer', None,
        {'class_name': 'RandomNormal', 'config': {'mean': 0.5, 'stddev': 0.2, 'seed': 7}},
        env('keras.initializers', 'RandomUniform', {'minval': -1.0, 'maxval': 2.0, 'seed': None}),
        env('keras.initializers', 'TruncatedNormal', {'mean': 0.0, 'stddev': 1.5, 'seed': 3}),
        env('keras.initializers', 'Constant', {'value': 0.25}),
        {'class_name': 'Constant', 'config': {}},
        env('keras.initializers', 'VarianceScaling',
            {'scale': 2.0, 'mode': 'fan_out', 'distribution': 'untruncated_normal', 'seed': 1}),
        env('keras.initializers', 'VarianceScaling', {'scale': 0.5, 'mode': 'fan_avg', 'distribution': 'normal'}),
        env('keras.initializers', 'VarianceScaling', {'scale': 1.0, 'mode': 'fan_in', 'distribution': 'UNIFORM'}),
        env('keras.initializers', 'VarianceScaling',
            {'scale': 1.0, 'mode': 'fan_in', 'distribution': 'uniform', 'seed': None, 'input_axes': None,
             'output_axes': None}),
        env('keras.initializers', 'GlorotUniform', {'seed': 5, 'input_axes': [0], 'output_axes': [-1]}),
        env('keras.initializers', 'HeNormal', {'seed': None, 'input_axes': [-2, 0], 'output_axes': [-1, -1]}),
        env('keras.initializers', 'LecunUniform', {'seed': None, 'input_axes': [], 'output_axes': []}),
        env('keras.initializers', 'GlorotNormal', {'seed': None, 'input_axes': [0], 'output_axes': None}),
        env('keras.initializers', 'Orthogonal', {'gain': 0.5, 'seed': 2}),
        env('keras.initializers', 'Zeros', {}),
    ])


INITIALIZERS_BAD = [
    'foo', 'GlorotUniformV2', 'glorotuniform', 'Glorot_Uniform', 'identity', 'Identity', 'stft', 'initializer',
    3, True, [], {'class_name': 'VarianceScaling', 'config': {'scale': -1.0}},
    {'class_name': 'VarianceScaling', 'config': {'scale': 0.0}},
    {'class_name': 'VarianceScaling', 'config': {'mode': 'fan_x'}},
    {'class_name': 'VarianceScaling', 'config': {'distribution': 'gaussian'}},
    {'class_name': 'RandomNormal', 'config': {'stdev': 1.0}},
    {'class_name': 'RandomNormal', 'config': {'seed': 'x'}},
    {'class_name': 'GlorotUniform', 'config': {'input_axes': [0], 'output_axes': [9]}},
    {'class_name': 'GlorotUniform', 'config': {'input_axes': [-9], 'output_axes': [0]}},
    {'class_name': 'Foo', 'config': {}},
    {'class_name': 'Ones'},
    {'config': {}},
    {'class_name': 'Constant', 'config': {'value': 'x'}},
    {'class_name': 'HeUniformV2', 'config': {}},
]

REGULARIZERS_OK = [None, 'l1', 'l2', 'L1', 'L2', 'L1L2', 'l1l2',
                   env('keras.regularizers', 'L1', {'l1': 0.3}),
                   env('keras.regularizers', 'L2', {'l2': 0.0}),
                   env('keras.regularizers', 'L1L2', {'l1': 0.1, 'l2': 0.2}),
                   {'class_name': 'L1L2', 'config': {}}]
REGULARIZERS_BAD = ['l1_l2', 'L1l2', 'l3', 'foo', 3, True,
                    {'class_name': 'L1', 'config': {'l1': -1.0}},
                    {'class_name': 'L2', 'config': {'l1': 1.0}},
                    {'class_name': 'L1L2', 'config': {'l1': 'x'}},
                    {'class_name': 'L1L2V2', 'config': {}}]

CONSTRAINTS_OK = [None, 'max_norm', 'non_neg', 'unit_norm', 'min_max_norm', 'MaxNorm', 'NonNeg', 'UnitNorm',
                  'MinMaxNorm',
                  env('keras.constraints', 'MaxNorm', {'max_value': 3.0, 'axis': [0, 1, 2]}),
                  env('keras.constraints', 'MaxNorm', {'max_value': 1.5, 'axis': 0}),
                  env('keras.constraints', 'MinMaxNorm', {'min_value': 0.5, 'max_value': 2.0, 'rate': 0.5, 'axis': 0}),
                  env('keras.constraints', 'UnitNorm', {'axis': -1})]
CONSTRAINTS_BAD = ['maxnorm', 'nonneg', 'unitnorm', 'radial_constraint', 'RadialConstraint', 'foo', 3,
                   {'class_name': 'MaxNorm', 'config': {'max_value': 'x'}},
                   {'class_name': 'MinMaxNorm', 'config': {'rate': 'x'}},
                   {'class_name': 'MaxNorm', 'config': {'maxvalue': 2}}]

DTYPES_OK = ['float32', env('keras', 'DTypePolicy', {'name': 'float32'}), None]
DTYPES_BAD = ['float16', 'mixed_float16', 'bfloat16', 'int32', 'float', 'foo', 3,
              env('keras', 'DTypePolicy', {'name': 'foo'})]

NAMES_BAD = ['a/b', 3, True, '']
BOOL_BAD = [0, 1, 'true', None, 'False']
FLOAT_BAD = ['0.5', None, True, [0.5]]
DATA_FORMATS = ['channels_last', 'channels_first', None, 'CHANNELS_FIRST', 'Channels_Last']
DATA_FORMATS_BAD = ['channels_middle', 'NHWC', 'nchw', 3, True, '']
PADDINGS = ['valid', 'same', 'VALID', 'Same']
PADDINGS_BAD = ['causal', 'full', 'foo', 3, None, '']
INT_BAD = [0, -1, 2.5, '3', True, None, [2], 1e10]
PAIR_BAD = [0, -1, [3], [3, 0], [1, 2, 3], '3', [2.5, 1], [True, 1], None, [[1, 1], [1, 1]], [1, None]]

BOOKKEEPING_BAD = {
    'batch_input_shape': lambda shp: [None] + list(shp[1:]),
    'batch_size': lambda shp: 2,
    'kernel_sise': lambda shp: 3,
    'weights': lambda shp: None,
    'foo': lambda shp: 1,
    'input_dim': lambda shp: 'x',
    'inbound_nodes': lambda shp: [],
}


# -------------------------------------------------------------------------------------
# kinds
# -------------------------------------------------------------------------------------

class Kind:
    """A layer kind: how to draw a random config and its input shapes, and how to break a config."""

    def __init__(self, name, cls, draw, inputs, mutations, required=(), count=40, mutated=40,
                 value_range=(-2.0, 2.0), multi=False, extra=None):
        self.name = name
        self.cls = cls
        self.draw = draw            # rng -> config
        self.inputs = inputs        # rng, config -> list of input shapes (batch None or 2 first)
        self.mutations = mutations  # dict key -> list of bad values (or a callable rng -> value)
        self.required = required
        self.count = count
        self.mutated = mutated
        self.value_range = value_range
        self.multi = multi
        self.extra = extra or {}


def maybe(rng, p=0.5):
    return rng.random() < p


def pick_optional(rng, cfg, key, choices, p=0.5):
    if maybe(rng, p):
        v = choices(rng) if callable(choices) else rng.choice(choices)
        cfg[key] = copy.deepcopy(v)


def bookkeeping(rng, cfg):
    if maybe(rng, 0.3):
        cfg['name'] = rng.choice(['layer_a', 'x', 'the_layer_0', 'constructor', 'layer-b'])
    pick_optional(rng, cfg, 'trainable', [True, False], 0.2)
    pick_optional(rng, cfg, 'dtype', DTYPES_OK, 0.2)
    if maybe(rng, 0.05):
        cfg['autocast'] = rng.choice([True, False])
    if maybe(rng, 0.05):
        cfg['activity_regularizer'] = copy.deepcopy(rng.choice(REGULARIZERS_OK))
    return cfg


BOOKKEEPING_MUTATIONS = {
    'name': NAMES_BAD,
    'trainable': BOOL_BAD,
    'dtype': DTYPES_BAD,
    'autocast': ['yes', None, 2],
    'activity_regularizer': REGULARIZERS_BAD[:4],
}


def image_shape(rng, data_format, rows=None, cols=None, channels=None, unknown=0.15):
    r = rows if rows is not None else rng.randint(1, 7)
    c = cols if cols is not None else rng.randint(1, 7)
    ch = channels if channels is not None else rng.randint(1, 4)
    if maybe(rng, unknown):
        r_s, c_s = None, None
    else:
        r_s, c_s = r, c
    fmt = (data_format or 'channels_last').lower()
    sym = [None, ch, r_s, c_s] if fmt == 'channels_first' else [None, r_s, c_s, ch]
    con = [2, ch, r, c] if fmt == 'channels_first' else [2, r, c, ch]
    return [{'symbolic': sym, 'concrete': con}]


def int_or_pair(rng, lo, hi):
    if maybe(rng):
        return rng.randint(lo, hi)
    return [rng.randint(lo, hi), rng.randint(lo, hi)]


def any_rank(rng, lo, hi, dims=(1, 5), last=None, unknown=0.1):
    rank = rng.randint(lo, hi)
    con = [2] + [rng.randint(*dims) for _ in range(rank - 1)]
    if last is not None and rank > 1:
        con[-1] = last
    sym = [None] + [None if (maybe(rng, unknown) and i < rank - 2) else d for i, d in enumerate(con[1:])]
    return [{'symbolic': sym, 'concrete': con}]


# --- Conv2D ------------------------------------------------------------------------------

def draw_conv2d(rng):
    cfg = {'filters': rng.randint(1, 6), 'kernel_size': int_or_pair(rng, 1, 3)}
    pick_optional(rng, cfg, 'strides', lambda r: int_or_pair(r, 1, 3))
    pick_optional(rng, cfg, 'padding', PADDINGS)
    pick_optional(rng, cfg, 'data_format', DATA_FORMATS)
    pick_optional(rng, cfg, 'dilation_rate', lambda r: int_or_pair(r, 1, 3), 0.4)
    if maybe(rng, 0.3):
        g = rng.randint(1, 3)
        cfg['groups'] = g
        cfg['filters'] = g * rng.randint(1, 3)
    pick_optional(rng, cfg, 'activation', ACTIVATIONS, 0.6)
    pick_optional(rng, cfg, 'use_bias', [True, False])
    pick_optional(rng, cfg, 'kernel_initializer', initializers_ok, 0.3)
    pick_optional(rng, cfg, 'bias_initializer', initializers_ok, 0.3)
    pick_optional(rng, cfg, 'kernel_regularizer', REGULARIZERS_OK, 0.3)
    pick_optional(rng, cfg, 'bias_regularizer', REGULARIZERS_OK, 0.2)
    pick_optional(rng, cfg, 'activity_regularizer', REGULARIZERS_OK, 0.2)
    pick_optional(rng, cfg, 'kernel_constraint', CONSTRAINTS_OK, 0.3)
    pick_optional(rng, cfg, 'bias_constraint', CONSTRAINTS_OK, 0.2)
    if maybe(rng, 0.05):
        cfg['lora_rank'] = rng.randint(1, 3)
        pick_optional(rng, cfg, 'lora_alpha', [1.0, 4.0, None])
    return bookkeeping(rng, cfg)


def conv_inputs(rng, cfg):
    g = cfg.get('groups', 1) if isinstance(cfg.get('groups', 1), int) and cfg.get('groups', 1) > 0 else 1
    ch = g * rng.randint(1, 3) if maybe(rng, 0.9) else rng.randint(1, 5)
    return image_shape(rng, cfg.get('data_format') if isinstance(cfg.get('data_format'), str) else None, channels=ch)


CONV_MUTATIONS = {
    'filters': INT_BAD,
    'kernel_size': PAIR_BAD,
    'strides': PAIR_BAD,
    'padding': PADDINGS_BAD,
    'data_format': DATA_FORMATS_BAD,
    'dilation_rate': PAIR_BAD,
    'groups': INT_BAD + [4, 5],
    'activation': ACTIVATIONS_BAD,
    'use_bias': BOOL_BAD,
    'kernel_initializer': INITIALIZERS_BAD,
    'bias_initializer': INITIALIZERS_BAD,
    'kernel_regularizer': REGULARIZERS_BAD,
    'bias_regularizer': REGULARIZERS_BAD,
    'kernel_constraint': CONSTRAINTS_BAD,
    'bias_constraint': CONSTRAINTS_BAD,
    'lora_rank': [0, -1, 'x', 1.5],
    'lora_alpha': ['x', [1]],
    'nb_filter': [3],
    'border_mode': ['same'],
    'subsample': [[1, 1]],
}


# --- DepthwiseConv2D -----------------------------------------------------------------------

def draw_depthwise(rng):
    cfg = {'kernel_size': int_or_pair(rng, 1, 3)}
    pick_optional(rng, cfg, 'strides', lambda r: int_or_pair(r, 1, 3))
    pick_optional(rng, cfg, 'padding', PADDINGS)
    pick_optional(rng, cfg, 'depth_multiplier', [1, 2, 3])
    pick_optional(rng, cfg, 'data_format', DATA_FORMATS)
    pick_optional(rng, cfg, 'dilation_rate', lambda r: int_or_pair(r, 1, 3), 0.4)
    pick_optional(rng, cfg, 'activation', ACTIVATIONS, 0.5)
    pick_optional(rng, cfg, 'use_bias', [True, False])
    pick_optional(rng, cfg, 'depthwise_initializer', initializers_ok, 0.3)
    pick_optional(rng, cfg, 'bias_initializer', initializers_ok, 0.2)
    pick_optional(rng, cfg, 'depthwise_regularizer', REGULARIZERS_OK, 0.3)
    pick_optional(rng, cfg, 'bias_regularizer', REGULARIZERS_OK, 0.2)
    pick_optional(rng, cfg, 'activity_regularizer', REGULARIZERS_OK, 0.2)
    pick_optional(rng, cfg, 'depthwise_constraint', CONSTRAINTS_OK, 0.3)
    pick_optional(rng, cfg, 'bias_constraint', CONSTRAINTS_OK, 0.2)
    return bookkeeping(rng, cfg)


DEPTHWISE_MUTATIONS = {
    'kernel_size': PAIR_BAD, 'strides': PAIR_BAD, 'padding': PADDINGS_BAD, 'depth_multiplier': INT_BAD,
    'data_format': DATA_FORMATS_BAD, 'dilation_rate': PAIR_BAD, 'activation': ACTIVATIONS_BAD,
    'use_bias': BOOL_BAD, 'depthwise_initializer': INITIALIZERS_BAD, 'bias_initializer': INITIALIZERS_BAD,
    'depthwise_regularizer': REGULARIZERS_BAD, 'depthwise_constraint': CONSTRAINTS_BAD,
    'filters': [3], 'groups': [1, 2], 'kernel_initializer': ['zeros'], 'lora_rank': [2],
}


# --- Dense --------------------------------------------------------------------------------

def draw_dense(rng):
    cfg = {'units': rng.randint(1, 6)}
    pick_optional(rng, cfg, 'activation', ACTIVATIONS, 0.6)
    pick_optional(rng, cfg, 'use_bias', [True, False])
    pick_optional(rng, cfg, 'kernel_initializer', initializers_ok, 0.3)
    pick_optional(rng, cfg, 'bias_initializer', initializers_ok, 0.2)
    if maybe(rng, 0.05):
        cfg['kernel_initializer'] = rng.choice(['identity', 'Identity', env('keras.initializers', 'Identity', {'gain': 2.0})])
    pick_optional(rng, cfg, 'kernel_regularizer', REGULARIZERS_OK, 0.3)
    pick_optional(rng, cfg, 'bias_regularizer', REGULARIZERS_OK, 0.2)
    pick_optional(rng, cfg, 'activity_regularizer', REGULARIZERS_OK, 0.2)
    pick_optional(rng, cfg, 'kernel_constraint', CONSTRAINTS_OK, 0.3)
    pick_optional(rng, cfg, 'bias_constraint', CONSTRAINTS_OK, 0.2)
    pick_optional(rng, cfg, 'quantization_config', [None], 0.3)
    if maybe(rng, 0.08):
        cfg['lora_rank'] = rng.randint(1, 3)
        pick_optional(rng, cfg, 'lora_alpha', [1.0, 4.0, None])
        cfg.pop('kernel_constraint', None)
    return bookkeeping(rng, cfg)


DENSE_MUTATIONS = {
    'units': INT_BAD, 'activation': ACTIVATIONS_BAD, 'use_bias': BOOL_BAD,
    'kernel_initializer': INITIALIZERS_BAD, 'bias_initializer': INITIALIZERS_BAD,
    'kernel_regularizer': REGULARIZERS_BAD, 'kernel_constraint': CONSTRAINTS_BAD,
    'quantization_config': [{'mode': 'int8'}, 'int8', 3],
    'lora_rank': [2, 0, 'x'], 'lora_alpha': ['x'], 'output_dim': [3],
}


# --- simple kinds ---------------------------------------------------------------------------

def draw_flatten(rng):
    cfg = {}
    pick_optional(rng, cfg, 'data_format', DATA_FORMATS)
    return bookkeeping(rng, cfg)


def draw_reshape(rng):
    return bookkeeping(rng, {'target_shape': None})  # filled from the input in `reshape_inputs`


def reshape_inputs(rng, cfg):
    shp = any_rank(rng, 2, 4, dims=(1, 4), unknown=0.15)
    return shp


def finish_reshape(rng, cfg, shapes):
    dims = shapes[0]['concrete'][1:]
    size = int(np.prod(dims))
    # a random factorization of size, maybe with one -1
    parts = []
    rest = size
    for _ in range(rng.randint(0, 2)):
        divs = [d for d in range(1, rest + 1) if rest % d == 0]
        d = rng.choice(divs)
        parts.append(d)
        rest //= d
    parts.append(rest)
    rng.shuffle(parts)
    if maybe(rng, 0.4):
        parts[rng.randrange(len(parts))] = -1
    if maybe(rng, 0.15):
        parts = rng.choice([[size + 1], [-1, -1], [0, size], [size, 0], [-2], [2.0, size / 2.0], []])
    cfg['target_shape'] = parts
    return cfg


def draw_activation(rng):
    return bookkeeping(rng, {'activation': rng.choice(ACTIVATIONS)})


def draw_relu(rng):
    cfg = {}
    pick_optional(rng, cfg, 'max_value', [None, 0.0, 6.0, 1.5, 0.2, 100.0, 3])
    pick_optional(rng, cfg, 'negative_slope', [0.0, 0.1, 0.5, 2.0, 0])
    pick_optional(rng, cfg, 'threshold', [0.0, 0.5, 1.0, 0.25, 0])
    return bookkeeping(rng, cfg)


def draw_leaky(rng):
    cfg = {}
    pick_optional(rng, cfg, 'negative_slope', [0.0, 0.3, 0.01, 1.5, 1])
    if maybe(rng, 0.15):
        cfg['alpha'] = rng.choice([0.2, 0.0, 0.5])
    return bookkeeping(rng, cfg)


def draw_softmax(rng):
    cfg = {}
    pick_optional(rng, cfg, 'axis', [-1, 1, 2, -2, [1, 2], [-1, -2], [-1]])
    return bookkeeping(rng, cfg)


def draw_dropout(rng):
    cfg = {'rate': rng.choice([0.0, 0.1, 0.5, 0.99, 1.0, 0, 1])}
    pick_optional(rng, cfg, 'noise_shape', [None, [None, 1, None], [None, 1, 1], [2, None, None]], 0.3)
    pick_optional(rng, cfg, 'seed', [None, 0, 42, -3], 0.3)
    return bookkeeping(rng, cfg)


def draw_spatial_dropout(rng):
    cfg = {'rate': rng.choice([0.0, 0.1, 0.5, 1.0])}
    pick_optional(rng, cfg, 'data_format', DATA_FORMATS)
    pick_optional(rng, cfg, 'seed', [None, 0, 42], 0.3)
    if maybe(rng, 0.3):
        cfg['name'] = 'sd'
    if maybe(rng, 0.3):
        cfg['dtype'] = rng.choice(DTYPES_OK)
    return cfg


def factor_ok(rng):
    return rng.choice([0.0, 0.1, 0.5, 1.0, [0.1, 0.3], [-0.2, 0.1], [0.0, 0.0], [-0.5, -0.1], 0.2])


def draw_random_flip(rng):
    cfg = {}
    pick_optional(rng, cfg, 'mode', ['horizontal', 'vertical', 'horizontal_and_vertical'])
    pick_optional(rng, cfg, 'seed', [None, 3], 0.3)
    pick_optional(rng, cfg, 'data_format', DATA_FORMATS, 0.3)
    return bookkeeping(rng, cfg)


def affine(rng, cfg):
    pick_optional(rng, cfg, 'fill_mode', ['reflect', 'wrap', 'constant', 'nearest'])
    pick_optional(rng, cfg, 'interpolation', ['nearest', 'bilinear'])
    pick_optional(rng, cfg, 'seed', [None, 7], 0.3)
    pick_optional(rng, cfg, 'fill_value', [0.0, 1.5, -2.0])
    pick_optional(rng, cfg, 'data_format', DATA_FORMATS, 0.3)
    return cfg


def draw_random_rotation(rng):
    return bookkeeping(rng, affine(rng, {'factor': factor_ok(rng)}))


def draw_random_zoom(rng):
    cfg = {'height_factor': factor_ok(rng)}
    pick_optional(rng, cfg, 'width_factor', lambda r: r.choice([None, factor_ok(r)]))
    return bookkeeping(rng, affine(rng, cfg))


def draw_random_translation(rng):
    return bookkeeping(rng, affine(rng, {'height_factor': factor_ok(rng), 'width_factor': factor_ok(rng)}))


def draw_random_contrast(rng):
    cfg = {'factor': rng.choice([0.0, 0.1, 0.5, 1.0, [0.1, 0.3], [0.0, 0.9], 0.2])}
    pick_optional(rng, cfg, 'value_range', [[0, 255], [0, 1], [-1, 1], [0.0, 1.0]])
    pick_optional(rng, cfg, 'seed', [None, 1], 0.3)
    pick_optional(rng, cfg, 'data_format', DATA_FORMATS, 0.3)
    return bookkeeping(rng, cfg)


def draw_random_brightness(rng):
    cfg = {'factor': rng.choice([0.0, 0.1, 0.5, 1.0, [0.1, 0.3], [-0.2, 0.1], -0.3])}
    pick_optional(rng, cfg, 'value_range', [[0, 255], [0, 1], [-1, 1], [1, 0]])
    pick_optional(rng, cfg, 'seed', [None, 1], 0.3)
    pick_optional(rng, cfg, 'data_format', DATA_FORMATS, 0.3)
    return bookkeeping(rng, cfg)


IMAGE_MUTATIONS = {'seed': ['x', 1.5], 'data_format': DATA_FORMATS_BAD, 'bounding_box_format': [3]}
AFFINE_MUTATIONS = {**IMAGE_MUTATIONS, 'fill_mode': ['mirror', 'REFLECT', 3, None],
                    'interpolation': ['bicubic', 'NEAREST', 'area', 3, None], 'fill_value': FLOAT_BAD}
FACTOR_BAD = [-0.1, 1.5, [0.1], [0.1, 0.2, 0.3], 'x', None, [0.3, 0.1], [-1.5, 0.1], [0.1, 'x']]


def numbers_like(rng):
    """A scale / offset value: a number, a list per channel, a nested list, a serialized NumPy array."""
    c = rng.randint(1, 4)
    kind = rng.randrange(8)
    if kind == 0:
        return round(rng.uniform(-2, 2), 3), None
    if kind == 1:
        return rng.choice([1 / 255.0, 0.5, 2, -1, 0]), None
    if kind == 2:
        return [round(rng.uniform(-2, 2), 3) for _ in range(c)], c
    if kind == 3:
        return [round(rng.uniform(-2, 2), 3)], None
    if kind == 4:
        return {'class_name': '__numpy__',
                'config': {'value': [round(rng.uniform(-2, 2), 3) for _ in range(c)], 'dtype': 'float32'}}, c
    if kind == 5:
        return {'class_name': '__numpy__', 'config': {'value': round(rng.uniform(0, 2), 3), 'dtype': 'float64'}}, None
    if kind == 6:
        return [[round(rng.uniform(-2, 2), 3) for _ in range(c)]], c
    return [[[round(rng.uniform(-2, 2), 3)] * c]], c


def draw_rescaling(rng):
    scale, c1 = numbers_like(rng)
    cfg = {'scale': scale}
    c2 = None
    if maybe(rng, 0.6):
        cfg['offset'], c2 = numbers_like(rng)
    cfg['__channels'] = c1 or c2 or rng.randint(1, 4)
    if c1 is not None and c2 is not None and c1 != c2 and maybe(rng, 0.8):
        cfg['offset'] = 0.5
        cfg['__channels'] = c1
    return bookkeeping(rng, cfg)


def rescaling_inputs(rng, cfg):
    c = cfg.pop('__channels', 3)
    if maybe(rng, 0.7):
        return image_shape(rng, 'channels_last', channels=c)
    return any_rank(rng, 2, 3, last=c)


RESCALING_MUTATIONS = {'scale': ['x', None, [1, 'x'], {'class_name': '__numpy__', 'config': {}}, [], True],
                       'offset': ['x', None, [[1], [2, 3]], True]}


def draw_normalization(rng):
    cfg = {}
    axis = rng.choice([-1, 1, 2, 3, [-1], [1, 2], [1, -1], None, [], (-2, -1), [0]])
    if axis != -1 or maybe(rng, 0.5):
        cfg['axis'] = list(axis) if isinstance(axis, tuple) else axis
    pick_optional(rng, cfg, 'invert', [True, False], 0.4)
    if maybe(rng, 0.5):
        cfg['__given'] = True
    return bookkeeping(rng, cfg)


def normalization_inputs(rng, cfg):
    rank = rng.randint(2, 4)
    con = [2] + [rng.randint(1, 4) for _ in range(rank - 1)]
    sym = [None] + con[1:]
    if cfg.pop('__given', False):
        axis = cfg.get('axis', -1)
        axes = [] if axis is None else ([axis] if isinstance(axis, int) else list(axis))
        kept = sorted({a % rank for a in axes if -rank <= a < rank})
        shape = [con[a] for a in kept]
        form = rng.randrange(5)
        if form == 0 or not shape:
            mean, var = round(rng.uniform(-1, 1), 3), round(rng.uniform(0.1, 2), 3)
        else:
            if form == 1 and len(shape) > 1:
                shape = shape[1:]  # broadcast from the right
            if form == 2:
                shape = [1] * len(shape)
            n = int(np.prod(shape))
            mean = np.round(np.array([rng.uniform(-1, 1) for _ in range(n)]).reshape(shape), 3).tolist()
            var = np.round(np.array([rng.uniform(0.1, 2) for _ in range(n)]).reshape(shape), 3).tolist()
            if form == 4:
                var = (np.array(var) * 0).tolist()
        cfg['mean'] = mean
        cfg['variance'] = var
    return [{'symbolic': sym, 'concrete': con}]


NORMALIZATION_MUTATIONS = {'axis': ['x', 1.5, [1, 'x'], 9, [9], [-9]], 'invert': BOOL_BAD,
                           'mean': [[1.0, 2.0, 3.0, 4.0, 5.0], 'x', [[1.0], [2.0, 3.0]]],
                           'variance': [[1.0, 2.0, 3.0, 4.0, 5.0], 'x']}


def draw_pooling(rng, required=False):
    cfg = {}
    if required or maybe(rng):
        cfg['pool_size'] = int_or_pair(rng, 1, 3)
    pick_optional(rng, cfg, 'strides', lambda r: r.choice([None, int_or_pair(r, 1, 3)]))
    pick_optional(rng, cfg, 'padding', PADDINGS)
    pick_optional(rng, cfg, 'data_format', DATA_FORMATS)
    return bookkeeping(rng, cfg)


POOL_MUTATIONS = {'pool_size': PAIR_BAD, 'strides': PAIR_BAD[:-2], 'padding': PADDINGS_BAD,
                  'data_format': DATA_FORMATS_BAD}


def draw_global(rng):
    cfg = {}
    pick_optional(rng, cfg, 'data_format', DATA_FORMATS)
    pick_optional(rng, cfg, 'keepdims', [True, False])
    return bookkeeping(rng, cfg)


def sides_ok(rng, hi):
    return rng.choice([rng.randint(0, hi), [rng.randint(0, hi), rng.randint(0, hi)],
                       [[rng.randint(0, hi), rng.randint(0, hi)], [rng.randint(0, hi), rng.randint(0, hi)]],
                       [[rng.randint(0, hi), rng.randint(0, hi)], rng.randint(0, hi)]])


SIDES_BAD = [-1, [1], [1, 2, 3], [[1, 2, 3], [1, 1]], [[-1, 0], [0, 0]], 'x', None, [1.5, 1], [[1, 1]]]


def draw_zero_padding(rng):
    cfg = {}
    pick_optional(rng, cfg, 'padding', lambda r: sides_ok(r, 3))
    pick_optional(rng, cfg, 'data_format', DATA_FORMATS)
    return bookkeeping(rng, cfg)


def draw_cropping(rng):
    cfg = {}
    pick_optional(rng, cfg, 'cropping', lambda r: sides_ok(r, 2), 0.8)
    pick_optional(rng, cfg, 'data_format', DATA_FORMATS)
    return bookkeeping(rng, cfg)


def draw_upsampling(rng):
    cfg = {}
    pick_optional(rng, cfg, 'size', lambda r: int_or_pair(r, 1, 3))
    pick_optional(rng, cfg, 'data_format', DATA_FORMATS)
    pick_optional(rng, cfg, 'interpolation', ['nearest', 'bilinear', 'NEAREST', 'Bilinear'])
    return bookkeeping(rng, cfg)


def draw_batchnorm(rng):
    cfg = {}
    pick_optional(rng, cfg, 'axis', [-1, 1, 2, 3, -2, -3])
    pick_optional(rng, cfg, 'momentum', [0.99, 0.9, 0.0, 1.0, 0.5, 1])
    pick_optional(rng, cfg, 'epsilon', [1e-3, 1e-5, 0.1, 0.0, 1e-8, 1])
    pick_optional(rng, cfg, 'center', [True, False])
    pick_optional(rng, cfg, 'scale', [True, False])
    for k in ['beta_initializer', 'gamma_initializer', 'moving_mean_initializer', 'moving_variance_initializer']:
        pick_optional(rng, cfg, k, initializers_ok, 0.15)
    for k in ['beta_regularizer', 'gamma_regularizer']:
        pick_optional(rng, cfg, k, REGULARIZERS_OK, 0.15)
    for k in ['beta_constraint', 'gamma_constraint']:
        pick_optional(rng, cfg, k, CONSTRAINTS_OK, 0.15)
    pick_optional(rng, cfg, 'synchronized', [False, True], 0.2)
    if maybe(rng, 0.4):
        cfg['renorm'] = rng.choice([True, False])
        pick_optional(rng, cfg, 'renorm_clipping',
                      [None, {}, {'rmax': 3.0}, {'rmin': 0.5, 'rmax': 2.0, 'dmax': 1.0}, {'dmax': 0.0}])
        pick_optional(rng, cfg, 'renorm_momentum', [0.99, 0.5, 0.0, 1.0])
    return bookkeeping(rng, cfg)


BATCHNORM_MUTATIONS = {
    'axis': ['x', 1.5, [1, 2], [-1], 9, None, True],
    'momentum': FLOAT_BAD, 'epsilon': FLOAT_BAD + [-1.0], 'center': BOOL_BAD, 'scale': BOOL_BAD,
    'beta_initializer': INITIALIZERS_BAD, 'gamma_initializer': INITIALIZERS_BAD,
    'moving_mean_initializer': INITIALIZERS_BAD[:8], 'moving_variance_initializer': INITIALIZERS_BAD[:8],
    'beta_regularizer': REGULARIZERS_BAD, 'gamma_constraint': CONSTRAINTS_BAD,
    'synchronized': BOOL_BAD,
    'renorm': [1, 'yes', None],
    'renorm_clipping': [{'rmax': 1.0, 'rmin': 2.0}, {'dmax': -1.0}, {'foo': 1.0}, 'x', 3, [1]],
    'renorm_momentum': ['x', None, [0.5]],
    'fused': [True, False, None], 'virtual_batch_size': [None, 2], 'adjustment': [None],
}


def merge_inputs(rng, cfg, kind):
    n = 2 if kind == 'Subtract' else rng.randint(1, 3) if kind != 'Concatenate' else rng.randint(1, 3)
    rank = rng.randint(2, 4)
    base = [2] + [rng.randint(1, 4) for _ in range(rank - 1)]
    shapes = []
    for i in range(n):
        s = list(base)
        if kind == 'Concatenate':
            axis = cfg.get('axis', -1)
            if isinstance(axis, int) and -rank <= axis < rank and axis % rank != 0:
                s[axis] = rng.randint(1, 4)
        elif maybe(rng, 0.3):
            # broadcasting: a 1 somewhere, or a lower rank
            if maybe(rng) and rank > 2:
                s[rng.randint(1, rank - 1)] = 1
            elif rank > 2:
                s = [2] + s[2:]
        if maybe(rng, 0.05):
            s[-1] = s[-1] + 1  # incompatible
        sym = [None] + [None if maybe(rng, 0.08) else d for d in s[1:]]
        shapes.append({'symbolic': sym, 'concrete': s})
    return shapes


def draw_merge(rng):
    return bookkeeping(rng, {})


def draw_concatenate(rng):
    cfg = {}
    pick_optional(rng, cfg, 'axis', [-1, 1, 2, -2, 3, 0, -3])
    return bookkeeping(rng, cfg)


def draw_input_layer(rng):
    cfg = {}
    form = rng.randrange(4)
    dims = [rng.randint(1, 5) for _ in range(rng.randint(1, 3))]
    if form == 0:
        cfg['batch_shape'] = [None] + dims
    elif form == 1:
        cfg['shape'] = dims
        pick_optional(rng, cfg, 'batch_size', [None, 2, 4])
    elif form == 2:
        cfg['batch_shape'] = [rng.choice([None, 1, 3])] + [None if maybe(rng, 0.2) else d for d in dims]
    else:
        cfg['input_shape'] = dims
    pick_optional(rng, cfg, 'dtype', ['float32', None, 'float64'], 0.4)
    pick_optional(rng, cfg, 'sparse', [False, None], 0.3)
    pick_optional(rng, cfg, 'ragged', [False, None], 0.3)
    pick_optional(rng, cfg, 'optional', [False], 0.3)
    pick_optional(rng, cfg, 'name', ['in_a', 'input_x'], 0.5)
    return cfg


INPUT_MUTATIONS = {'batch_shape': ['x', [0, 3], [None, -1]], 'shape': ['x', [-1]], 'dtype': ['foo', 3],
                   'sparse': [True, 'x'], 'ragged': [True], 'optional': [True, 'x'], 'name': [3],
                   'batch_input_shape': [[None, 3]], 'batch_size': [0, 'x'], 'foo': [1]}


def simple_inputs(lo=2, hi=4, dims=(1, 5)):
    return lambda rng, cfg: any_rank(rng, lo, hi, dims=dims)


def image_inputs(rng, cfg):
    fmt = cfg.get('data_format')
    return image_shape(rng, fmt if isinstance(fmt, str) else None)


def batchnorm_inputs(rng, cfg):
    return any_rank(rng, 2, 4, dims=(1, 4), unknown=0.15)


def softmax_inputs(rng, cfg):
    return any_rank(rng, 2, 4, dims=(1, 5), unknown=0.1)


KINDS = [
    Kind('Conv2D', L.Conv2D, draw_conv2d, conv_inputs, CONV_MUTATIONS, ('filters', 'kernel_size'), 60, 70),
    Kind('DepthwiseConv2D', L.DepthwiseConv2D, draw_depthwise, image_inputs, DEPTHWISE_MUTATIONS, ('kernel_size',), 45, 45),
    Kind('Dense', L.Dense, draw_dense, simple_inputs(2, 4), DENSE_MUTATIONS, ('units',), 45, 45),
    Kind('Flatten', L.Flatten, draw_flatten, simple_inputs(2, 5, (1, 4)), {'data_format': DATA_FORMATS_BAD}, (), 15, 12),
    Kind('Reshape', L.Reshape, draw_reshape, reshape_inputs, {'target_shape': ['x', None, [2.5], [[2]], 3]}, ('target_shape',), 30, 12),
    Kind('Activation', L.Activation, draw_activation, simple_inputs(2, 4), {'activation': ACTIVATIONS_BAD}, ('activation',), 50, 25, (-4.0, 4.0)),
    Kind('ReLU', L.ReLU, draw_relu, simple_inputs(2, 4), {'max_value': [-1.0, 'x', True], 'negative_slope': [-0.1, 'x', None], 'threshold': [-1.0, 'x', None]}, (), 30, 15, (-3.0, 8.0)),
    Kind('LeakyReLU', L.LeakyReLU, draw_leaky, simple_inputs(2, 4), {'negative_slope': [-0.1, 'x', None], 'alpha': [-0.5, 'x']}, (), 20, 10),
    Kind('Softmax', L.Softmax, draw_softmax, softmax_inputs, {'axis': ['x', 1.5, [1, 'x'], 9, [], [1, 1], 0, 'robust_masking'], 'robust_masking': [True]}, (), 25, 15, (-4.0, 4.0)),
    Kind('Dropout', L.Dropout, draw_dropout, simple_inputs(2, 4), {'rate': [-0.1, 1.5, 'x', None], 'noise_shape': ['x', [0, 1]], 'seed': ['x', 1.5]}, ('rate',), 20, 15),
    Kind('SpatialDropout2D', L.SpatialDropout2D, draw_spatial_dropout, image_inputs, {'rate': [-0.1, 1.5, 'x'], 'data_format': DATA_FORMATS_BAD, 'trainable': [True], 'noise_shape': [None], 'input_shape': [[4, 4, 3]], 'activity_regularizer': ['l2']}, ('rate',), 15, 12),
    Kind('RandomFlip', L.RandomFlip, draw_random_flip, image_inputs, {**IMAGE_MUTATIONS, 'mode': ['both', 'HORIZONTAL', 3, None]}, (), 12, 12),
    Kind('RandomRotation', L.RandomRotation, draw_random_rotation, image_inputs, {**AFFINE_MUTATIONS, 'factor': FACTOR_BAD}, ('factor',), 15, 18),
    Kind('RandomZoom', L.RandomZoom, draw_random_zoom, image_inputs, {**AFFINE_MUTATIONS, 'height_factor': FACTOR_BAD, 'width_factor': FACTOR_BAD}, ('height_factor',), 15, 18),
    Kind('RandomTranslation', L.RandomTranslation, draw_random_translation, image_inputs, {**AFFINE_MUTATIONS, 'height_factor': FACTOR_BAD, 'width_factor': FACTOR_BAD}, ('height_factor', 'width_factor'), 15, 18),
    Kind('RandomContrast', L.RandomContrast, draw_random_contrast, image_inputs, {**IMAGE_MUTATIONS, 'factor': FACTOR_BAD, 'value_range': ['x', [1], [0, 'x'], [1, 2, 3]]}, ('factor',), 15, 15),
    Kind('RandomBrightness', L.RandomBrightness, draw_random_brightness, image_inputs, {**IMAGE_MUTATIONS, 'factor': FACTOR_BAD, 'value_range': ['x', [1], [0, 'x']]}, ('factor',), 15, 15),
    Kind('Rescaling', L.Rescaling, draw_rescaling, rescaling_inputs, RESCALING_MUTATIONS, ('scale',), 40, 15, (0.0, 4.0)),
    Kind('Normalization', L.Normalization, draw_normalization, normalization_inputs, NORMALIZATION_MUTATIONS, (), 50, 20, (-3.0, 3.0)),
    Kind('MaxPooling2D', L.MaxPooling2D, draw_pooling, image_inputs, POOL_MUTATIONS, (), 35, 25),
    Kind('AveragePooling2D', L.AveragePooling2D, lambda r: draw_pooling(r, True), image_inputs, POOL_MUTATIONS, ('pool_size',), 35, 25),
    Kind('GlobalAveragePooling2D', L.GlobalAveragePooling2D, draw_global, image_inputs, {'data_format': DATA_FORMATS_BAD, 'keepdims': BOOL_BAD}, (), 15, 10),
    Kind('GlobalMaxPooling2D', L.GlobalMaxPooling2D, draw_global, image_inputs, {'data_format': DATA_FORMATS_BAD, 'keepdims': BOOL_BAD}, (), 15, 10),
    Kind('ZeroPadding2D', L.ZeroPadding2D, draw_zero_padding, image_inputs, {'padding': SIDES_BAD, 'data_format': DATA_FORMATS_BAD}, (), 25, 15),
    Kind('Cropping2D', L.Cropping2D, draw_cropping, image_inputs, {'cropping': SIDES_BAD, 'data_format': DATA_FORMATS_BAD}, (), 25, 15),
    Kind('UpSampling2D', L.UpSampling2D, draw_upsampling, image_inputs, {'size': PAIR_BAD, 'data_format': DATA_FORMATS_BAD, 'interpolation': ['bicubic', 'lanczos3', 'area', 'gaussian', 'foo', 3, None]}, (), 30, 15),
    Kind('BatchNormalization', L.BatchNormalization, draw_batchnorm, batchnorm_inputs, BATCHNORM_MUTATIONS, (), 50, 50),
    Kind('Add', L.Add, draw_merge, lambda r, c: merge_inputs(r, c, 'Add'), {'axis': [1]}, (), 15, 6, multi=True),
    Kind('Subtract', L.Subtract, draw_merge, lambda r, c: merge_inputs(r, c, 'Subtract'), {'axis': [1]}, (), 12, 6, multi=True),
    Kind('Multiply', L.Multiply, draw_merge, lambda r, c: merge_inputs(r, c, 'Multiply'), {'axis': [1]}, (), 12, 6, multi=True),
    Kind('Average', L.Average, draw_merge, lambda r, c: merge_inputs(r, c, 'Average'), {'axis': [1]}, (), 12, 6, multi=True),
    Kind('Maximum', L.Maximum, draw_merge, lambda r, c: merge_inputs(r, c, 'Maximum'), {'axis': [1]}, (), 12, 6, multi=True),
    Kind('Minimum', L.Minimum, draw_merge, lambda r, c: merge_inputs(r, c, 'Minimum'), {'axis': [1]}, (), 12, 6, multi=True),
    Kind('Concatenate', L.Concatenate, draw_concatenate, lambda r, c: merge_inputs(r, c, 'Concatenate'), {'axis': ['x', 1.5, [1], None]}, (), 25, 10, multi=True),
    Kind('InputLayer', L.InputLayer, draw_input_layer, None, INPUT_MUTATIONS, (), 25, 20),
]


# -------------------------------------------------------------------------------------
# running a case through Keras
# -------------------------------------------------------------------------------------

ANSI = re.compile(r'\x1b\[[0-9;]*m')


def error_text(e):
    """The exception's own message (without Keras's "Error when deserializing … using config=…" wrapper)."""
    text = ANSI.sub('', f'{type(e).__name__}: {e}')
    if 'Exception encountered:' in text:
        text = text.split('Exception encountered:', 1)[1].strip()
    text = ' '.join(text.split())
    return text[:240]


def describe_output(y):
    flat = np.asarray(y, dtype=np.float32).reshape(-1)
    n = flat.size
    finite = np.isfinite(flat)
    f64 = flat.astype(np.float64)
    idx = np.arange(n)
    weights = ((idx * 7919) % 1009) / 1009.0
    safe = np.where(finite, f64, 0.0)
    out = {
        'shape': [int(d) for d in np.shape(y)],
        'size': int(n),
        'nonfinite': int(n - int(finite.sum())),
        'maxabs': float(np.max(np.abs(safe))) if n else 0.0,
        'sum': float(safe.sum()),
        'sumsq': float((safe * safe).sum()),
        'wsum': float((safe * weights).sum()),
    }
    if n <= SAMPLE:
        values = flat
    else:
        values = flat[[int((k + 0.5) * n / SAMPLE) for k in range(SAMPLE)]]
    out['values'] = base64.b64encode(values.astype('<f4').tobytes()).decode('ascii')
    return out


CPU_KERNEL_GAPS = ('only supports the NHWC tensor format', 'only supports equal length strides')


def wrong_bias_axis(x1_shape, x2_shape):
    """Whether Keras 3.15's TensorFlow `ops.add(x1, x2)` adds x2 along the wrong axis.

    keras/src/backend/tensorflow/numpy.py `add` turns an addition of a tensor with one dim above 1 (a
    "bias") into `tf.nn.bias_add`, NHWC when that dim equals x1's last dim, else NCHW when it equals
    x1's axis 1, whatever axis the dim is really aligned with (NumPy broadcasting, from the right).
    """
    big = [(i, d) for i, d in enumerate(x2_shape) if d > 1]
    if len(big) != 1 or len(x1_shape) < 2:
        return False
    i, d = big[0]
    if d not in (x1_shape[1], x1_shape[-1]):
        return False
    axis = len(x1_shape) - (len(x2_shape) - i)  # where NumPy aligns the dim
    chosen = len(x1_shape) - 1 if x1_shape[-1] == d else 1
    return axis != chosen


def tf_bias_add_bug(name, layer, x, y):
    """Whether a case's output went through Keras 3.15's mis-broadcast bias add (see wrong_bias_axis)."""
    if name in ('Conv2D', 'DepthwiseConv2D') and getattr(layer, 'use_bias', False):
        rank = len(y.shape) - 2
        bias_shape = (1, y.shape[1]) + (1,) * rank if layer.data_format == 'channels_first' else (1,) * (rank + 1) + (y.shape[-1],)
        return wrong_bias_axis(tuple(y.shape), bias_shape)
    if name == 'Rescaling' and x is not None:
        offset = np.asarray(layer.offset)
        scaled = np.broadcast_shapes(np.shape(x), np.shape(np.asarray(layer.scale)))
        return offset.ndim > 0 and wrong_bias_axis(tuple(scaled), tuple(offset.shape))
    return False


def run_case(kind, config, shapes, seed):
    """Keras's verdict on a config: from_config, build on the input shapes, call on golden.py's input."""
    keras.backend.clear_session()
    cfg = copy.deepcopy(config)
    if kind.name == 'InputLayer':
        return run_input_layer(cfg, seed)
    try:
        layer = kind.cls.from_config(cfg)
    except Exception as e:  # noqa: BLE001
        return {'ok': False, 'stage': 'from_config', 'error': error_text(e)}
    try:
        inputs = [keras.Input(batch_shape=tuple(s['symbolic'])) for s in shapes]
        out = layer(inputs if kind.multi else inputs[0])
        model = keras.Model(inputs if kind.multi else inputs[0], out)
        sym = [None if d is None else int(d) for d in model.outputs[0].shape]
    except Exception as e:  # noqa: BLE001
        return {'ok': False, 'stage': 'build', 'error': error_text(e)}
    try:
        weights = layer.weights
        names = [w.name for w in weights]
        values = fill_weights([np.zeros(tuple(w.shape), dtype=np.float32) for w in weights], names, seed)
        layer.set_weights([v.astype(w.dtype) if w.dtype != 'float32' else v for v, w in zip(values, weights)])
        if hasattr(layer, 'finalize_state'):
            # Normalization caches its mean and variance when built or loaded (load_own_variables calls
            # finalize_state); set_weights alone leaves the cache at the initial zeros and ones.
            layer.finalize_state()
        lo, hi = kind.value_range
        xs = [make_input(s['concrete'], seed + 1000 * (i + 1) if i else seed, lo, hi) for i, s in enumerate(shapes)]
        args = xs if kind.multi else xs[0]
        xla = False
        try:
            y = model(args, training=False)
        except Exception as e:  # noqa: BLE001
            # TensorFlow's own CPU kernels lack some cases Keras allows (NCHW convolutions, unequal
            # depthwise strides); XLA compiles them, as Keras itself does for grouped convolutions.
            if not any(m in str(e) for m in CPU_KERNEL_GAPS):
                raise
            y = tf.function(lambda v: model(v, training=False), jit_compile=True)(args)
            xla = True
        y = np.asarray(keras.ops.convert_to_numpy(y))
    except Exception as e:  # noqa: BLE001
        return {'ok': False, 'stage': 'call', 'error': error_text(e)}
    bias_bug = tf_bias_add_bug(kind.name, layer, xs[0] if xs else None, y)
    try:
        text = model.to_json()
        keras.models.model_from_json(text)
    except Exception as e:  # noqa: BLE001
        return {'ok': False, 'stage': 'save', 'error': error_text(e)}
    return {
        'ok': True,
        **({'xla': True} if xla else {}),
        **({'tf_bias_add_bug': True} if bias_bug else {}),
        'model': json.loads(text),
        'weights': [[w.name, [int(d) for d in w.shape], w.dtype] for w in weights],
        'symbolic_shape': sym,
        'output': describe_output(y),
    }


def run_input_layer(cfg, seed):
    try:
        layer = L.InputLayer.from_config(cfg)
        model = keras.Model(layer.output, layer.output)
        written = layer.get_config()
        text = model.to_json()
        keras.models.model_from_json(text)
    except Exception as e:  # noqa: BLE001
        return {'ok': False, 'stage': 'from_config', 'error': error_text(e)}
    return {'ok': True, 'config': written, 'model': json.loads(text), 'weights': [],
            'symbolic_shape': [None if d is None else int(d) for d in layer.output.shape]}


def jsonable(v):
    if isinstance(v, tuple):
        return [jsonable(x) for x in v]
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return v


def mutate(rng, kind, cfg, shapes):
    """One mutation of a config: a bad value for one argument, an unknown or removed key. Returns a label."""
    options = list(kind.mutations.items()) + list(BOOKKEEPING_MUTATIONS.items())
    r = rng.random()
    if r < 0.08 and kind.required:
        key = rng.choice(kind.required)
        cfg.pop(key, None)
        return f'remove {key}'
    if r < 0.18 and kind.name != 'InputLayer':
        key = rng.choice(list(BOOKKEEPING_BAD))
        cfg[key] = BOOKKEEPING_BAD[key](shapes[0]['symbolic'] if shapes else [None])
        return f'add {key}'
    key, bad = rng.choice(options)
    value = rng.choice(bad)
    cfg[key] = copy.deepcopy(value)
    return f'{key} = {json.dumps(value)[:40]}'


def generate(kind, rng, scale, base_seed):
    cases = []
    n_valid = max(1, int(kind.count * scale))
    n_mut = max(1, int(kind.mutated * scale))
    for i in range(n_valid + n_mut):
        seed = base_seed + 101 * i
        cfg = kind.draw(rng)
        shapes = kind.inputs(rng, cfg) if kind.inputs is not None else []
        if kind.name == 'Reshape':
            cfg = finish_reshape(rng, cfg, shapes)
        label = 'random'
        if i >= n_valid:
            label = mutate(rng, kind, cfg, shapes)
        cfg = jsonable(cfg)
        verdict = run_case(kind, cfg, shapes, seed)
        case = {'id': f'{kind.name}-{i:03d}', 'how': label, 'config': cfg, 'seed': seed}
        if shapes:
            case['inputs'] = shapes
            case['input_range'] = list(kind.value_range)
        case['keras'] = verdict
        cases.append(case)
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default='spec/fixtures/keras3/layers')
    ap.add_argument('--kinds', default='')
    ap.add_argument('--seed', type=int, default=20261126)
    ap.add_argument('--scale', type=float, default=1.0)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    wanted = [k for k in args.kinds.split(',') if k]
    for n, kind in enumerate(KINDS):
        if wanted and kind.name not in wanted:
            continue
        rng = random.Random(args.seed * 1000 + n)
        cases = generate(kind, rng, args.scale, args.seed % 100000 * 10 + n * 7919)
        doc = {
            'format': FORMAT_VERSION,
            'kind': kind.name,
            'keras': keras.__version__,
            'tensorflow': tf.__version__,
            'generator_seed': args.seed,
            'cases': cases,
        }
        path = os.path.join(args.out, f'{kind.name}.json.gz')
        raw = json.dumps(doc, separators=(',', ':'), allow_nan=False).encode('utf-8')
        with gzip.GzipFile(path, 'wb', mtime=0) as f:
            f.write(raw)
        ok = sum(1 for c in cases if c['keras']['ok'])
        print(f'{kind.name}: {ok} accepted, {len(cases) - ok} refused, {os.path.getsize(path)} bytes', flush=True)


if __name__ == '__main__':
    main()
