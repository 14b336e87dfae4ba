/**
 * Lowering the convolution family and the 1-D spatial layers (issue 14) onto the nodes the passes and
 * kernels know:
 *
 * - **Rank 1 as its 2-D self.** Conv1D, DepthwiseConv1D, MaxPooling1D, AveragePooling1D,
 *   GlobalAveragePooling1D, GlobalMaxPooling1D, UpSampling1D, ZeroPadding1D and Cropping1D become the
 *   `conv` / `pool` / `globalPool` / `upsample` / `pad` / `crop` node of the equivalent 2-D layer
 *   (Conv2D, DepthwiseConv2D, MaxPooling2D, …) on the height-1 view: a value `[L, C]` is read as
 *   `[1, L, C]` (channels_first `[C, L]` as `[C, 1, L]`), the same elements in the same order, so
 *   only the node's spec and {@link NodeView} are 2-D; its values keep their Keras shapes. Windows,
 *   strides and dilations get a leading 1 (a height-1 axis with a 1-tap window pads nothing, `same`
 *   included), a kernel `[k, C/G, F]` is read as `[1, k, C/G, F]` (a `param` read under another
 *   shape: no copy), LoRA's `A` likewise. `causal` is `valid` with the explicit left padding
 *   `d·(k−1)` (`extraPadding`, as fold-padding writes it). This is what the layers compute themselves
 *   (src/conv/kernel.ts: rank 1 is the 2-D convolution of a height-1 image; the 1-D pooling, padding,
 *   cropping and upsampling layers are the 2-D routines on `lineImage`, src/layers/spatial/*Nd.ts).
 * - **Separable as two nodes.** SeparableConv1D / SeparableConv2D: the depthwise convolution (the
 *   layer's window, multiplier M, no bias, linear) into a value of its own, then the 1×1 Conv2D to F
 *   filters with the bias and the activation — exactly the layer's two calls (ConvFamilyKind.ts), so
 *   BatchNormalization folding and activation / residual fusion apply to the pointwise node.
 * - **Conv3D, Conv1D/2D/3DTranspose** stay themselves as `convNd` nodes (kernels/ts/convNd.ts runs
 *   `compileConvNd` on the arena).
 *
 * GlobalAveragePooling3D / GlobalMaxPooling3D are the 2-D global pooling of the view `(1, D·H·W)` (as the
 * layers compute them). The 3-D window pooling, padding, cropping and upsampling layers stay `layer`
 * nodes: their layers are already views of the 2-D routines (two passes for pooling and upsampling),
 * run by the reference kernel on the arena's values (one copy of the result).
 */
import * as E from 'fp-ts/lib/Either.js'
import { deepFreeze } from '../core/deepFreeze.js'
import type { Conv2DSpec } from '../conv/Conv2DSpec.js'
import type { ConvFamilySpec, ConvNdSpec, DepthwiseConvSpec, SeparableConvSpec } from '../conv/ConvFamilySpec.js'
import type { DepthwiseConv2DSpec } from '../conv/DepthwiseConv2D.js'
import { convParams } from '../conv/inferConvFamily.js'
import { convNdGeometry } from '../geometry/ConvNdGeometry.js'
import type { GlobalPooling2DSpec, Pooling2DSpec } from '../layers/spatial/pooling.js'
import type { GlobalPoolingNdSpec, PoolingNdSpec } from '../layers/spatial/poolingNd.js'
import type { Cropping2DSpec, ZeroPadding2DSpec } from '../layers/spatial/padding.js'
import type { Cropping1DSpec, ZeroPadding1DSpec } from '../layers/spatial/paddingNd.js'
import type { UpSampling2DSpec } from '../layers/spatial/UpSampling2D.js'
import type { UpSampling1DSpec } from '../layers/spatial/UpSamplingNd.js'
import type { AnyLayerSpec } from '../model/ModelSpec.js'
import { nameTable } from '../core/NameTable.js'
import type { ExtraPadding, NodeKind, NodeView, Stage } from './Graph.js'
import type { WeightExpr } from './WeightExpr.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * One node a layer lowers to. `output`: `undefined` for the layer's own output (the last part), else
 * the per-sample shape of a new intermediate value; `input`: the layer's input (`undefined`) or the
 * previous part's output.
 * @category model
 */
export interface LoweredPart {
  readonly kind: NodeKind
  readonly spec: AnyLayerSpec
  readonly weights: ReadonlyArray<WeightExpr>
  readonly stages: ReadonlyArray<Stage>
  /** Appended to the layer's node name (`/depthwise`), `''` for none. */
  readonly suffix: string
  readonly outputShape: ReadonlyArray<number> | undefined
  readonly view?: NodeView
  readonly extraPadding?: ExtraPadding
  readonly note: string
}

/** The classes lowered as `convNd` nodes (themselves, on `compileConvNd`). */
const CONV_ND_CLASSES: ReadonlySet<string> = new Set(['Conv3D', 'Conv1DTranspose', 'Conv2DTranspose', 'Conv3DTranspose'])

/**
 * The family members whose activation lowering moves into the epilogue (as Conv2D's).
 * @category utils
 */
export const FAMILY_WITH_ACTIVATION: ReadonlySet<string> = new Set([
  'Conv1D',
  'Conv3D',
  'Conv1DTranspose',
  'Conv2DTranspose',
  'Conv3DTranspose',
  'SeparableConv1D',
  'SeparableConv2D',
  'DepthwiseConv1D'
])

// -------------------------------------------------------------------------------------
// views
// -------------------------------------------------------------------------------------

type Format = 'channels_last' | 'channels_first'

/** A rank-2 per-sample shape `[L, C]` / `[C, L]` as its height-1 image. */
const lineView = (format: Format, shape: ReadonlyArray<number>): ReadonlyArray<number> => {
  const [a, b] = shape as [number, number]
  return format === 'channels_first' ? [a, 1, b] : [1, a, b]
}

/** The view of a one-input rank-1 layer. */
const viewOf = (format: Format, input: ReadonlyArray<number>, output: ReadonlyArray<number>): NodeView => ({
  inputs: [lineView(format, input)],
  output: output.length === 2 ? lineView(format, output) : output
})

/** A weight read with a leading 1 (a rank-1 kernel as its 2-D self). */
const withUnitHeight = (w: WeightExpr): WeightExpr => (w.kind === 'param' ? { ...w, shape: [1, ...w.shape] } : w)

/** The fields every layer spec has, for a stand-in spec built from `s`. */
const baseOf = (s: AnyLayerSpec): { readonly dialect: AnyLayerSpec['dialect']; readonly name: string | null; readonly trainable: boolean; readonly dtype: AnyLayerSpec['dtype']; readonly inputShape: null; readonly batchSize: null } => ({
  dialect: s.dialect,
  name: s.name,
  trainable: s.trainable,
  dtype: s.dtype,
  inputShape: null,
  batchSize: null
})

const freeze = <A>(a: A): AnyLayerSpec => deepFreeze(a) as unknown as AnyLayerSpec

/** `causal` as `valid` with the left pad `d·(k−1)` (along the width of the height-1 view). */
const causal = (padding: string, k: number, d: number): { readonly padding: 'valid' | 'same'; readonly extra?: ExtraPadding } =>
  padding === 'causal' ? { padding: 'valid', extra: { top: 0, bottom: 0, left: d * (k - 1), right: 0 } } : { padding: padding as 'valid' | 'same' }

/** The DepthwiseConv2D of a depthwise window (DepthwiseConv1D, or a separable layer's first half), rank 1 or 2. */
const depthwise2D = (s: DepthwiseConvSpec | SeparableConvSpec, useBias: boolean, activation: Conv2DSpec['activation']): { readonly spec: AnyLayerSpec; readonly extra?: ExtraPadding } => {
  const unit = s.rank === 1
  const k = s.kernelSize as ReadonlyArray<number>
  const c = causal(s.padding, k[k.length - 1] as number, s.dilationRate[s.dilationRate.length - 1] as number)
  const spec: DepthwiseConv2DSpec = {
    className: 'DepthwiseConv2D',
    ...baseOf(s as unknown as AnyLayerSpec),
    rank: 2,
    kind: 'depthwise',
    kernelSize: (unit ? [1, k[0]] : [k[0], k[1]]) as unknown as DepthwiseConv2DSpec['kernelSize'],
    strides: (unit ? [1, s.strides[0]] : [s.strides[0], s.strides[1]]) as unknown as DepthwiseConv2DSpec['strides'],
    padding: c.padding,
    depthMultiplier: s.depthMultiplier,
    dataFormat: s.dataFormat,
    dilationRate: (unit ? [1, s.dilationRate[0]] : [s.dilationRate[0], s.dilationRate[1]]) as unknown as DepthwiseConv2DSpec['dilationRate'],
    activation,
    useBias,
    depthwiseInitializer: s.depthwiseInitializer,
    biasInitializer: s.biasInitializer,
    depthwiseRegularizer: s.depthwiseRegularizer,
    biasRegularizer: s.biasRegularizer,
    // a separable layer's activity regularizer belongs to its output (the pointwise half)
    activityRegularizer: s.kind === 'depthwise' ? s.activityRegularizer : null,
    depthwiseConstraint: s.depthwiseConstraint,
    biasConstraint: s.biasConstraint
  }
  return { spec: freeze(spec), ...(c.extra === undefined ? {} : { extra: c.extra }) }
}

// -------------------------------------------------------------------------------------
// lowering
// -------------------------------------------------------------------------------------

/** Conv1D as Conv2D on the height-1 view. */
const conv1D = (s: ConvNdSpec, input: ReadonlyArray<number>, output: ReadonlyArray<number>, weights: ReadonlyArray<WeightExpr>, stages: ReadonlyArray<Stage>): ReadonlyArray<LoweredPart> => {
  const k = s.kernelSize[0] as number
  const d = s.dilationRate[0] as number
  const c = causal(s.padding, k, d)
  const spec: Conv2DSpec = {
    className: 'Conv2D',
    ...baseOf(s as unknown as AnyLayerSpec),
    filters: s.filters,
    kernelSize: [1, k] as unknown as Conv2DSpec['kernelSize'],
    strides: [1, s.strides[0]] as unknown as Conv2DSpec['strides'],
    padding: c.padding,
    dataFormat: s.dataFormat,
    dilationRate: [1, d] as unknown as Conv2DSpec['dilationRate'],
    groups: s.groups,
    loraRank: s.loraRank,
    loraAlpha: s.loraAlpha,
    activation: s.activation,
    useBias: s.useBias,
    kernelInitializer: s.kernelInitializer,
    biasInitializer: s.biasInitializer,
    kernelRegularizer: s.kernelRegularizer,
    biasRegularizer: s.biasRegularizer,
    activityRegularizer: s.activityRegularizer,
    kernelConstraint: s.kernelConstraint,
    biasConstraint: s.biasConstraint
  }
  // kernel, bias?, LoRA A (the kernel's shape but the last axis: a leading 1 too), LoRA B
  const loraA = s.useBias ? 2 : 1
  const ws = weights.map((w, i) => (i === 0 || (s.loraRank !== null && i === loraA) ? withUnitHeight(w) : w))
  return [
    {
      kind: 'conv',
      spec: freeze(spec),
      weights: ws,
      stages,
      suffix: '',
      outputShape: undefined,
      view: viewOf(s.dataFormat, input, output),
      ...(c.extra === undefined ? {} : { extraPadding: c.extra }),
      note: `Conv1D as Conv2D on the height-1 view${c.extra === undefined ? '' : ` (causal: left padding ${c.extra.left})`}`
    }
  ]
}

/** DepthwiseConv1D as DepthwiseConv2D on the height-1 view. */
const depthwiseConv1D = (s: DepthwiseConvSpec, input: ReadonlyArray<number>, output: ReadonlyArray<number>, weights: ReadonlyArray<WeightExpr>, stages: ReadonlyArray<Stage>): ReadonlyArray<LoweredPart> => {
  const { spec, extra } = depthwise2D(s, s.useBias, s.activation)
  return [
    {
      kind: 'conv',
      spec,
      weights: weights.map((w, i) => (i === 0 ? withUnitHeight(w) : w)),
      stages,
      suffix: '',
      outputShape: undefined,
      view: viewOf(s.dataFormat, input, output),
      ...(extra === undefined ? {} : { extraPadding: extra }),
      note: `DepthwiseConv1D as DepthwiseConv2D on the height-1 view${extra === undefined ? '' : ` (causal: left padding ${extra.left})`}`
    }
  ]
}

/** SeparableConv1D / 2D: the depthwise node, then the pointwise Conv2D with the bias and activation. */
const separable = (
  s: SeparableConvSpec,
  input: ReadonlyArray<number>,
  output: ReadonlyArray<number>,
  weights: ReadonlyArray<WeightExpr>,
  stages: ReadonlyArray<Stage>
): ReadonlyArray<LoweredPart> | undefined => {
  const g = convNdGeometry(convParams(s as ConvFamilySpec), input)
  if (E.isLeft(g)) return undefined
  const mid = g.right.outputShape
  const unit = s.rank === 1
  const first = depthwise2D(s, false, 'linear')
  const pointwise: Conv2DSpec = {
    className: 'Conv2D',
    ...baseOf(s as unknown as AnyLayerSpec),
    filters: s.filters,
    kernelSize: [1, 1] as unknown as Conv2DSpec['kernelSize'],
    strides: [1, 1] as unknown as Conv2DSpec['strides'],
    padding: 'valid',
    dataFormat: s.dataFormat,
    dilationRate: [1, 1] as unknown as Conv2DSpec['dilationRate'],
    groups: 1 as Conv2DSpec['groups'],
    loraRank: null,
    loraAlpha: null,
    activation: s.activation,
    useBias: s.useBias,
    kernelInitializer: s.pointwiseInitializer,
    biasInitializer: s.biasInitializer,
    kernelRegularizer: s.pointwiseRegularizer,
    biasRegularizer: s.biasRegularizer,
    activityRegularizer: s.activityRegularizer,
    kernelConstraint: s.pointwiseConstraint,
    biasConstraint: s.biasConstraint
  }
  const [dk, pk, ...rest] = weights as [WeightExpr, WeightExpr, ...WeightExpr[]]
  return [
    {
      kind: 'conv',
      spec: first.spec,
      weights: [unit ? withUnitHeight(dk) : dk],
      stages: [],
      suffix: '/depthwise',
      outputShape: mid,
      ...(unit ? { view: viewOf(s.dataFormat, input, mid) } : {}),
      ...(first.extra === undefined ? {} : { extraPadding: first.extra }),
      note: `${s.className}'s depthwise half as DepthwiseConv2D${unit ? ' on the height-1 view' : ''}${first.extra === undefined ? '' : ` (causal: left padding ${first.extra.left})`}`
    },
    {
      kind: 'conv',
      spec: freeze(pointwise),
      weights: [unit ? withUnitHeight(pk) : pk, ...rest],
      stages,
      suffix: '',
      outputShape: undefined,
      ...(unit ? { view: viewOf(s.dataFormat, mid, output) } : {}),
      note: `${s.className}'s pointwise half as a 1×1 Conv2D${unit ? ' on the height-1 view' : ''}`
    }
  ]
}

/** A one-node rank-1 layer as its 2-D self. */
const single = (kind: NodeKind, spec: object, from: string, format: Format, input: ReadonlyArray<number>, output: ReadonlyArray<number>, stages: ReadonlyArray<Stage>): ReadonlyArray<LoweredPart> => [
  {
    kind,
    spec: freeze(spec),
    weights: [],
    stages,
    suffix: '',
    outputShape: undefined,
    view: viewOf(format, input, output),
    note: `${from} as ${(spec as { readonly className: string }).className} on the height-1 view`
  }
]

type Lowering = (spec: AnyLayerSpec, input: ReadonlyArray<number>, output: ReadonlyArray<number>, weights: ReadonlyArray<WeightExpr>, stages: ReadonlyArray<Stage>) => ReadonlyArray<LoweredPart> | undefined

const pool1D =
  (className: 'MaxPooling2D' | 'AveragePooling2D'): Lowering =>
  (spec, input, output, _w, stages) => {
    const s = spec as unknown as PoolingNdSpec
    const p: Pooling2DSpec = { className, ...baseOf(spec), poolSize: [1, s.poolSize[0]] as unknown as Pooling2DSpec['poolSize'], strides: [1, s.strides[0]] as unknown as Pooling2DSpec['strides'], padding: s.padding, dataFormat: s.dataFormat }
    return single('pool', p, spec.className, s.dataFormat, input, output, stages)
  }

/**
 * GlobalAveragePooling1D/3D, GlobalMaxPooling1D/3D as the 2-D global pooling of the image `(1, Π spatial)`
 * (the layers' own view: their spatial axes flattened into one row, src/layers/spatial/poolingNd.ts).
 */
const globalNd =
  (className: 'GlobalAveragePooling2D' | 'GlobalMaxPooling2D'): Lowering =>
  (spec, input, output, _w, stages) => {
    const s = spec as unknown as GlobalPoolingNdSpec
    const cf = s.dataFormat === 'channels_first'
    const channels = (cf ? input[0] : input[input.length - 1]) as number
    const steps = input.reduce((a, b) => a * b, 1) / channels
    const p: GlobalPooling2DSpec = { className, ...baseOf(spec), dataFormat: s.dataFormat, keepdims: s.keepdims }
    // keepdims: `[1, C]` / `[1, 1, 1, C]` … is the 2-D `[1, 1, C]` (`[C, 1, 1]` channels_first)
    const out = s.keepdims ? (cf ? [channels, 1, 1] : [1, 1, channels]) : output
    const from = spec.className
    return [
      {
        kind: 'globalPool',
        spec: freeze(p),
        weights: [],
        stages,
        suffix: '',
        outputShape: undefined,
        view: { inputs: [cf ? [channels, 1, steps] : [1, steps, channels]], output: out },
        note: `${from} as ${className} on the ${input.length === 2 ? 'height-1 view' : 'view (1, D·H·W)'}`
      }
    ]
  }

/** How each rank-1 / family class lowers (classes absent: one node of their own kind). */
const LOWERINGS = nameTable<Lowering>({
  Conv1D: (spec, input, output, weights, stages) => conv1D(spec as unknown as ConvNdSpec, input, output, weights, stages),
  DepthwiseConv1D: (spec, input, output, weights, stages) => depthwiseConv1D(spec as unknown as DepthwiseConvSpec, input, output, weights, stages),
  SeparableConv1D: (spec, input, output, weights, stages) => separable(spec as unknown as SeparableConvSpec, input, output, weights, stages),
  SeparableConv2D: (spec, input, output, weights, stages) => separable(spec as unknown as SeparableConvSpec, input, output, weights, stages),
  MaxPooling1D: pool1D('MaxPooling2D'),
  AveragePooling1D: pool1D('AveragePooling2D'),
  GlobalAveragePooling1D: globalNd('GlobalAveragePooling2D'),
  GlobalMaxPooling1D: globalNd('GlobalMaxPooling2D'),
  GlobalAveragePooling3D: globalNd('GlobalAveragePooling2D'),
  GlobalMaxPooling3D: globalNd('GlobalMaxPooling2D'),
  UpSampling1D: (spec, input, output, _w, stages) => {
    const s = spec as unknown as UpSampling1DSpec
    const u: UpSampling2DSpec = { className: 'UpSampling2D', ...baseOf(spec), size: [1, s.size] as unknown as UpSampling2DSpec['size'], dataFormat: 'channels_last', interpolation: 'nearest' }
    return single('upsample', u, spec.className, 'channels_last', input, output, stages)
  },
  ZeroPadding1D: (spec, input, output, _w, stages) => {
    const s = spec as unknown as ZeroPadding1DSpec
    const p: ZeroPadding2DSpec = { className: 'ZeroPadding2D', ...baseOf(spec), padding: [[0, 0], [s.padding[0], s.padding[1]]] as unknown as ZeroPadding2DSpec['padding'], dataFormat: s.dataFormat }
    return single('pad', p, spec.className, s.dataFormat, input, output, stages)
  },
  Cropping1D: (spec, input, output, _w, stages) => {
    const s = spec as unknown as Cropping1DSpec
    const c: Cropping2DSpec = { className: 'Cropping2D', ...baseOf(spec), cropping: [[0, 0], [s.cropping[0], s.cropping[1]]] as unknown as Cropping2DSpec['cropping'], dataFormat: 'channels_last' }
    return single('crop', c, spec.className, 'channels_last', input, output, stages)
  }
})

/**
 * The nodes a layer lowers to when it is a member of the convolution family or a 1-D spatial layer
 * (module comment), else `undefined` (one node of the layer's own kind). `spec` is the layer as lowering
 * hands it (its activation already moved into `stages` where elementwise), `input` / `output` its
 * per-sample shapes, `weights` its params.
 * @category lowering
 */
export const lowerFamilyLayer = (
  spec: AnyLayerSpec,
  input: ReadonlyArray<number> | undefined,
  output: ReadonlyArray<number>,
  weights: ReadonlyArray<WeightExpr>,
  stages: ReadonlyArray<Stage>
): ReadonlyArray<LoweredPart> | undefined => {
  if (input === undefined) return undefined
  if (CONV_ND_CLASSES.has(spec.className)) {
    return [{ kind: 'convNd', spec, weights, stages, suffix: '', outputShape: undefined, note: '' }]
  }
  return LOWERINGS.get(spec.className)?.(spec, input, output, weights, stages)
}
