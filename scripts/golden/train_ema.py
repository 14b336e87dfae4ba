"""Golden `fit` runs from real Keras 3.15 (TensorFlow backend) of the optimizer options Keras 3 adds:
`use_ema` (with `ema_momentum`, `ema_overwrite_frequency`) and `gradient_accumulation_steps`, for
spec/train/optimizer-ema.spec.ts.

    KERAS_BACKEND=tensorflow TF_ENABLE_ONEDNN_OPTS=0 /work/kvenv/bin/python scripts/golden/train_ema.py

Each case: a small MLP (Dense 6 tanh → Dense 3 softmax) with golden.py's weights from its seed, 12
samples, `fit(batch_size=4, epochs=2, shuffle=False)` (6 steps), sparse categorical crossentropy. The
fixture keeps the serialized optimizer, the history losses and the weights after `fit` (after its
`finalize_variable_values`).
"""
import json
import os
import sys

import numpy as np

os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
import keras  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from golden import fill_weights, make_input, mulberry32  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'spec', 'fixtures', 'keras3', 'train', 'optimizer-ema.json')

CASES = [
    ('adam-accumulate-2', lambda: keras.optimizers.Adam(0.05, gradient_accumulation_steps=2)),
    ('sgd-momentum-accumulate-3-clipnorm', lambda: keras.optimizers.SGD(0.2, momentum=0.9, gradient_accumulation_steps=3, clipnorm=0.3)),
    ('sgd-ema', lambda: keras.optimizers.SGD(0.2, momentum=0.5, use_ema=True, ema_momentum=0.8)),
    ('adam-ema-overwrite-2', lambda: keras.optimizers.Adam(0.05, use_ema=True, ema_momentum=0.7, ema_overwrite_frequency=2)),
    ('adamw-ema-accumulate-schedule', lambda: keras.optimizers.AdamW(
        keras.optimizers.schedules.ExponentialDecay(0.05, decay_steps=2, decay_rate=0.5),
        weight_decay=0.1, use_ema=True, ema_momentum=0.6, ema_overwrite_frequency=3, gradient_accumulation_steps=2)),
]


def main():
    cases = []
    for i, (name, make_opt) in enumerate(CASES):
        seed = 700 + 10 * i
        keras.utils.set_random_seed(1)
        model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(6, activation='tanh'), keras.layers.Dense(3, activation='softmax')], name='mlp')
        names = [w.path for w in model.weights]
        model.set_weights(fill_weights(model.get_weights(), names, seed))
        x = make_input((12, 5), seed, -1.0, 1.0)
        nxt = mulberry32(seed + 5)
        y = np.array([int(nxt() * 3) for _ in range(12)], dtype=np.float32)
        opt = make_opt()
        model.compile(optimizer=opt, loss='sparse_categorical_crossentropy')
        h = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        cases.append({
            'name': name,
            'model': json.loads(model.to_json()),
            'seed': seed,
            'labels': y.tolist(),
            'optimizer': keras.optimizers.serialize(opt),
            'losses': [float(v) for v in h.history['loss']],
            'weights_after': [{'path': n, 'shape': list(w.shape), 'values': w.reshape(-1).astype(np.float64).tolist()} for n, w in zip(names, model.get_weights())],
        })
    with open(OUT, 'w') as f:
        json.dump({'keras': keras.__version__, 'cases': cases}, f, indent=1)
    print('wrote', len(cases), 'cases to', OUT)


if __name__ == '__main__':
    main()
