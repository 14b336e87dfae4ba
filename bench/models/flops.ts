/**
 * An estimate of a model's work from its summary: 2 × the multiply-adds of every Conv2D,
 * DepthwiseConv2D and Dense call (kernel size × output positions; a grouped Conv2D's kernel already
 * holds C/G input channels). Pooling, normalization, activations and merges are not counted: they
 * are memory-bound and small next to these in every model here. Nested models count 0 (none of the
 * bench's nested models holds a kernel).
 */
import { isOperation, type CompiledModel, type ModelSpec } from '../../src/index.js'

const sizeOf = (shape: ReadonlyArray<number | null>): number => shape.reduce<number>((a, b) => a * (b ?? 1), 1)

const specsByName = (model: ModelSpec): ReadonlyMap<string, { readonly className: string; readonly dataFormat?: string }> => {
  const list = model.className === 'Sequential' ? model.layers : model.layers.map((l) => l.spec)
  const m = new Map<string, { readonly className: string; readonly dataFormat?: string }>()
  for (const s of list) if (!isOperation(s) && s.name !== null) m.set(s.name, s as { readonly className: string; readonly dataFormat?: string })
  return m
}

/** Multiply-adds per sample of the model's Conv2D, DepthwiseConv2D and Dense calls. */
export const macsPerSample = (compiled: CompiledModel): number => {
  const kernels = new Map<string, ReadonlyArray<number>>()
  for (const w of compiled.weights) if (w.name === 'kernel' || w.name === 'depthwise_kernel') kernels.set(w.path, w.shape)
  const specs = specsByName(compiled.model)
  let macs = 0
  for (const l of compiled.summary.layers) {
    if (l.className !== 'Conv2D' && l.className !== 'DepthwiseConv2D' && l.className !== 'Dense') continue
    const kernel = kernels.get(`${l.name}/kernel`) ?? kernels.get(`${l.name}/depthwise_kernel`)
    if (kernel === undefined) continue
    const cf = specs.get(l.name)?.dataFormat === 'channels_first'
    for (const out of l.outputShapes) {
      const perSample = out.slice(1)
      const channels = (cf && l.className !== 'Dense' ? perSample[0] : perSample[perSample.length - 1]) ?? 1
      macs += (sizeOf(kernel) * sizeOf(perSample)) / channels
    }
  }
  return macs
}
