"""Golden fixtures of the whole convolution family (issue 14), written by real Keras 3.15 (run by hand).

    TF_ENABLE_ONEDNN_OPTS=0 /work/kvenv/bin/python scripts/golden/convfamily.py [--out DIR] [--only GROUP,...]

(any venv with keras 3.15.1 and tensorflow-cpu 2.21; ../shared/tools/keras-venv.sh DIR makes one).
Writes spec/fixtures/keras3/convfamily/<group>.json, read by spec/keras3/convfamily.ts.

What it writes. One file per member of the family (Conv1D, Conv3D, Conv1DTranspose, Conv2DTranspose,
Conv3DTranspose, SeparableConv1D, SeparableConv2D, DepthwiseConv1D, DepthwiseConv2D, MaxPooling1D/3D,
AveragePooling1D/3D, GlobalAveragePooling1D/3D, GlobalMaxPooling1D/3D, UpSampling1D/3D,
ZeroPadding1D/3D, Cropping1D/3D), each holding one-layer models (`keras.Input` then the layer) over
that member's arguments (padding valid / same / causal, strides, dilation, groups, output_padding None
and given, depth_multiplier, strides with dilation where Keras 3.15 accepts it, keepdims, both data
formats, with and without bias, a non-linear activation on some), plus `mixed.json`: models of two or
three layers chaining members (Conv1D causal -> MaxPooling1D -> GlobalAveragePooling1D, Conv2DTranspose
-> Cropping2D, ...). Batch 2, small sizes, float32. As for the other golden fixtures (README, "Golden
fixtures from real Keras 3.15"), weights and inputs are not stored: weight i of `model.weights`
(= `get_weights()` order) is golden.py's `fill_weights` from `seed + 1 + i` by its path and shape,
the input is `make_input(shape, seed, low, high)`. A case stores the layer classes and the arguments
they were built with, the seed, the input description, the weights' paths / shapes / dtypes, the
parameter count (`count_params()`), `fill_check` (the exactly rounded sum of each regenerated weight
and of the input, so that a reader can check its regeneration), Keras's output shape (batch `null`), the output values (every
value, as the shortest decimal that reads back as the same float32) and the model JSON exactly as
`model.to_json()` writes it (parsed). Every case is also recomputed by an independent float64 NumPy
implementation of the reference document's formulas (§2 lengths and `same` split, §7 forward
semantics); `numpy_check` stores max |keras - numpy| and max |numpy|, and the script refuses to write
a case where they differ by more than 1e-5 of the output scale.

How Keras is run. Each case runs `model(x, training=False)` eagerly. Where TensorFlow's eager CPU
kernels lack what the layer asks for, the call is retried with the model compiled by XLA
(`tf.function(jit_compile=True)`, which Keras itself does for grouped and channels_first 3-D
convolutions); such a case carries `xla: true` and TensorFlow's eager error in `eager_error`, and,
like every case, matches the NumPy computation. In the 2026-12-06 run that was (41 cases):
- channels_first Conv1D (and Conv2D in a mixed case): "The Conv2D op currently only supports the NHWC
  tensor format on the CPU" (Keras 3.15 routes only 5-D channels_first convolutions through XLA);
- channels_first Conv1D/2D/3DTranspose: Conv2DBackpropInput / Conv3DBackpropInputV2 support NHWC /
  NDHWC only on CPU;
- dilated Conv1D/2D/3DTranspose in both formats: "Current CPU implementations do not yet support
  dilation rates larger than 1" (reference §11; keras-team/keras#19870);
- DepthwiseConv2D / SeparableConv2D with unequal strides (1, 2): "only supports equal length strides"
  (reference §11). Strides with dilation together run eagerly: Keras 3.15's TF backend decomposes them
  into a stride-1 dilated depthwise convolution plus subsampling.
Keras 3.15 adds a bias with `tf.nn.bias_add` along the last axis whenever the last axis has the bias's
length (see layers.py `wrong_bias_axis`); the sizes here are chosen so that no channels_first case
meets it, and the script checks it.

Skips (stored in each file's `skips`, with the stage, the eager and XLA errors, and the reason):
- Conv1DTranspose/same-k2-s2-op0-cl, the reference's §11 corner: a transposed convolution with
  `padding="same"`, an even effective kernel and `output_padding=0`. Keras's length formula gives
  (n-1)*s, whose forward convolution does not give back n, so TensorFlow's Conv2DBackpropInput refuses
  that output shape, eagerly and under XLA ("Size of out_backprop doesn't match computed: actual = 4,
  computed = 3"). Keras on JAX returns a result; TF cannot produce one, so there is no golden value.
- any other case TensorFlow refused both eagerly and under XLA, or whose XLA result disagreed with the
  NumPy computation, would be recorded the same way (none in the 2026-12-06 run).
"""
import argparse
import json
import math
import os
import re
import sys
import warnings

os.environ.setdefault('KERAS_BACKEND', 'tensorflow')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
# oneDNN's CPU convolutions returned uninitialized memory for some small geometries (layers.py)
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')
warnings.filterwarnings('ignore')

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden import fill_weights, make_input  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, '..', '..', 'spec', 'fixtures', 'keras3', 'convfamily'))
FORMAT_VERSION = 1
BATCH = 2
RANGE = (-2.0, 2.0)
CHECK_TOLERANCE = 1e-5

CL, CF = 'channels_last', 'channels_first'


# -------------------------------------------------------------------------------------
# the cases
# -------------------------------------------------------------------------------------

def shp(fmt, spatial, channels):
    """An input shape without the batch axis."""
    return (channels, *spatial) if fmt == CF else (*spatial, channels)


CASES = []  # (group, id, [(class, kwargs)], input shape without batch)


def add(group, tag, layers, in_shape):
    CASES.append((group, f'{group}/{tag}', layers, tuple(in_shape)))


def conv1d_cases():
    g = 'Conv1D'
    for fmt in (CL, CF):
        f = 'cl' if fmt == CL else 'cf'
        s = lambda n, c: shp(fmt, (n,), c)  # noqa: E731
        add(g, f'valid-k3-{f}', [('Conv1D', dict(filters=4, kernel_size=3, data_format=fmt))], s(7, 3))
        add(g, f'same-k3-s2-relu-{f}', [('Conv1D', dict(filters=3, kernel_size=3, strides=2, padding='same', activation='relu', data_format=fmt))], s(7, 2))
        add(g, f'same-k4-s3-{f}', [('Conv1D', dict(filters=2, kernel_size=4, strides=3, padding='same', data_format=fmt))], s(8, 3))
        add(g, f'causal-k3-{f}', [('Conv1D', dict(filters=4, kernel_size=3, padding='causal', data_format=fmt))], s(6, 2))
        add(g, f'causal-k2-d2-tanh-{f}', [('Conv1D', dict(filters=3, kernel_size=2, padding='causal', dilation_rate=2, activation='tanh', data_format=fmt))], s(7, 2))
        add(g, f'causal-k3-s2-{f}', [('Conv1D', dict(filters=2, kernel_size=3, strides=2, padding='causal', data_format=fmt))], s(7, 3))
        add(g, f'valid-k3-d2-nobias-{f}', [('Conv1D', dict(filters=3, kernel_size=3, dilation_rate=2, use_bias=False, data_format=fmt))], s(8, 2))
        add(g, f'same-k3-d3-{f}', [('Conv1D', dict(filters=2, kernel_size=3, dilation_rate=3, padding='same', data_format=fmt))], s(7, 3))
        add(g, f'groups2-valid-k2-{f}', [('Conv1D', dict(filters=6, kernel_size=2, groups=2, data_format=fmt))], s(5, 4))
        add(g, f'groups3-causal-k2-sigmoid-{f}', [('Conv1D', dict(filters=3, kernel_size=2, groups=3, padding='causal', activation='sigmoid', data_format=fmt))], s(5, 6))


def conv3d_cases():
    g = 'Conv3D'
    for fmt in (CL, CF):
        f = 'cl' if fmt == CL else 'cf'
        s = lambda sp, c: shp(fmt, sp, c)  # noqa: E731
        add(g, f'valid-k2-{f}', [('Conv3D', dict(filters=3, kernel_size=2, data_format=fmt))], s((3, 4, 3), 2))
        add(g, f'same-k3-s2-relu-{f}', [('Conv3D', dict(filters=2, kernel_size=3, strides=2, padding='same', activation='relu', data_format=fmt))], s((4, 5, 5), 2))
        add(g, f'valid-k-2-1-3-s-1-2-1-{f}', [('Conv3D', dict(filters=2, kernel_size=(2, 1, 3), strides=(1, 2, 1), data_format=fmt))], s((3, 4, 5), 3))
        add(g, f'same-d-2-1-1-nobias-{f}', [('Conv3D', dict(filters=3, kernel_size=2, dilation_rate=(2, 1, 1), padding='same', use_bias=False, data_format=fmt))], s((4, 3, 3), 2))
        add(g, f'groups2-valid-{f}', [('Conv3D', dict(filters=4, kernel_size=(1, 2, 2), groups=2, activation='tanh', data_format=fmt))], s((2, 3, 3), 4))


def transpose_cases():
    g = 'Conv1DTranspose'
    for fmt in (CL, CF):
        f = 'cl' if fmt == CL else 'cf'
        s = lambda n, c: shp(fmt, (n,), c)  # noqa: E731
        T = 'Conv1DTranspose'
        add(g, f'valid-k3-s2-{f}', [(T, dict(filters=2, kernel_size=3, strides=2, data_format=fmt))], s(4, 3))
        add(g, f'valid-k3-s2-op1-{f}', [(T, dict(filters=2, kernel_size=3, strides=2, output_padding=1, data_format=fmt))], s(4, 3))
        add(g, f'same-k3-s2-{f}', [(T, dict(filters=3, kernel_size=3, strides=2, padding='same', activation='relu', data_format=fmt))], s(4, 2))
        add(g, f'same-k3-s2-op0-{f}', [(T, dict(filters=2, kernel_size=3, strides=2, padding='same', output_padding=0, data_format=fmt))], s(4, 3))
        add(g, f'same-k4-s2-{f}', [(T, dict(filters=2, kernel_size=4, strides=2, padding='same', data_format=fmt))], s(4, 3))
        add(g, f'same-k4-s2-op1-{f}', [(T, dict(filters=2, kernel_size=4, strides=2, padding='same', output_padding=1, data_format=fmt))], s(4, 3))
        add(g, f'valid-k1-s3-{f}', [(T, dict(filters=2, kernel_size=1, strides=3, use_bias=False, data_format=fmt))], s(4, 3))
        add(g, f'valid-k2-s3-op2-{f}', [(T, dict(filters=3, kernel_size=2, strides=3, output_padding=2, data_format=fmt))], s(3, 2))
        add(g, f'valid-k3-d2-{f}', [(T, dict(filters=2, kernel_size=3, dilation_rate=2, data_format=fmt))], s(4, 3))
        add(g, f'same-k3-d2-tanh-{f}', [(T, dict(filters=2, kernel_size=3, dilation_rate=2, padding='same', activation='tanh', data_format=fmt))], s(5, 3))
    # §11: same, even effective kernel, output_padding 0 (expected to be refused by TensorFlow)
    add(g, 'same-k2-s2-op0-cl', [('Conv1DTranspose', dict(filters=2, kernel_size=2, strides=2, padding='same', output_padding=0))], (4, 3))

    g = 'Conv2DTranspose'
    for fmt in (CL, CF):
        f = 'cl' if fmt == CL else 'cf'
        s = lambda sp, c: shp(fmt, sp, c)  # noqa: E731
        T = 'Conv2DTranspose'
        add(g, f'valid-k3-s2-{f}', [(T, dict(filters=2, kernel_size=3, strides=2, data_format=fmt))], s((3, 4), 2))
        add(g, f'same-k3-s2-relu-{f}', [(T, dict(filters=3, kernel_size=3, strides=2, padding='same', activation='relu', data_format=fmt))], s((3, 4), 2))
        add(g, f'same-k-3-4-s2-op-1-1-{f}', [(T, dict(filters=2, kernel_size=(3, 4), strides=2, padding='same', output_padding=(1, 1), data_format=fmt))], s((3, 3), 2))
        add(g, f'valid-k-2-3-s-1-2-op-0-1-nobias-{f}', [(T, dict(filters=2, kernel_size=(2, 3), strides=(1, 2), output_padding=(0, 1), use_bias=False, data_format=fmt))], s((3, 4), 3))
        add(g, f'same-k3-s-2-3-op0-{f}', [(T, dict(filters=2, kernel_size=3, strides=(2, 3), padding='same', output_padding=0, data_format=fmt))], s((3, 2), 2))
        add(g, f'valid-k3-d2-{f}', [(T, dict(filters=2, kernel_size=3, dilation_rate=2, data_format=fmt))], s((3, 4), 2))
        add(g, f'same-k3-d-1-2-sigmoid-{f}', [(T, dict(filters=2, kernel_size=(2, 3), dilation_rate=(1, 2), padding='same', activation='sigmoid', data_format=fmt))], s((3, 5), 2))

    g = 'Conv3DTranspose'
    for fmt in (CL, CF):
        f = 'cl' if fmt == CL else 'cf'
        s = lambda sp, c: shp(fmt, sp, c)  # noqa: E731
        T = 'Conv3DTranspose'
        add(g, f'valid-k2-s2-{f}', [(T, dict(filters=2, kernel_size=2, strides=2, data_format=fmt))], s((2, 3, 2), 2))
        add(g, f'same-k3-s-1-2-2-relu-{f}', [(T, dict(filters=3, kernel_size=3, strides=(1, 2, 2), padding='same', activation='relu', data_format=fmt))], s((2, 2, 3), 2))
        add(g, f'valid-k3-s2-op-1-0-1-nobias-{f}', [(T, dict(filters=2, kernel_size=3, strides=2, output_padding=(1, 0, 1), use_bias=False, data_format=fmt))], s((2, 2, 2), 2))
        add(g, f'same-k-3-2-3-s2-op1-{f}', [(T, dict(filters=2, kernel_size=(3, 2, 3), strides=2, padding='same', output_padding=1, data_format=fmt))], s((2, 3, 2), 2))
        add(g, f'valid-k2-d2-{f}', [(T, dict(filters=2, kernel_size=2, dilation_rate=2, data_format=fmt))], s((2, 3, 3), 2))


def separable_cases():
    g = 'SeparableConv1D'
    for fmt in (CL, CF):
        f = 'cl' if fmt == CL else 'cf'
        s = lambda n, c: shp(fmt, (n,), c)  # noqa: E731
        S = 'SeparableConv1D'
        add(g, f'valid-k3-{f}', [(S, dict(filters=4, kernel_size=3, data_format=fmt))], s(7, 3))
        add(g, f'same-k3-s2-m2-relu-{f}', [(S, dict(filters=3, kernel_size=3, strides=2, padding='same', depth_multiplier=2, activation='relu', data_format=fmt))], s(7, 2))
        add(g, f'valid-k2-d2-m3-nobias-{f}', [(S, dict(filters=2, kernel_size=2, dilation_rate=2, depth_multiplier=3, use_bias=False, data_format=fmt))], s(7, 2))
        add(g, f'same-k3-s2-d2-{f}', [(S, dict(filters=2, kernel_size=3, strides=2, dilation_rate=2, padding='same', data_format=fmt))], s(8, 3))
        add(g, f'valid-k2-s3-d2-m2-tanh-{f}', [(S, dict(filters=2, kernel_size=2, strides=3, dilation_rate=2, depth_multiplier=2, activation='tanh', data_format=fmt))], s(9, 2))

    g = 'SeparableConv2D'
    for fmt in (CL, CF):
        f = 'cl' if fmt == CL else 'cf'
        s = lambda sp, c: shp(fmt, sp, c)  # noqa: E731
        S = 'SeparableConv2D'
        add(g, f'valid-k3-{f}', [(S, dict(filters=4, kernel_size=3, data_format=fmt))], s((4, 5), 3))
        add(g, f'same-k3-s2-m2-relu-{f}', [(S, dict(filters=3, kernel_size=3, strides=2, padding='same', depth_multiplier=2, activation='relu', data_format=fmt))], s((5, 4), 2))
        add(g, f'same-k-2-3-d2-nobias-{f}', [(S, dict(filters=2, kernel_size=(2, 3), dilation_rate=2, padding='same', use_bias=False, data_format=fmt))], s((4, 5), 2))
        add(g, f'valid-k2-s-1-2-m2-{f}', [(S, dict(filters=3, kernel_size=2, strides=(1, 2), depth_multiplier=2, data_format=fmt))], s((4, 5), 2))
        add(g, f'same-k3-s2-d2-{f}', [(S, dict(filters=2, kernel_size=3, strides=2, dilation_rate=2, padding='same', data_format=fmt))], s((5, 6), 2))
        add(g, f'valid-k2-s-2-1-d-1-2-sigmoid-{f}', [(S, dict(filters=2, kernel_size=2, strides=(2, 1), dilation_rate=(1, 2), depth_multiplier=2, activation='sigmoid', data_format=fmt))], s((5, 5), 2))


def depthwise_cases():
    g = 'DepthwiseConv1D'
    for fmt in (CL, CF):
        f = 'cl' if fmt == CL else 'cf'
        s = lambda n, c: shp(fmt, (n,), c)  # noqa: E731
        D = 'DepthwiseConv1D'
        add(g, f'valid-k3-{f}', [(D, dict(kernel_size=3, data_format=fmt))], s(7, 3))
        add(g, f'valid-k2-m2-{f}', [(D, dict(kernel_size=2, depth_multiplier=2, data_format=fmt))], s(6, 2))
        add(g, f'same-k3-s2-relu-{f}', [(D, dict(kernel_size=3, strides=2, padding='same', activation='relu', data_format=fmt))], s(7, 3))
        add(g, f'same-k3-d2-m3-nobias-{f}', [(D, dict(kernel_size=3, dilation_rate=2, depth_multiplier=3, padding='same', use_bias=False, data_format=fmt))], s(7, 2))
        add(g, f'valid-k3-s2-d2-m2-{f}', [(D, dict(kernel_size=3, strides=2, dilation_rate=2, depth_multiplier=2, data_format=fmt))], s(9, 2))
        add(g, f'same-k2-s3-d2-tanh-{f}', [(D, dict(kernel_size=2, strides=3, dilation_rate=2, padding='same', activation='tanh', data_format=fmt))], s(10, 3))

    g = 'DepthwiseConv2D'
    for fmt in (CL, CF):
        f = 'cl' if fmt == CL else 'cf'
        s = lambda sp, c: shp(fmt, sp, c)  # noqa: E731
        D = 'DepthwiseConv2D'
        add(g, f'valid-k3-m2-{f}', [(D, dict(kernel_size=3, depth_multiplier=2, data_format=fmt))], s((4, 5), 2))
        add(g, f'same-k3-d2-relu-{f}', [(D, dict(kernel_size=3, dilation_rate=2, padding='same', activation='relu', data_format=fmt))], s((5, 4), 3))
        add(g, f'valid-k-2-3-d-2-1-nobias-{f}', [(D, dict(kernel_size=(2, 3), dilation_rate=(2, 1), use_bias=False, data_format=fmt))], s((5, 5), 2))
        add(g, f'same-k3-s2-d2-m2-{f}', [(D, dict(kernel_size=3, strides=2, dilation_rate=2, depth_multiplier=2, padding='same', data_format=fmt))], s((5, 6), 2))
        add(g, f'valid-k2-s-1-2-d-2-1-{f}', [(D, dict(kernel_size=2, strides=(1, 2), dilation_rate=(2, 1), data_format=fmt))], s((5, 5), 3))
        add(g, f'same-k2-s-1-2-m2-tanh-{f}', [(D, dict(kernel_size=2, strides=(1, 2), depth_multiplier=2, padding='same', activation='tanh', data_format=fmt))], s((4, 5), 2))


def pooling_cases():
    for cls in ('MaxPooling1D', 'AveragePooling1D'):
        for fmt in (CL, CF):
            f = 'cl' if fmt == CL else 'cf'
            s = lambda n, c: shp(fmt, (n,), c)  # noqa: E731
            add(cls, f'valid-p2-{f}', [(cls, dict(pool_size=2, data_format=fmt))], s(7, 3))
            add(cls, f'same-p2-s2-{f}', [(cls, dict(pool_size=2, strides=2, padding='same', data_format=fmt))], s(7, 3))
            add(cls, f'same-p3-s2-{f}', [(cls, dict(pool_size=3, strides=2, padding='same', data_format=fmt))], s(8, 2))
            add(cls, f'valid-p3-s1-{f}', [(cls, dict(pool_size=3, strides=1, data_format=fmt))], s(6, 2))
            add(cls, f'same-p2-s3-{f}', [(cls, dict(pool_size=2, strides=3, padding='same', data_format=fmt))], s(7, 2))
    for cls in ('MaxPooling3D', 'AveragePooling3D'):
        for fmt in (CL, CF):
            f = 'cl' if fmt == CL else 'cf'
            s = lambda sp, c: shp(fmt, sp, c)  # noqa: E731
            add(cls, f'valid-p2-{f}', [(cls, dict(pool_size=2, data_format=fmt))], s((4, 5, 3), 2))
            add(cls, f'same-p-2-3-2-s-1-2-1-{f}', [(cls, dict(pool_size=(2, 3, 2), strides=(1, 2, 1), padding='same', data_format=fmt))], s((3, 5, 3), 2))
            add(cls, f'same-p3-s2-{f}', [(cls, dict(pool_size=3, strides=2, padding='same', data_format=fmt))], s((4, 3, 5), 2))
            add(cls, f'valid-p-1-2-3-s1-{f}', [(cls, dict(pool_size=(1, 2, 3), strides=1, data_format=fmt))], s((2, 3, 4), 2))
    for cls, rank in (('GlobalAveragePooling1D', 1), ('GlobalMaxPooling1D', 1), ('GlobalAveragePooling3D', 3), ('GlobalMaxPooling3D', 3)):
        sp = (5,) if rank == 1 else (3, 4, 2)
        for fmt in (CL, CF):
            f = 'cl' if fmt == CL else 'cf'
            for keep in (False, True):
                add(cls, f'keepdims-{str(keep).lower()}-{f}', [(cls, dict(keepdims=keep, data_format=fmt))], shp(fmt, sp, 3))


def reshaping_cases():
    add('UpSampling1D', 'size2', [('UpSampling1D', dict(size=2))], (4, 3))
    add('UpSampling1D', 'size3', [('UpSampling1D', dict(size=3))], (3, 2))
    add('UpSampling1D', 'size1', [('UpSampling1D', dict(size=1))], (3, 2))
    for fmt in (CL, CF):
        f = 'cl' if fmt == CL else 'cf'
        add('UpSampling3D', f'size2-{f}', [('UpSampling3D', dict(size=2, data_format=fmt))], shp(fmt, (2, 3, 2), 2))
        add('UpSampling3D', f'size-1-2-3-{f}', [('UpSampling3D', dict(size=(1, 2, 3), data_format=fmt))], shp(fmt, (2, 2, 3), 2))
        add('ZeroPadding1D', f'default-{f}', [('ZeroPadding1D', dict(data_format=fmt))], shp(fmt, (4,), 3))
        add('ZeroPadding1D', f'pad-2-0-{f}', [('ZeroPadding1D', dict(padding=(2, 0), data_format=fmt))], shp(fmt, (4,), 3))
        add('ZeroPadding1D', f'pad-1-3-{f}', [('ZeroPadding1D', dict(padding=(1, 3), data_format=fmt))], shp(fmt, (3,), 2))
        add('ZeroPadding3D', f'default-{f}', [('ZeroPadding3D', dict(data_format=fmt))], shp(fmt, (2, 3, 2), 2))
        add('ZeroPadding3D', f'pairs-{f}', [('ZeroPadding3D', dict(padding=((1, 0), (0, 2), (1, 1)), data_format=fmt))], shp(fmt, (2, 2, 3), 2))
        add('ZeroPadding3D', f'mixed-{f}', [('ZeroPadding3D', dict(padding=(1, (0, 2), 0), data_format=fmt))], shp(fmt, (2, 3, 2), 2))
        add('Cropping3D', f'default-{f}', [('Cropping3D', dict(data_format=fmt))], shp(fmt, (3, 4, 5), 2))
        add('Cropping3D', f'pairs-{f}', [('Cropping3D', dict(cropping=((0, 1), (1, 0), (2, 1)), data_format=fmt))], shp(fmt, (3, 3, 5), 2))
        add('Cropping3D', f'int-{f}', [('Cropping3D', dict(cropping=(1, 0, 2), data_format=fmt))], shp(fmt, (4, 3, 5), 2))
    add('Cropping1D', 'default', [('Cropping1D', dict())], (5, 3))
    add('Cropping1D', 'crop-1-2', [('Cropping1D', dict(cropping=(1, 2)))], (6, 2))
    add('Cropping1D', 'crop-0-3', [('Cropping1D', dict(cropping=(0, 3)))], (5, 2))
    add('Cropping1D', 'crop-int-2', [('Cropping1D', dict(cropping=2))], (6, 2))


def mixed_cases():
    g = 'mixed'
    add(g, 'conv1d-causal-maxpool1d-gap1d', [
        ('Conv1D', dict(filters=4, kernel_size=3, padding='causal', activation='relu')),
        ('MaxPooling1D', dict(pool_size=2)),
        ('GlobalAveragePooling1D', dict())], (8, 2))
    add(g, 'conv1d-causal-d2-avgpool1d-same-cf', [
        ('Conv1D', dict(filters=3, kernel_size=2, dilation_rate=2, padding='causal', data_format=CF)),
        ('AveragePooling1D', dict(pool_size=2, padding='same', data_format=CF))], (2, 7))
    add(g, 'zeropad1d-conv1d-cropping1d', [
        ('ZeroPadding1D', dict(padding=(2, 1))),
        ('Conv1D', dict(filters=2, kernel_size=3, strides=2)),
        ('Cropping1D', dict(cropping=(1, 0)))], (6, 2))
    add(g, 'conv1dtranspose-same-cropping1d', [
        ('Conv1DTranspose', dict(filters=2, kernel_size=3, strides=2, padding='same')),
        ('Cropping1D', dict(cropping=(1, 1)))], (4, 3))
    add(g, 'upsampling1d-conv1d-globalmax1d', [
        ('UpSampling1D', dict(size=2)),
        ('Conv1D', dict(filters=3, kernel_size=3, padding='same', activation='tanh')),
        ('GlobalMaxPooling1D', dict(keepdims=True))], (3, 2))
    add(g, 'conv2dtranspose-cropping2d', [
        ('Conv2DTranspose', dict(filters=2, kernel_size=3, strides=2)),
        ('Cropping2D', dict(cropping=((1, 0), (0, 1))))], (3, 3, 2))
    add(g, 'conv2dtranspose-same-conv2d-cf', [
        ('Conv2DTranspose', dict(filters=3, kernel_size=4, strides=2, padding='same', data_format=CF)),
        ('Conv2D', dict(filters=2, kernel_size=3, data_format=CF))], (2, 3, 3))
    add(g, 'conv3d-maxpool3d-globalmax3d', [
        ('Conv3D', dict(filters=3, kernel_size=2, padding='same', activation='relu')),
        ('MaxPooling3D', dict(pool_size=2)),
        ('GlobalMaxPooling3D', dict())], (4, 4, 3, 2))
    add(g, 'upsampling3d-conv3d-cf', [
        ('UpSampling3D', dict(size=(2, 1, 2), data_format=CF)),
        ('Conv3D', dict(filters=2, kernel_size=(2, 2, 2), data_format=CF))], (2, 2, 3, 2))
    add(g, 'conv3dtranspose-zeropadding3d', [
        ('Conv3DTranspose', dict(filters=2, kernel_size=2, strides=(2, 1, 2))),
        ('ZeroPadding3D', dict(padding=(1, 0, (0, 1))))], (2, 2, 2, 2))
    add(g, 'cropping3d-avgpool3d-gap3d-cf', [
        ('Cropping3D', dict(cropping=((1, 0), (0, 1), (1, 1)), data_format=CF)),
        ('AveragePooling3D', dict(pool_size=2, padding='same', data_format=CF)),
        ('GlobalAveragePooling3D', dict(data_format=CF, keepdims=True))], (2, 4, 4, 5))
    add(g, 'separableconv1d-avgpool1d', [
        ('SeparableConv1D', dict(filters=3, kernel_size=3, depth_multiplier=2, padding='same')),
        ('AveragePooling1D', dict(pool_size=3, strides=2))], (8, 2))
    add(g, 'separableconv2d-s2-d2-gap2d', [
        ('SeparableConv2D', dict(filters=3, kernel_size=3, strides=2, dilation_rate=2, padding='same', activation='relu')),
        ('GlobalAveragePooling2D', dict())], (6, 5, 2))
    add(g, 'depthwiseconv1d-upsampling1d', [
        ('DepthwiseConv1D', dict(kernel_size=2, depth_multiplier=2, padding='same')),
        ('UpSampling1D', dict(size=2))], (4, 2))
    add(g, 'depthwiseconv2d-s2-d2-conv2d-1x1', [
        ('DepthwiseConv2D', dict(kernel_size=3, strides=2, dilation_rate=2, padding='same', depth_multiplier=2)),
        ('Conv2D', dict(filters=3, kernel_size=1, activation='relu'))], (5, 6, 2))


for fn in (conv1d_cases, conv3d_cases, transpose_cases, separable_cases, depthwise_cases, pooling_cases,
           reshaping_cases, mixed_cases):
    fn()


# -------------------------------------------------------------------------------------
# an independent float64 implementation of the reference's formulas (§2, §7)
# -------------------------------------------------------------------------------------

def _to_last(x, fmt):
    return np.moveaxis(x, 1, -1) if fmt == CF else x


def _from_last(x, fmt):
    return np.moveaxis(x, -1, 1) if fmt == CF else x


def _same_split(n, k, s, d):
    ke = d * (k - 1) + 1
    total = max((math.ceil(n / s) - 1) * s + ke - n, 0)
    return total // 2, total - total // 2


def _pads(sp, ks, ss, ds, padding):
    if padding == 'valid':
        return [(0, 0)] * len(sp)
    if padding == 'causal':
        return [(d * (k - 1), 0) for k, d in zip(ks, ds)]
    return [_same_split(n, k, s, d) for n, k, s, d in zip(sp, ks, ss, ds)]


def _taps(x, ks, ss, ds, pads, fill=0.0):
    """Yields (tap index, strided slice of the padded input (N, *out, C))."""
    xp = np.pad(x, [(0, 0), *pads, (0, 0)], constant_values=fill)
    sp = xp.shape[1:-1]
    out = [(n - (d * (k - 1) + 1)) // s + 1 for n, k, s, d in zip(sp, ks, ss, ds)]
    for t in np.ndindex(*ks):
        sl = tuple(slice(ti * d, ti * d + (o - 1) * s + 1, s) for ti, d, s, o in zip(t, ds, ss, out))
        yield t, xp[(slice(None), *sl, slice(None))]


def _activation(y, name):
    if name in (None, 'linear'):
        return y
    if name == 'relu':
        return np.maximum(y, 0)
    if name == 'tanh':
        return np.tanh(y)
    if name == 'sigmoid':
        return 1 / (1 + np.exp(-y))
    raise ValueError(f'no NumPy activation {name}')


def _conv(x, K, s, d, padding, groups):
    ks = K.shape[:-2]
    cg, F = K.shape[-2], K.shape[-1]
    fg = F // groups
    y = None
    for t, xs in _taps(x, ks, s, d, _pads(x.shape[1:-1], ks, s, d, padding)):
        if y is None:
            y = np.zeros(xs.shape[:-1] + (F,))
        for g in range(groups):
            y[..., g * fg:(g + 1) * fg] += xs[..., g * cg:(g + 1) * cg] @ K[t][:, g * fg:(g + 1) * fg]
    return y


def _depthwise(x, W, s, d, padding):
    ks = W.shape[:-2]
    C, M = W.shape[-2], W.shape[-1]
    y = None
    for t, xs in _taps(x, ks, s, d, _pads(x.shape[1:-1], ks, s, d, padding)):
        part = (xs[..., :, None] * W[t]).reshape(xs.shape[:-1] + (C * M,))
        y = part if y is None else y + part
    return y


def _transpose_length(n, k, s, d, padding, op):
    ke = d * (k - 1) + 1
    if padding == 'valid':
        return (n - 1) * s + max(ke, s) if op is None else (n - 1) * s + ke + op
    return n * s if op is None else (n - 1) * s + ke % 2 + op


def _conv_transpose(x, K, s, d, padding, op):
    ks = K.shape[:-2]
    F = K.shape[-2]
    sp = x.shape[1:-1]
    full = [(n - 1) * st + dd * (k - 1) + 1 for n, k, st, dd in zip(sp, ks, s, d)]
    ops = [None] * len(sp) if op is None else list(op)
    out = [_transpose_length(n, k, st, dd, padding, o) for n, k, st, dd, o in zip(sp, ks, s, d, ops)]
    z = np.zeros((x.shape[0], *[max(f, o) + f for f, o in zip(full, out)], F))
    for t in np.ndindex(*ks):
        contrib = x @ K[t].T  # (N, *n, F)
        sl = tuple(slice(ti * dd, ti * dd + (n - 1) * st + 1, st) for ti, dd, st, n in zip(t, d, s, sp))
        z[(slice(None), *sl, slice(None))] += contrib
    crops = [max(f - o, 0) // 2 for f, o in zip(full, out)]
    return z[(slice(None), *[slice(c, c + o) for c, o in zip(crops, out)], slice(None))]


def _pool(x, p, s, padding, kind):
    ones = [1] * len(p)
    pads = _pads(x.shape[1:-1], p, s, ones, padding)
    if kind == 'max':
        return np.max(np.stack([xs for _, xs in _taps(x, p, s, ones, pads, -np.inf)]), axis=0)
    total = sum(xs for _, xs in _taps(x, p, s, ones, pads))
    count = sum(xs for _, xs in _taps(np.ones_like(x), p, s, ones, pads))
    return total / count


def numpy_layer(cls, cfg, x, weights):
    """One layer on a float64 input in the layer's own data format; `weights` in creation order."""
    fmt = cfg.get('data_format') or CL
    xl = _to_last(x, fmt)
    rank = xl.ndim - 2
    if cls in ('Conv1D', 'Conv2D', 'Conv3D', 'Conv1DTranspose', 'Conv2DTranspose', 'Conv3DTranspose',
               'SeparableConv1D', 'SeparableConv2D', 'DepthwiseConv1D', 'DepthwiseConv2D'):
        s, d, padding = tuple(cfg['strides']), tuple(cfg['dilation_rate']), cfg['padding']
        if cls.startswith('Conv') and cls.endswith('Transpose'):
            y = _conv_transpose(xl, weights[0], s, d, padding, cfg.get('output_padding'))
        elif cls.startswith('Conv'):
            y = _conv(xl, weights[0], s, d, padding, cfg['groups'])
        elif cls.startswith('Depthwise'):
            y = _depthwise(xl, weights[0], s, d, padding)
        else:
            z = _depthwise(xl, weights[0], s, d, padding)
            y = z @ weights[1].reshape(weights[1].shape[-2], weights[1].shape[-1])
        if cfg['use_bias']:
            y = y + weights[-1]
        y = _activation(y, cfg['activation'])
    elif cls in ('MaxPooling1D', 'MaxPooling3D', 'AveragePooling1D', 'AveragePooling3D'):
        y = _pool(xl, tuple(cfg['pool_size']), tuple(cfg['strides']), cfg['padding'], 'max' if cls.startswith('Max') else 'avg')
    elif cls.startswith('Global'):
        axes = tuple(range(1, rank + 1))
        y = (np.max if 'Max' in cls else np.mean)(xl, axis=axes, keepdims=cfg['keepdims'])
        if not cfg['keepdims']:
            return y
    elif cls.startswith('UpSampling'):
        size = cfg['size'] if isinstance(cfg['size'], (list, tuple)) else [cfg['size']] * rank
        y = xl
        for i, r in enumerate(size):
            y = np.repeat(y, r, axis=1 + i)
    elif cls.startswith('ZeroPadding'):
        pad = cfg['padding']
        pad = [pad] if rank == 1 else pad
        y = np.pad(xl, [(0, 0), *[tuple(p) for p in pad], (0, 0)])
    elif cls.startswith('Cropping'):
        crop = cfg['cropping']
        crop = [crop] if rank == 1 else crop
        y = xl[(slice(None), *[slice(a, n - b) for (a, b), n in zip(crop, xl.shape[1:-1])], slice(None))]
    else:
        raise ValueError(f'no NumPy implementation of {cls}')
    return _from_last(y, fmt)


# -------------------------------------------------------------------------------------
# running a case through Keras
# -------------------------------------------------------------------------------------

def f32_list(a):
    """Each value as the shortest decimal that reads back as the same float32 (as apps.py)."""
    a = np.asarray(a, dtype=np.float32).ravel()
    return [float(np.format_float_positional(v, unique=True, trim='-')) if abs(v) >= 1e-4 or v == 0
            else float(np.format_float_scientific(v, unique=True, trim='-')) for v in a]


ANSI = re.compile(r'\x1b\[[0-9;]*m')


def error_text(e):
    """TensorFlow's own message (without Keras's wrapper, terminal colours, or XLA's Python stack trace)."""
    text = ' '.join(ANSI.sub('', f'{type(e).__name__}: {e}').split())
    m = re.search(r'\}\} (.*?) ?\[Op:(\w+)\]', text)
    if m:
        return f'{type(e).__name__} from the TensorFlow op {m.group(2)}: {m.group(1)}'
    return text.split(' Stack trace for op definition')[0][:400]


def wrong_bias_axis(y_shape, bias_shape):
    """layers.py `wrong_bias_axis`: whether Keras 3.15's TF `ops.add` adds this bias along the wrong axis."""
    big = [(i, d) for i, d in enumerate(bias_shape) if d > 1]
    if len(big) != 1 or len(y_shape) < 2:
        return False
    i, d = big[0]
    if d not in (y_shape[1], y_shape[-1]):
        return False
    axis = len(y_shape) - (len(bias_shape) - i)
    chosen = len(y_shape) - 1 if y_shape[-1] == d else 1
    return axis != chosen


def skip_reason(layers, eager, xla):
    text = eager + ' ' + (xla or '')
    cfgs = [kw for _, kw in layers]
    def even_op0(c):
        ks, ds, ops = (c.get(k) for k in ('kernel_size', 'dilation_rate', 'output_padding'))
        if c.get('padding') != 'same' or ops is None:
            return False
        n = len(ks) if isinstance(ks, (list, tuple)) else 1
        ks, ds, ops = ([v] * n if isinstance(v, int) else list(v) for v in (ks, ds if ds is not None else 1, ops))
        return any((d * (k - 1) + 1) % 2 == 0 and o == 0 for k, d, o in zip(ks, ds, ops))
    if any(even_op0(c) for c in cfgs):
        return ('reference §11: a transposed convolution with padding "same", an even effective kernel and '
                'output_padding 0 asks for an output of length (n-1)*s, whose forward convolution does not '
                'give back n; TensorFlow refuses that output shape (eagerly and under XLA)')
    if 'dilation' in text.lower():
        return 'TensorFlow on CPU refuses this dilation (eagerly and under XLA)'
    return 'TensorFlow on CPU refuses this case (eagerly and under XLA)'


def run_case(keras, tf, group, cid, layers, in_shape, seed):
    keras.utils.clear_session()
    L = keras.layers
    try:
        inp = keras.Input(shape=in_shape)
        y = inp
        objs = []
        for cls, kw in layers:
            layer = getattr(L, cls)(**kw)
            objs.append(layer)
            y = layer(y)
        model = keras.Model(inp, y)
    except Exception as e:  # noqa: BLE001
        # not expected: every case here is one Keras 3.15 accepts (the run's summary prints it)
        return None, {'id': cid, 'layers': [c for c, _ in layers], 'arguments': [kw for _, kw in layers],
                      'input': {'shape': [BATCH, *in_shape]}, 'stage': 'build', 'error': error_text(e),
                      'xla_error': '', 'reason': 'Keras 3.15 refuses the configuration'}
    weights = model.weights
    values = fill_weights([np.zeros(tuple(int(d) for d in w.shape), dtype=np.float32) for w in weights],
                          [w.path for w in weights], seed)
    assert [tuple(v.shape) for v in model.get_weights()] == [tuple(v.shape) for v in values]
    model.set_weights(values)
    x = make_input((BATCH, *in_shape), seed, *RANGE)

    # the bias mis-broadcast of Keras 3.15's TF backend must not meet any case
    h = x.shape
    for layer in objs:
        out_shape = tuple(int(d) for d in layer.compute_output_shape((BATCH, *h[1:])))
        if getattr(layer, 'use_bias', False):
            rank = len(out_shape) - 2
            ch = out_shape[1] if layer.data_format == CF else out_shape[-1]
            bias_shape = (1, ch) + (1,) * rank if layer.data_format == CF else (1,) * (rank + 1) + (ch,)
            if wrong_bias_axis(out_shape, bias_shape):
                raise SystemExit(f'{cid}: the sizes meet Keras 3.15\'s TF bias_add mis-broadcast; change them')
        h = out_shape

    xla, eager_error = False, None
    try:
        out = model(x, training=False)
    except Exception as e:  # noqa: BLE001
        eager_error = error_text(e)
        try:
            out = tf.function(lambda v: model(v, training=False), jit_compile=True)(x)
            xla = True
        except Exception as e2:  # noqa: BLE001
            return None, {'id': cid, 'layers': [c for c, _ in layers], 'arguments': [kw for _, kw in layers],
                          'input': {'shape': [BATCH, *in_shape]}, 'stage': 'call', 'error': eager_error,
                          'xla_error': error_text(e2), 'reason': skip_reason(layers, eager_error, error_text(e2))}
    out = np.asarray(keras.ops.convert_to_numpy(out)).astype(np.float32)

    # the independent computation
    ref = x.astype(np.float64)
    k = 0
    for layer, (cls, _) in zip(objs, layers):
        n = len(layer.weights)
        ref = numpy_layer(cls, layer.get_config(), ref, [v.astype(np.float64) for v in values[k:k + n]])
        k += n
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    if ref.shape != out.shape:
        diff = math.inf
    else:
        diff = float(np.max(np.abs(out.astype(np.float64) - ref))) if ref.size else 0.0
    if diff > CHECK_TOLERANCE * max(scale, 1e-30):
        msg = f'Keras and NumPy differ: shapes {list(out.shape)} / {list(ref.shape)}, max |diff| {diff:.3g}, scale {scale:.3g}'
        if xla:
            return None, {'id': cid, 'layers': [c for c, _ in layers], 'arguments': [kw for _, kw in layers],
                          'input': {'shape': [BATCH, *in_shape]}, 'stage': 'call', 'error': eager_error,
                          'xla_error': msg, 'reason': 'TensorFlow on CPU refuses it eagerly, and XLA\'s result disagrees with the NumPy computation'}
        raise SystemExit(f'{cid}: {msg}')

    text = model.to_json()
    keras.models.model_from_json(text)
    case = {
        'id': cid,
        'layers': [c for c, _ in layers],
        'arguments': [kw for _, kw in layers],
        'seed': seed,
        'input': {'shape': [BATCH, *in_shape], 'low': RANGE[0], 'high': RANGE[1]},
        'weights': [{'name': w.path, 'shape': [int(d) for d in w.shape], 'dtype': str(w.dtype)} for w in weights],
        'params': int(model.count_params()),
        'output_shape': [None if d is None else int(d) for d in model.output_shape],
        'output': {'shape': [int(d) for d in out.shape], 'data': f32_list(out)},
        'numpy_check': {'max_abs_diff': diff, 'max_abs': scale},
        # exactly rounded sums of the values Keras was given, so a reader can check its regeneration
        'fill_check': {'weights': [math.fsum(float(v) for v in w.ravel()) for w in values],
                       'input': math.fsum(float(v) for v in x.ravel())},
    }
    if xla:
        case['xla'] = True
        case['eager_error'] = eager_error
    case['model'] = json.loads(text)
    assert np.array_equal(np.array(case['output']['data'], dtype=np.float32).view(np.uint32), out.ravel().view(np.uint32))
    return case, None


def jsonable(v):
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    return v


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=OUT)
    ap.add_argument('--only', default='', help='comma-separated groups (default: all)')
    a = ap.parse_args()
    import keras
    import tensorflow as tf
    tf.get_logger().setLevel('ERROR')
    keras.config.set_dtype_policy('float32')
    keras.config.set_image_data_format(CL)
    wanted = [g for g in a.only.split(',') if g]
    groups = []
    for g, *_ in CASES:
        if g not in groups:
            groups.append(g)
    os.makedirs(a.out, exist_ok=True)
    total = 0
    for gi, group in enumerate(groups):
        if wanted and group not in wanted:
            continue
        cases, skips = [], []
        for ci, (g, cid, layers, in_shape) in enumerate(c for c in CASES if c[0] == group):
            seed = 30000 + 1000 * gi + 37 * ci
            case, skip = run_case(keras, tf, g, cid, layers, in_shape, seed)
            if case is not None:
                cases.append(jsonable(case))
            else:
                skips.append(jsonable(skip))
        doc = {
            'format': FORMAT_VERSION,
            'group': group,
            'generator': 'scripts/golden/convfamily.py',
            'keras_version': keras.__version__,
            'tensorflow_version': tf.__version__,
            'cases': cases,
            'skips': skips,
        }
        path = os.path.join(a.out, f'{group}.json')
        with open(path, 'w') as f:
            json.dump(doc, f, separators=(',', ':'), allow_nan=False)
            f.write('\n')
        size = os.path.getsize(path)
        total += size
        worst = max((c['numpy_check']['max_abs_diff'] / max(c['numpy_check']['max_abs'], 1e-30) for c in cases), default=0.0)
        print(f'{group}: {len(cases)} cases ({sum(1 for c in cases if c.get("xla"))} via XLA), {len(skips)} skipped, '
              f'{size} bytes, largest |keras - numpy| / scale {worst:.2e}', flush=True)
        for c in cases:
            if c.get('xla'):
                print(f'  xla  {c["id"]}: {c["eager_error"][:160]}')
        for s in skips:
            print(f'  skip {s["id"]}: {s["error"][:160]} | xla: {s["xla_error"][:160]}')
    print(f'total {total} bytes')


if __name__ == '__main__':
    main()
