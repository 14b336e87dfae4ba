"""Golden `fit` of a two-output model from real Keras 3.15 (TensorFlow backend), for
spec/train/multi-output.spec.ts: losses, loss weights and metrics given per output name, as
`model.compile` takes them and a `.keras` file's compile_config keeps them.

    KERAS_BACKEND=tensorflow TF_ENABLE_ONEDNN_OPTS=0 /work/kvenv/bin/python scripts/golden/train_multi.py

The model: a shared Conv2D + Flatten trunk, then `reg` (Dense 2, linear) and `cls` (Dense 3, softmax);
weights by golden.py's rule from a seed; 8 samples, `fit(batch_size=4, epochs=2, shuffle=False,
validation_data=...)`. The fixture keeps the model's saved config.json (compile_config included), the
inputs' seeds, the labels, the history Keras returned (keys `loss`, `reg_loss`, `cls_loss`, `reg_mae`,
`cls_accuracy`, and their `val_` twins) and every weight after fit.
"""
import json
import os
import sys
import tempfile
import zipfile

import numpy as np

os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
import keras  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from golden import fill_weights, make_input, mulberry32  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'spec', 'fixtures', 'keras3', 'train', 'multi-output.json')
SEED = 900


def main():
    keras.utils.set_random_seed(1)
    inp = keras.Input((5, 5, 2), name='image')
    h = keras.layers.Conv2D(3, 3, activation='relu', name='trunk')(inp)
    h = keras.layers.Flatten(name='flat')(h)
    reg = keras.layers.Dense(2, name='reg')(h)
    cls = keras.layers.Dense(3, activation='softmax', name='cls')(h)
    model = keras.Model(inp, [reg, cls], name='two_heads')
    names = [w.path for w in model.weights]
    model.set_weights(fill_weights(model.get_weights(), names, SEED))
    x = make_input((8, 5, 5, 2), SEED, -1.0, 1.0)
    xv = make_input((4, 5, 5, 2), SEED + 1, -1.0, 1.0)
    nxt = mulberry32(SEED + 2)
    y_reg = np.array([[nxt() * 2 - 1 for _ in range(2)] for _ in range(12)], dtype=np.float32)
    y_cls = np.array([int(nxt() * 3) for _ in range(12)], dtype=np.float32)
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss={'reg': 'mse', 'cls': 'sparse_categorical_crossentropy'},
        loss_weights={'reg': 0.5, 'cls': 2.0},
        metrics={'reg': 'mae', 'cls': ['accuracy']},
    )
    h = model.fit(x, [y_reg[:8], y_cls[:8]], batch_size=4, epochs=2, shuffle=False, verbose=0,
                  validation_data=(xv, [y_reg[8:], y_cls[8:]]))
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, 'model.keras')
        model.save(path)
        with zipfile.ZipFile(path) as z:
            saved = json.loads(z.read('config.json'))
    out = {
        'keras': keras.__version__,
        'file': saved,
        'seed': SEED,
        'x': {'shape': [8, 5, 5, 2], 'seed': SEED},
        'x_val': {'shape': [4, 5, 5, 2], 'seed': SEED + 1},
        'y_reg': y_reg.reshape(-1).tolist(),
        'y_cls': y_cls.tolist(),
        'weights_before': [{'path': n, 'shape': list(w.shape)} for n, w in zip(names, model.get_weights())],
        'history': {k: [float(v) for v in vs] for k, vs in h.history.items()},
        'weights_after': [{'path': n, 'shape': list(w.shape), 'values': w.reshape(-1).astype(np.float64).tolist()} for n, w in zip(names, model.get_weights())],
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(out, f, indent=1)
    print('wrote', OUT, sorted(out['history']))


if __name__ == '__main__':
    main()
