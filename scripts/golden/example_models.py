"""The example models of issue 14 (examples/models/*.keras3.json), as Keras 3 code.

apps.py builds them like the keras.applications architectures (`examples.causal_tcn()`), writes their
golden fixture (spec/fixtures/keras3/apps/<name>.json) and, with --examples, the model JSON exactly as
`to_json()` writes it into examples/models/.
"""


def causal_tcn(keras, steps=64, features=2):
    """A small temporal convolutional network: a stack of causal, dilated Conv1D blocks (dilation
    1, 2, 4, 8, each with a residual Add), predicting one value per time step from the past only."""
    layers = keras.layers
    x = inputs = keras.Input((steps, features), name='series')
    x = layers.Conv1D(16, 1, name='embed')(x)
    for d in (1, 2, 4, 8):
        h = layers.Conv1D(16, 3, padding='causal', dilation_rate=d, activation='relu', name=f'causal_d{d}')(x)
        h = layers.Conv1D(16, 1, name=f'mix_d{d}')(h)
        x = layers.Add(name=f'residual_d{d}')([x, h])
    outputs = layers.Conv1D(1, 1, name='forecast')(x)
    return keras.Model(inputs, outputs, name='causal_tcn')


def unet(keras, size=32, channels=3, classes=1):
    """A U-Net-style encoder / decoder: two downsampling stages (Conv2D, MaxPooling2D), a bottleneck,
    and two upsampling stages (Conv2DTranspose, stride 2) each concatenated with the encoder's features
    at its resolution; per-pixel logits out."""
    layers = keras.layers

    def block(x, filters, name):
        x = layers.Conv2D(filters, 3, padding='same', activation='relu', name=f'{name}_conv1')(x)
        return layers.Conv2D(filters, 3, padding='same', activation='relu', name=f'{name}_conv2')(x)

    inputs = keras.Input((size, size, channels), name='image')
    e1 = block(inputs, 8, 'enc1')
    e2 = block(layers.MaxPooling2D(2, name='down1')(e1), 16, 'enc2')
    b = block(layers.MaxPooling2D(2, name='down2')(e2), 32, 'bottleneck')
    u2 = layers.Conv2DTranspose(16, 2, strides=2, padding='same', name='up2')(b)
    d2 = block(layers.Concatenate(name='skip2')([u2, e2]), 16, 'dec2')
    u1 = layers.Conv2DTranspose(8, 2, strides=2, padding='same', name='up1')(d2)
    d1 = block(layers.Concatenate(name='skip1')([u1, e1]), 8, 'dec1')
    outputs = layers.Conv2D(classes, 1, name='logits')(d1)
    return keras.Model(inputs, outputs, name='unet')
