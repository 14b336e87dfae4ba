"""Golden training-mode transforms of Keras 3.15's image augmentation layers (TensorFlow backend), for
spec/train/augment.spec.ts: RandomFlip, RandomRotation, RandomZoom, RandomTranslation (every fill mode,
both interpolations, both data formats), RandomContrast, RandomBrightness.

    KERAS_BACKEND=tensorflow TF_ENABLE_ONEDNN_OPTS=0 /work/kvenv/bin/python scripts/golden/augment.py

Each case: the layer's config (as `get_config` writes it), an input batch (golden.py's rule from a seed),
the random transformation Keras drew (`get_random_transformation(x, training=True)`: flips, angle,
zooms, translations, contrast factor, brightness delta) and the images `transform_images` made from it.
The draws are Keras's own random stream; layerspec draws its own, so the test feeds Keras's draws to
layerspec's transform and compares the images.
"""
import json
import os
import sys

import numpy as np

os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
import keras  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from golden import make_input  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'spec', 'fixtures', 'keras3', 'train', 'augment.json')
L = keras.layers


def cases():
    out = []
    for fmt in ('channels_last', 'channels_first'):
        out.append((f'flip-horizontal-{fmt}', L.RandomFlip('horizontal', data_format=fmt), (4, 5, 6, 2)))
        out.append((f'flip-both-{fmt}', L.RandomFlip('horizontal_and_vertical', data_format=fmt), (4, 5, 6, 2)))
        for fill in ('reflect', 'wrap', 'constant', 'nearest'):
            for interp in ('bilinear', 'nearest'):
                out.append((f'rotation-{fill}-{interp}-{fmt}', L.RandomRotation(0.3, fill_mode=fill, interpolation=interp, fill_value=0.5, data_format=fmt), (3, 7, 6, 2)))
            out.append((f'zoom-{fill}-bilinear-{fmt}', L.RandomZoom((-0.4, 0.5), (-0.3, 0.6), fill_mode=fill, fill_value=-0.25, data_format=fmt), (3, 6, 7, 2)))
            out.append((f'translation-{fill}-nearest-{fmt}', L.RandomTranslation(0.4, (-0.3, 0.5), fill_mode=fill, interpolation='nearest', fill_value=0.75, data_format=fmt), (3, 6, 5, 2)))
        out.append((f'zoom-keep-aspect-{fmt}', L.RandomZoom(0.3, data_format=fmt), (3, 6, 7, 2)))
        out.append((f'contrast-{fmt}', L.RandomContrast(0.6, value_range=(-1, 1), data_format=fmt), (4, 5, 6, 3)))
        out.append((f'brightness-{fmt}', L.RandomBrightness((-0.3, 0.4), value_range=(-1, 1), data_format=fmt), (4, 5, 6, 3)))
    return out


def jsonable(v):
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items() if k not in ('input_shape',)}
    a = np.asarray(v)
    if a.dtype == bool:
        return a.astype(np.float64).reshape(-1).tolist()
    if a.ndim == 0:
        return float(a)
    return a.astype(np.float64).reshape(-1).tolist()


def main():
    res = []
    for i, (name, layer, shape) in enumerate(cases()):
        seed = 400 + i
        x = make_input(shape, seed, -1.0, 1.0)
        layer.build(shape)
        t = layer.get_random_transformation(x, training=True, seed=keras.random.SeedGenerator(seed))
        y = layer.transform_images(x, t, training=True)
        cfg = layer.get_config()
        res.append({
            'name': name,
            'layer': {'module': 'keras.layers', 'class_name': layer.__class__.__name__, 'config': cfg, 'registered_name': None},
            'input': {'shape': list(shape), 'seed': seed, 'low': -1.0, 'high': 1.0},
            'transformation': jsonable(t),
            'output': np.asarray(y).astype(np.float64).reshape(-1).tolist(),
        })
    with open(OUT, 'w') as f:
        json.dump({'keras': keras.__version__, 'cases': res}, f)
    print('wrote', len(res), 'cases to', OUT)


if __name__ == '__main__':
    main()
