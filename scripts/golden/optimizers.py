"""Golden fixture of Keras 3's optimizers and learning-rate schedules, written by real Keras 3.15 (run by hand).

For each optimizer and option set (SGD plain / momentum / Nesterov, Adam and AMSGrad, AdamW, RMSprop plain /
momentum / centered, Adagrad, Adadelta, Adamax, Nadam; weight_decay, with a variable excluded from it; clipnorm,
clipvalue, global_clipnorm; loss_scale_factor; every schedule as the learning rate; float32 and float64
variables) this builds the optimizer, applies a fixed sequence of 5 gradient sets to three variables of
different shapes with `optimizer.apply(grads, variables)`, and records:

  - `optimizer.get_config()` and `keras.optimizers.serialize(optimizer)` (the real serialized forms);
  - the learning rate Keras reads before each update (`optimizer.learning_rate`);
  - the variables after each update (float32 written with 9 significant digits, exact; float64 exactly).

It also records each schedule's value at steps 0..N, the serialized form and defaults of every optimizer name
(`keras.optimizers.get(name)`), and Keras's verdict (`keras.optimizers.get(config)`, as `compile` reads it: accepted, or
the exception) on configs layerspec rejects or accepts.
The initial variables and the gradients are stored in the fixture (`problem`), shared by every case.

Usage (from the repository root):
  TF_ENABLE_ONEDNN_OPTS=0 /path/to/venv/bin/python scripts/golden/optimizers.py \
      [--out spec/fixtures/keras3/train/optimizers.json] [--seed 20261206]

Read by spec/train/optimizer.spec.ts and spec/train/schedule.spec.ts.
"""
import argparse
import json
import os
import sys
import warnings

os.environ.setdefault('KERAS_BACKEND', 'tensorflow')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')
warnings.filterwarnings('ignore')

import numpy as np  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden import uniform  # noqa: E402

FORMAT_VERSION = 1
STEPS = 5
SCHEDULE_STEPS = 16
VARIABLES = [('kernel', [3, 2]), ('bias', [2]), ('scale', [1, 2, 2])]
# Per-step gradient scales: a small step, a large one (clipping bites), and one with exact zeros.
GRAD_SCALES = [1.0, 0.1, 3.0, 1.0, 0.5]

S = keras.optimizers.schedules
O = keras.optimizers


# -------------------------------------------------------------------------------------
# the problem: initial variables and gradients
# -------------------------------------------------------------------------------------

def problem(seed):
    init = [uniform(seed + i, int(np.prod(shape)), -1.0, 1.0).reshape(shape) for i, (_, shape) in enumerate(VARIABLES)]
    grads = []
    for s in range(STEPS):
        step = []
        for i, (_, shape) in enumerate(VARIABLES):
            g = (uniform(seed + 100 * (s + 1) + i, int(np.prod(shape)), -1.0, 1.0).astype(np.float64) * GRAD_SCALES[s]).astype(np.float32)
            if s == 3:
                g.reshape(-1)[::2] = 0.0  # exact zeros: Adam / RMSprop / Adagrad with g = 0
            step.append(g.reshape(shape))
        grads.append(step)
    return init, grads


def values_json(a):
    """Every value: float32 with 9 significant digits (exact); float64 as the shortest repr (exact)."""
    a = np.asarray(a)
    if a.dtype == np.float32:
        return [float('%.9g' % v) for v in a.reshape(-1)]
    return [float(v) for v in a.astype(np.float64).reshape(-1)]


def scalar32(x):
    return float('%.9g' % np.float32(keras.ops.convert_to_numpy(x)))


# -------------------------------------------------------------------------------------
# the cases
# -------------------------------------------------------------------------------------

def schedules():
    """Every schedule class, with its options' edge values."""
    return [
        ('exponential', lambda: S.ExponentialDecay(0.1, 3, 0.5)),
        ('exponential_staircase', lambda: S.ExponentialDecay(0.1, 3, 0.5, staircase=True)),
        ('exponential_fractional_steps', lambda: S.ExponentialDecay(0.01, 2.5, 0.96)),
        ('piecewise', lambda: S.PiecewiseConstantDecay([2, 5, 9], [0.1, 0.05, 0.01, 0.001])),
        ('piecewise_one_boundary', lambda: S.PiecewiseConstantDecay([0], [0.3, 0.2])),
        ('inverse_time', lambda: S.InverseTimeDecay(0.1, 2, 0.5)),
        ('inverse_time_staircase', lambda: S.InverseTimeDecay(0.1, 2, 0.5, staircase=True)),
        ('polynomial', lambda: S.PolynomialDecay(0.1, 10)),
        ('polynomial_power', lambda: S.PolynomialDecay(0.1, 7, end_learning_rate=0.01, power=2.0)),
        ('polynomial_cycle', lambda: S.PolynomialDecay(0.1, 4, end_learning_rate=0.02, power=0.5, cycle=True)),
        ('cosine', lambda: S.CosineDecay(0.1, 10)),
        ('cosine_alpha', lambda: S.CosineDecay(0.05, 7, alpha=0.2)),
        ('cosine_warmup', lambda: S.CosineDecay(0.0, 8, alpha=0.1, warmup_target=0.1, warmup_steps=4)),
        ('cosine_warmup_from', lambda: S.CosineDecay(0.01, 5, warmup_target=0.2, warmup_steps=3)),
        ('cosine_restarts', lambda: S.CosineDecayRestarts(0.1, 3)),
        ('cosine_restarts_mul', lambda: S.CosineDecayRestarts(0.1, 2, t_mul=1.5, m_mul=0.5, alpha=0.1)),
        ('cosine_restarts_tmul1', lambda: S.CosineDecayRestarts(0.2, 3, t_mul=1.0, m_mul=0.8)),
    ]


def optimizer_cases():
    """(name, build, dtype, excluded variable names, schedule name or None)."""
    f32 = 'float32'
    f64 = 'float64'
    cases = [
        ('sgd', lambda: O.SGD(0.1), f32),
        ('sgd_momentum', lambda: O.SGD(0.1, momentum=0.9), f32),
        ('sgd_nesterov', lambda: O.SGD(0.1, momentum=0.9, nesterov=True), f32),
        ('sgd_nesterov_no_momentum', lambda: O.SGD(0.1, nesterov=True), f32),
        ('sgd_weight_decay', lambda: O.SGD(0.1, momentum=0.5, weight_decay=0.01), f32),
        ('sgd_clipnorm', lambda: O.SGD(0.1, clipnorm=0.5), f32),
        ('sgd_clipvalue', lambda: O.SGD(0.1, clipvalue=0.3), f32),
        ('sgd_global_clipnorm', lambda: O.SGD(0.1, global_clipnorm=1.0), f32),
        ('sgd_loss_scale', lambda: O.SGD(0.1, loss_scale_factor=128.0), f32),
        ('adam', lambda: O.Adam(0.01), f32),
        ('adam_defaults', lambda: O.Adam(), f32),
        ('adam_amsgrad', lambda: O.Adam(0.01, amsgrad=True), f32),
        ('adam_custom', lambda: O.Adam(0.05, beta_1=0.8, beta_2=0.99, epsilon=1e-3), f32),
        ('adam_clipnorm', lambda: O.Adam(0.01, clipnorm=0.5), f32),
        ('adam_global_clipnorm', lambda: O.Adam(0.01, global_clipnorm=0.8), f32),
        ('adam_weight_decay', lambda: O.Adam(0.01, weight_decay=0.05), f32),
        ('adamw', lambda: O.AdamW(0.01), f32),
        ('adamw_weight_decay', lambda: O.AdamW(0.01, weight_decay=0.1, amsgrad=True), f32),
        ('adamw_exclude_bias', lambda: O.AdamW(0.01, weight_decay=0.1), f32, ['bias']),
        ('rmsprop', lambda: O.RMSprop(0.01), f32),
        ('rmsprop_momentum', lambda: O.RMSprop(0.01, momentum=0.9), f32),
        ('rmsprop_centered', lambda: O.RMSprop(0.01, centered=True), f32),
        ('rmsprop_centered_momentum', lambda: O.RMSprop(0.01, rho=0.8, momentum=0.5, epsilon=1e-3, centered=True), f32),
        ('rmsprop_clipvalue', lambda: O.RMSprop(0.01, clipvalue=0.2, weight_decay=0.02), f32),
        ('adagrad', lambda: O.Adagrad(0.1), f32),
        ('adagrad_custom', lambda: O.Adagrad(0.1, initial_accumulator_value=0.5, epsilon=1e-4, weight_decay=0.05), f32),
        ('adadelta', lambda: O.Adadelta(1.0), f32),
        ('adadelta_custom', lambda: O.Adadelta(0.5, rho=0.9, epsilon=1e-5), f32),
        ('adamax', lambda: O.Adamax(0.01), f32),
        ('adamax_custom', lambda: O.Adamax(0.02, beta_1=0.8, beta_2=0.95, epsilon=1e-4, clipnorm=0.7), f32),
        ('nadam', lambda: O.Nadam(0.01), f32),
        ('nadam_custom', lambda: O.Nadam(0.02, beta_1=0.85, beta_2=0.99, weight_decay=0.01), f32),
        ('sgd_momentum_f64', lambda: O.SGD(0.1, momentum=0.9, nesterov=True), f64),
        ('adam_f64', lambda: O.Adam(0.01, amsgrad=True, weight_decay=0.01), f64),
        ('rmsprop_f64', lambda: O.RMSprop(0.01, momentum=0.5, centered=True), f64),
        ('adagrad_f64', lambda: O.Adagrad(0.1), f64),
        ('adadelta_f64', lambda: O.Adadelta(1.0), f64),
        ('adamax_f64', lambda: O.Adamax(0.01), f64),
        ('nadam_f64', lambda: O.Nadam(0.01), f64),
    ]
    out = [(c[0], c[1], c[2], c[3] if len(c) > 3 else [], None) for c in cases]
    # Every schedule as SGD's learning rate, and two with Adam (+ weight decay, which reads the schedule too).
    for name, build in schedules():
        out.append((f'sgd_{name}', (lambda b: lambda: O.SGD(learning_rate=b()))(build), f32, [], name))
    out.append(('adam_cosine_warmup_wd', lambda: O.Adam(learning_rate=S.CosineDecay(0.0, 8, alpha=0.1, warmup_target=0.1, warmup_steps=2), weight_decay=0.1), f32, [], 'cosine_warmup'))
    out.append(('rmsprop_piecewise', lambda: O.RMSprop(learning_rate=S.PiecewiseConstantDecay([1, 3], [0.1, 0.05, 0.01])), f32, [], 'piecewise'))
    return out


# Configs Keras refuses (or accepts where layerspec is stricter), as JSON a file could hold.
def env(cls, config, module='keras.optimizers'):
    return {'module': module, 'class_name': cls, 'config': config, 'registered_name': None}


def sched(cls, config):
    return env(cls, config, 'keras.optimizers.schedules')


VERDICTS = [
    ('momentum above 1', env('SGD', {'momentum': 1.5}), 'rejects'),
    ('negative momentum', env('SGD', {'momentum': -0.1}), 'rejects'),
    ('two clip options', env('Adam', {'clipnorm': 1.0, 'clipvalue': 0.5}), 'rejects'),
    ('clipnorm and global_clipnorm', env('SGD', {'clipnorm': 1.0, 'global_clipnorm': 2.0}), 'rejects'),
    ('lr key', env('Adam', {'lr': 0.1}), 'rejects'),
    ('is_legacy_optimizer key', env('Adam', {'is_legacy_optimizer': False}), 'rejects'),
    ('jit_compile key', env('Adam', {'jit_compile': True}), 'rejects'),
    ('unknown key', env('Adam', {'beta1': 0.9}), 'rejects'),
    ('AdamW weight_decay null', env('AdamW', {'weight_decay': None}), 'rejects'),
    ('unknown class', env('Adma', {}), 'rejects'),
    ('decay_steps 0', env('SGD', {'learning_rate': sched('ExponentialDecay', {'initial_learning_rate': 0.1, 'decay_steps': 0, 'decay_rate': 0.5})}), 'rejects'),
    ('decay_steps negative', env('SGD', {'learning_rate': sched('CosineDecay', {'initial_learning_rate': 0.1, 'decay_steps': -3})}), 'rejects'),
    ('first_decay_steps 0', env('SGD', {'learning_rate': sched('CosineDecayRestarts', {'initial_learning_rate': 0.1, 'first_decay_steps': 0})}), 'rejects'),
    ('piecewise lengths', env('SGD', {'learning_rate': sched('PiecewiseConstantDecay', {'boundaries': [1, 2], 'values': [0.1, 0.2]})}), 'rejects'),
    ('gradient_accumulation_steps 1', env('SGD', {'gradient_accumulation_steps': 1}), 'rejects'),
    ('decay ignored', env('Adam', {'decay': 0.5}), 'accepts'),
    ('upper-case class', env('ADAM', {}), 'accepts'),
    ('tfjs-cased RMSProp with module', env('RMSProp', {}), 'accepts'),
    ('name null', env('SGD', {'name': None}), 'accepts'),
    # Keras accepts these; layerspec is stricter (documented in OptimizerSpec.ts / ScheduleSpec.ts).
    ('negative learning rate', env('SGD', {'learning_rate': -0.1}), 'stricter'),
    ('beta_1 equal to 1', env('Adam', {'beta_1': 1.0}), 'stricter'),
    ('rmsprop momentum above 1', env('RMSprop', {'momentum': 2.0}), 'stricter'),
    ('use_ema', env('Adam', {'use_ema': True}), 'accepts'),
    ('gradient accumulation', env('Adam', {'gradient_accumulation_steps': 4}), 'accepts'),
    ('negative schedule rate', env('SGD', {'learning_rate': sched('ExponentialDecay', {'initial_learning_rate': -0.1, 'decay_steps': 2, 'decay_rate': 0.5})}), 'stricter'),
]

NAMES = ['sgd', 'adam', 'ADAM', 'Adam', 'adamw', 'rmsprop', 'RMSprop', 'RMSProp', 'adagrad', 'adadelta', 'adamax', 'nadam', 'SGD']
BAD_NAMES = ['adma', 'sgdd', 'momentum', '__proto__']


def keras_verdict(build):
    try:
        build()
        return {'raised': False, 'error': None}
    except Exception as e:  # noqa: BLE001 (Keras raises ValueError, TypeError, KeyError)
        return {'raised': True, 'error': f'{type(e).__name__}: {e}'}


# -------------------------------------------------------------------------------------
# running
# -------------------------------------------------------------------------------------

def run_case(name, build, dtype, exclude, schedule, init, grads):
    keras.backend.clear_session()
    opt = build()
    variables = [keras.Variable(v.astype(dtype), name=n, dtype=dtype) for v, (n, _) in zip(init, VARIABLES)]
    if exclude:
        opt.exclude_from_weight_decay(var_names=exclude)
    config = opt.get_config()
    serialized = O.serialize(opt)
    lrs, states = [], []
    for step in grads:
        lrs.append(scalar32(opt.learning_rate))
        opt.apply([tf.constant(g.astype(dtype)) for g in step], variables)
        states.append([values_json(v.numpy()) for v in variables])
    return {
        'name': name,
        'dtype': dtype,
        'excluded': [n in exclude for n, _ in VARIABLES],
        'schedule': schedule,
        'config': config,
        'serialized': serialized,
        'learning_rates': lrs,
        'iterations': int(keras.ops.convert_to_numpy(opt.iterations)),
        'states': states,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default='spec/fixtures/keras3/train/optimizers.json')
    ap.add_argument('--seed', type=int, default=20261206)
    args = ap.parse_args()
    init, grads = problem(args.seed)
    cases = [run_case(n, b, d, e, s, init, grads) for n, b, d, e, s in optimizer_cases()]
    scheds = []
    for name, build in schedules():
        keras.backend.clear_session()
        s = build()
        values = [scalar32(s(keras.ops.convert_to_tensor(np.int64(k)))) for k in range(SCHEDULE_STEPS + 1)]
        scheds.append({'name': name, 'serialized': S.serialize(s), 'config': s.get_config(), 'values': values})
    names = []
    for n in NAMES:
        keras.backend.clear_session()
        names.append({'identifier': n, 'serialized': O.serialize(O.get(n))})
    for n in BAD_NAMES:
        keras.backend.clear_session()
        names.append({'identifier': n, **keras_verdict(lambda: O.get(n))})
    verdicts = []
    for what, config, layerspec in VERDICTS:
        keras.backend.clear_session()
        verdicts.append({'what': what, 'input': config, 'layerspec': layerspec, **keras_verdict(lambda: O.get(json.loads(json.dumps(config))))})
    fixture = {
        'format': FORMAT_VERSION,
        'keras_version': keras.__version__,
        'tensorflow_version': tf.__version__,
        'backend': keras.backend.backend(),
        'seed': args.seed,
        'problem': {
            'variables': [{'name': n, 'shape': shape, 'values': values_json(v)} for (n, shape), v in zip(VARIABLES, init)],
            'grads': [[values_json(g) for g in step] for step in grads],
        },
        'cases': cases,
        'schedules': scheds,
        'names': names,
        'verdicts': verdicts,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, 'w') as fh:
        json.dump(fixture, fh, separators=(',', ':'))
        fh.write('\n')
    print(f'{args.out}: {len(cases)} optimizer cases, {len(scheds)} schedules, {len(verdicts)} verdicts, {os.path.getsize(args.out)} bytes')


if __name__ == '__main__':
    main()
