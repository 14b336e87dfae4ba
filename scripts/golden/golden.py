"""Shared conventions of the golden fixtures written with real Keras 3.15 (run by hand, see README).

Weights and inputs are not stored: both sides generate them from a seed with the same integer PRNG
(mulberry32, exact in Python and in JavaScript) and the same fill rule by weight name and shape, so a
fixture holds only the model JSON, the seed, the input description and Keras's outputs. The TypeScript
twin is spec/keras3/golden.ts; the two must stay identical.
"""
import math
import numpy as np

MASK = 0xFFFFFFFF


def _imul(a, b):
    return (a * b) & MASK


def mulberry32(seed):
    """A generator of floats in [0, 1): k / 2**32 for a 32-bit k (exactly as spec/keras3/golden.ts)."""
    state = seed & MASK

    def nxt():
        nonlocal state
        state = (state + 0x6D2B79F5) & MASK
        t = _imul(state ^ (state >> 15), 1 | state)
        t = ((t + _imul(t ^ (t >> 7), 61 | t)) & MASK) ^ t
        return ((t ^ (t >> 14)) & MASK) / 4294967296.0

    return nxt


def uniform(seed, n, low, high):
    """n float32 values low + (high - low) * u, computed in float64 then rounded to float32."""
    nxt = mulberry32(seed)
    return np.array([low + (high - low) * nxt() for _ in range(n)], dtype=np.float64).astype(np.float32)


def weight_range(name, shape):
    """The fill range of a weight, by its Keras name (the last path component) and shape."""
    n = name.split('/')[-1].split(':')[0]
    if n in ('gamma',):
        return (0.8, 1.2)
    if n in ('moving_variance', 'variance'):
        return (0.5, 1.5)
    if n in ('moving_stddev', 'renorm_stddev'):
        return (0.7, 1.3)
    if n == 'renorm_mean':
        return (-0.1, 0.1)
    if n in ('bias', 'beta', 'moving_mean', 'mean'):
        return (-0.1, 0.1)
    if n == 'depthwise_kernel':
        fan_in = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    else:
        fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
    a = math.sqrt(3.0 / max(1, fan_in))
    return (-a, a)


def fill_weights(weights, names, seed):
    """Values for `weights` (a list of arrays, Keras get_weights() order) named `names`: weight i from seed + i."""
    out = []
    for i, (w, name) in enumerate(zip(weights, names)):
        low, high = weight_range(name, w.shape)
        out.append(uniform(seed + 1 + i, int(np.prod(w.shape)), low, high).reshape(w.shape))
    return out


def make_input(shape, seed, low, high):
    """The model input: float32 values in [low, high), batch axis included in `shape`."""
    return uniform(seed, int(np.prod(shape)), low, high).reshape(shape)
