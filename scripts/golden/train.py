"""Golden training steps from real Keras 3.15 (TensorFlow backend) for spec/train/keras-golden.spec.ts.

Run by hand with the Keras venv (see README, "Golden fixtures"):
    KERAS_BACKEND=tensorflow TF_ENABLE_ONEDNN_OPTS=0 /work/kvenv/bin/python scripts/golden/train.py

For each case: a small model, its weights filled by golden.py's rule from a seed, a batch (inputs by
golden.py's rule, labels from their own seed), `model.compile(optimizer, loss)`, then two
`train_on_batch` steps. The fixture keeps the model JSON, the seeds, the serialized optimizer and the
loss as compile took them, the two losses Keras returned and every weight after the second step (in
`get_weights()` order, moving statistics included). No dropout (its random stream is Keras's own).

Cases are only ever appended to CASES: case i's seeds are 100 + 10·i, so the earlier cases stay bit for
bit what they were. The convolution family's cases (issue 14) follow the 2-D ones; TensorFlow's CPU
transposed convolution refuses dilation > 1, so no transposed case dilates.
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

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'spec', 'fixtures', 'keras3', 'train', 'steps.json')


def conv_bn_pool():
    return keras.Sequential([
        keras.Input((6, 6, 2)),
        keras.layers.Conv2D(4, 3, padding='same', activation='relu'),
        keras.layers.BatchNormalization(),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(3, 2, strides=1, padding='valid'),
        keras.layers.Flatten(),
        keras.layers.Dense(5, activation='softmax'),
    ], name='conv_bn_pool')


def strided_dilated():
    return keras.Sequential([
        keras.Input((7, 7, 4)),
        keras.layers.Conv2D(4, 3, strides=2, padding='same', groups=2, activation='tanh'),
        keras.layers.Conv2D(3, 2, dilation_rate=2, padding='same'),
        keras.layers.AveragePooling2D(2, padding='same'),
        keras.layers.GlobalMaxPooling2D(),
        keras.layers.Dense(3, activation='softmax'),
    ], name='strided_dilated')


def depthwise_residual():
    x = keras.Input((5, 5, 3))
    d = keras.layers.DepthwiseConv2D(3, padding='same')(x)
    s = keras.layers.Add()([x, d])
    a = keras.layers.Activation('tanh')(s)
    p = keras.layers.AveragePooling2D(2)(a)
    g = keras.layers.GlobalAveragePooling2D()(p)
    y = keras.layers.Dense(4, activation='softmax')(g)
    return keras.Model(x, y, name='depthwise_residual')


def conv1d_causal():
    return keras.Sequential([
        keras.Input((12, 3)),
        keras.layers.Conv1D(4, 3, padding='causal', dilation_rate=2, activation='relu'),
        keras.layers.Conv1D(4, 2, strides=2, padding='same', activation='tanh'),
        keras.layers.MaxPooling1D(2),
        keras.layers.Conv1D(3, 2, padding='causal'),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(3, activation='softmax'),
    ], name='conv1d_causal')


def conv2d_transpose():
    return keras.Sequential([
        keras.Input((3, 3, 2)),
        keras.layers.Conv2DTranspose(3, 3, strides=2, padding='same', activation='tanh'),
        keras.layers.Conv2DTranspose(2, 2, strides=2, output_padding=1, padding='valid'),
        keras.layers.Conv2DTranspose(2, 3, padding='same', activation='tanh'),
        keras.layers.Flatten(),
        keras.layers.Dense(3, activation='softmax'),
    ], name='conv2d_transpose')


def separable2d():
    return keras.Sequential([
        keras.Input((6, 6, 3)),
        keras.layers.SeparableConv2D(4, 3, depth_multiplier=2, padding='same', activation='relu',
                                     depthwise_regularizer=keras.regularizers.L2(0.01), pointwise_regularizer=keras.regularizers.L1(0.01)),
        keras.layers.SeparableConv2D(3, 2, strides=2, activation='tanh'),
        keras.layers.Flatten(),
        keras.layers.Dense(3, activation='softmax'),
    ], name='separable2d')


def conv3d():
    return keras.Sequential([
        keras.Input((4, 5, 5, 2)),
        keras.layers.Conv3D(3, (2, 3, 3), strides=(1, 2, 2), padding='same', activation='tanh'),
        keras.layers.Conv3D(4, 2, groups=1, padding='valid'),
        keras.layers.MaxPooling3D((1, 2, 2), padding='same'),
        keras.layers.Conv3DTranspose(2, 2, strides=(2, 1, 1), activation='tanh'),
        keras.layers.GlobalAveragePooling3D(),
        keras.layers.Dense(3, activation='softmax'),
    ], name='conv3d')


def separable1d():
    return keras.Sequential([
        keras.Input((12, 2)),
        keras.layers.DepthwiseConv1D(3, depth_multiplier=2, activation='tanh'),
        keras.layers.SeparableConv1D(3, 3, strides=2, padding='same'),
        keras.layers.Conv1DTranspose(2, 3, strides=2, activation='tanh'),
        keras.layers.AveragePooling1D(2, padding='same'),
        keras.layers.UpSampling1D(2),
        keras.layers.ZeroPadding1D((1, 2)),
        keras.layers.Cropping1D((2, 0)),
        keras.layers.GlobalMaxPooling1D(),
        keras.layers.Dense(3, activation='softmax'),
    ], name='separable1d')


def mlp(out_activation, units=3, reg=None):
    return keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(8, activation='tanh', kernel_regularizer=reg),
        keras.layers.Dense(units, activation=out_activation),
    ], name='mlp')


def lora_mlp():
    model = mlp('softmax')
    model.layers[0].enable_lora(2)
    return model


def lora_conv():
    model = keras.Sequential([
        keras.Input((5, 5, 3)),
        keras.layers.Conv2D(4, 3, activation='relu', name='adapted'),
        keras.layers.Flatten(),
        keras.layers.Dense(3, activation='softmax'),
    ], name='lora_conv')
    model.layers[0].enable_lora(2, lora_alpha=6)
    model.layers[2].enable_lora(1)
    return model


def renorm_conv(clipping, center_scale):
    def build():
        return keras.Sequential([
            keras.Input((5, 5, 2)),
            # no bias before the normalization: its exact gradient is 0, and Adam would turn float32 noise into full steps
            keras.layers.Conv2D(3, 3, padding='same', use_bias=False),
            keras.layers.BatchNormalization(renorm=True, renorm_clipping=clipping, renorm_momentum=0.9, momentum=0.8,
                                            center=center_scale, scale=center_scale),
            keras.layers.Activation('relu'),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(3, activation='softmax'),
        ], name='renorm_conv')
    return build


def labels_for(loss, batch, classes, seed):
    nxt = mulberry32(seed)
    if loss == 'sparse_categorical_crossentropy':
        return np.array([int(nxt() * classes) for _ in range(batch)], dtype=np.float32)
    if loss == 'categorical_crossentropy':
        idx = [int(nxt() * classes) for _ in range(batch)]
        return np.eye(classes, dtype=np.float32)[idx]
    if loss == 'binary_crossentropy':
        return np.array([[1.0 if nxt() < 0.5 else 0.0 for _ in range(classes)] for _ in range(batch)], dtype=np.float32)
    return np.array([[nxt() * 2 - 1 for _ in range(classes)] for _ in range(batch)], dtype=np.float32)


CASES = [
    ('conv-sgd-sparse', conv_bn_pool, lambda: keras.optimizers.SGD(0.1), 'sparse_categorical_crossentropy'),
    ('conv-momentum-sparse', conv_bn_pool, lambda: keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True), 'sparse_categorical_crossentropy'),
    ('conv-adam-sparse', conv_bn_pool, lambda: keras.optimizers.Adam(0.01), 'sparse_categorical_crossentropy'),
    ('conv-adam-categorical', conv_bn_pool, lambda: keras.optimizers.Adam(0.01), 'categorical_crossentropy'),
    ('strided-rmsprop-sparse', strided_dilated, lambda: keras.optimizers.RMSprop(0.01, momentum=0.5), 'sparse_categorical_crossentropy'),
    ('depthwise-momentum-sparse', depthwise_residual, lambda: keras.optimizers.SGD(0.1, momentum=0.9), 'sparse_categorical_crossentropy'),
    ('depthwise-adam-categorical', depthwise_residual, lambda: keras.optimizers.Adam(0.02), 'categorical_crossentropy'),
    ('mlp-sgd-mse', lambda: mlp(None), lambda: keras.optimizers.SGD(0.1), 'mean_squared_error'),
    ('mlp-adam-mse', lambda: mlp(None), lambda: keras.optimizers.Adam(0.01), 'mean_squared_error'),
    ('mlp-adamw-mae', lambda: mlp(None), lambda: keras.optimizers.AdamW(0.01, weight_decay=0.1), 'mean_absolute_error'),
    ('mlp-adagrad-huber', lambda: mlp(None), lambda: keras.optimizers.Adagrad(0.1), 'huber'),
    ('mlp-adam-bce', lambda: mlp('sigmoid'), lambda: keras.optimizers.Adam(0.01), 'binary_crossentropy'),
    ('mlp-l2-sgd-mse', lambda: mlp(None, reg=keras.regularizers.L2(0.05)), lambda: keras.optimizers.SGD(0.1, clipnorm=0.5), 'mean_squared_error'),
    # the convolution family (issue 14); appended, so the cases above keep their seeds
    ('conv1d-causal-adam-sparse', conv1d_causal, lambda: keras.optimizers.Adam(0.01), 'sparse_categorical_crossentropy'),
    ('conv2d-transpose-sgd-categorical', conv2d_transpose, lambda: keras.optimizers.SGD(0.1, momentum=0.9), 'categorical_crossentropy'),
    ('separable2d-adam-sparse', separable2d, lambda: keras.optimizers.Adam(0.01), 'sparse_categorical_crossentropy'),
    ('conv3d-rmsprop-sparse', conv3d, lambda: keras.optimizers.RMSprop(0.01), 'sparse_categorical_crossentropy'),
    ('separable1d-adam-categorical', separable1d, lambda: keras.optimizers.Adam(0.02), 'categorical_crossentropy'),
    # LoRA (Keras 3's enable_lora: the kernel frozen, lora_kernel_a / lora_kernel_b trained)
    ('lora-dense-adam-sparse', lora_mlp, lambda: keras.optimizers.Adam(0.02), 'sparse_categorical_crossentropy'),
    ('lora-conv-sgd-categorical', lora_conv, lambda: keras.optimizers.SGD(0.1, momentum=0.5), 'categorical_crossentropy'),
    # batch renormalization (Keras 3's renorm: r and d corrections, renorm / moving statistics updated)
    ('renorm-clipped-sgd-sparse', renorm_conv({'rmax': 1.2, 'rmin': 0.9, 'dmax': 0.05}, True), lambda: keras.optimizers.SGD(0.1), 'sparse_categorical_crossentropy'),
    ('renorm-plain-adam-categorical', renorm_conv(None, False), lambda: keras.optimizers.Adam(0.02), 'categorical_crossentropy'),
]

BATCH = 4


def main():
    cases = []
    for i, (name, build, make_opt, loss) in enumerate(CASES):
        keras.utils.set_random_seed(1)
        model = build()
        seed = 100 + 10 * i
        names = [w.path for w in model.weights]
        model.set_weights(fill_weights(model.get_weights(), names, seed))
        in_shape = (BATCH,) + tuple(model.input_shape[1:])
        x = make_input(in_shape, seed, -1.0, 1.0)
        classes = model.output_shape[-1]
        y = labels_for(loss, BATCH, classes, seed + 5)
        opt = make_opt()
        model.compile(optimizer=opt, loss=loss)
        losses = [float(model.train_on_batch(x, y)) for _ in range(2)]
        cases.append({
            'name': name,
            'model': json.loads(model.to_json()),
            'seed': seed,
            'input': {'shape': list(in_shape), 'seed': seed, 'low': -1.0, 'high': 1.0},
            'labels': {'shape': list(y.shape), 'values': y.reshape(-1).tolist()},
            'loss': loss,
            'optimizer': keras.optimizers.serialize(opt),
            'losses': losses,
            'weights_after': [{'path': n, 'shape': list(w.shape), 'values': w.reshape(-1).astype(np.float64).tolist()} for n, w in zip(names, model.get_weights())],
        })
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    # a model as Keras 3 saves it compiled (config.json of a .keras file: compile_config)
    import tempfile
    import zipfile
    keras.utils.set_random_seed(1)
    model = conv_bn_pool()
    model.compile(optimizer=keras.optimizers.Adam(0.002, clipnorm=1.0), loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, 'model.keras')
        model.save(path)
        with zipfile.ZipFile(path) as z:
            saved = json.loads(z.read('config.json'))
    with open(os.path.join(os.path.dirname(OUT), 'compiled.keras3.json'), 'w') as f:
        json.dump(saved, f, indent=1)
    with open(OUT, 'w') as f:
        json.dump({'keras': keras.__version__, 'backend': keras.backend.backend(), 'steps': 2, 'cases': cases}, f, indent=1)
    print(f'wrote {len(cases)} cases to {OUT}')


if __name__ == '__main__':
    main()
