/**
 * What the CLI says about a file, computed purely from its parsed JSON: validation reports (text and
 * `--json`), the Keras-style summary table. No I/O here; src/cli/main.ts is the edge.
 */
import * as E from 'fp-ts/lib/Either.js'
import { concatPaths, fromValidationErrors, type SpecError } from '../core/SpecError.js'
import { isPlainObject, MAX_QUOTE, quoteText } from '../core/describe.js'
import { decodeConv2D } from '../conv/conv2DCodec.js'
import type { SymbolicShape } from '../layers/LayerKind.js'
import { findLayerKind } from '../model/registry.js'
import { computeGeometry } from '../geometry/ConvGeometry.js'
import { decodeModelFile, type ModelFile } from '../model/decodeModel.js'
import { inferModel, type ModelSummary } from '../model/infer.js'
import { MAX_JSON_DEPTH, tooDeep } from '../core/json.js'
import { hasOwnKey } from '../core/NameTable.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The `--json` report of one file.
 * @category model
 */
export interface FileReport {
  readonly file: string
  readonly valid: boolean
  readonly errors: ReadonlyArray<SpecError>
  readonly layers: ReadonlyArray<{
    readonly name: string
    readonly class_name: string
    readonly output_shape: SymbolicShape | ReadonlyArray<SymbolicShape> | null
    readonly param_count: number
  }>
  /** The model's output shape; a list of shapes for several outputs; null when unknown. */
  readonly output_shape: SymbolicShape | ReadonlyArray<SymbolicShape> | null
  readonly param_count: number | null
}

/** What a file holds once checked: a model (with its summary) or a single layer. */
export type Checked =
  | { readonly kind: 'model'; readonly file: ModelFile; readonly summary: ModelSummary }
  | { readonly kind: 'layer'; readonly className: string; readonly name: string | null; readonly outputShape: SymbolicShape | null; readonly params: number | null }

// -------------------------------------------------------------------------------------
// checking
// -------------------------------------------------------------------------------------

const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model'])

/** Whether a JSON value is a single layer config rather than a model file. */
const isLayerConfig = (json: unknown): boolean => {
  if (!isPlainObject(json)) return false
  const cls = json['class_name']
  if (typeof cls === 'string') return !MODEL_CLASSES.has(cls) && isPlainObject(json['config'])
  return hasOwnKey(json, 'filters') && hasOwnKey(json, 'kernel_size') && !hasOwnKey(json, 'layers')
}

/** Maps inference error paths (relative to the model config) onto the file. */
const onFile = (file: ModelFile, errors: ReadonlyArray<SpecError>): ReadonlyArray<SpecError> =>
  errors.map((e) => ({
    path: e.path.startsWith('layers') ? concatPaths(file.layersPath, e.path.slice('layers'.length)) : concatPaths(file.configPath, e.path),
    message: e.message
  }))

const checkLayer = (json: unknown, inputShape: ReadonlyArray<number> | undefined): E.Either<ReadonlyArray<SpecError>, Checked> => {
  const cls = isPlainObject(json) && typeof json['class_name'] === 'string' ? json['class_name'] : 'Conv2D'
  if (cls === 'Conv2D' || cls === 'Convolution2D') {
    const decoded = decodeConv2D(json)
    if (E.isLeft(decoded)) return decoded
    const spec = decoded.right
    const shape = inputShape ?? (spec.inputShape?.every((d) => d !== null) === true ? (spec.inputShape as ReadonlyArray<number>) : undefined)
    if (shape === undefined) return E.right({ kind: 'layer', className: 'Conv2D', name: spec.name, outputShape: null, params: null })
    const g = computeGeometry(spec, shape, inputShape === undefined ? 'batch_input_shape' : 'inputShape')
    if (E.isLeft(g)) return g
    const params = g.right.kernelShape.reduce((a, b) => a * b, 1) + (spec.useBias ? spec.filters : 0)
    return E.right({ kind: 'layer', className: 'Conv2D', name: spec.name, outputShape: [spec.batchSize, ...g.right.outputShape], params })
  }
  const kind = findLayerKind(cls)
  const config = isPlainObject(json) ? json['config'] : undefined
  if (kind === undefined) return E.left([{ path: 'class_name', message: `${quoteText(cls)} is not a layer class layerspec reads` }])
  const codec = kind.codec({ dialect: isPlainObject(json) && hasOwnKey(json, 'module') ? 'keras3' : 'keras2', imageDataFormat: 'channels_last' })
  const r = codec.decode(config)
  if (E.isLeft(r)) return E.left(fromValidationErrors(r.left).map((e) => ({ path: concatPaths('config', e.path), message: e.message })))
  const spec = r.right
  const declared: ReadonlyArray<number | null> | null = inputShape === undefined ? spec.inputShape : inputShape
  if (declared === null || declared.some((d) => d === null)) return E.right({ kind: 'layer', className: spec.className, name: spec.name, outputShape: null, params: null })
  const inferred = kind.infer(spec, [[null, ...declared]])
  if (E.isLeft(inferred)) return E.left(inferred.left.map((e) => ({ path: concatPaths('config', e.path), message: e.message })))
  return E.right({
    kind: 'layer',
    className: spec.className,
    name: spec.name,
    outputShape: inferred.right.outputShape,
    params: inferred.right.weights.reduce((a, w) => a + w.shape.reduce((x, y) => x * y, 1), 0)
  })
}

/**
 * Checks a parsed JSON file: a single layer config, or a model file (decoded, then its shapes and
 * parameters inferred). `inputShape` (no batch axis) overrides the declared input shape.
 * @category checking
 */
export const check = (json: unknown, inputShape?: ReadonlyArray<number>): E.Either<ReadonlyArray<SpecError>, Checked> => {
  const deep = tooDeep(json)
  if (deep !== undefined) {
    return E.left([{ path: deep, message: `the file nests objects and lists more than ${MAX_JSON_DEPTH} levels deep inside this value; no Keras or TensorFlow.js file does (a corrupted or hostile file?)` }])
  }
  if (isLayerConfig(json)) return checkLayer(json, inputShape)
  const file = decodeModelFile(json)
  if (E.isLeft(file)) return file
  const summary = inferModel(file.right.model, inputShape === undefined ? {} : { inputShapes: [[null, ...inputShape]] })
  if (E.isLeft(summary)) return E.left(onFile(file.right, summary.left))
  return E.right({ kind: 'model', file: file.right, summary: summary.right })
}

const oneOrMany = (shapes: ReadonlyArray<SymbolicShape>): SymbolicShape | ReadonlyArray<SymbolicShape> | null =>
  shapes.length === 0 ? null : shapes.length === 1 ? (shapes[0] as SymbolicShape) : shapes

/**
 * The `--json` report of a checked file.
 * @category reports
 */
export const fileReport = (file: string, checked: E.Either<ReadonlyArray<SpecError>, Checked>): FileReport => {
  if (E.isLeft(checked)) return { file, valid: false, errors: checked.left, layers: [], output_shape: null, param_count: null }
  const c = checked.right
  if (c.kind === 'layer') {
    return {
      file,
      valid: true,
      errors: [],
      layers: [{ name: c.name ?? '', class_name: c.className, output_shape: c.outputShape, param_count: c.params ?? 0 }],
      output_shape: c.outputShape,
      param_count: c.params
    }
  }
  return {
    file,
    valid: true,
    errors: [],
    layers: c.summary.layers.map((l) => ({ name: l.name, class_name: l.className, output_shape: oneOrMany(l.outputShapes), param_count: l.params })),
    output_shape: oneOrMany(c.summary.outputShapes),
    param_count: c.summary.params
  }
}

// -------------------------------------------------------------------------------------
// text
// -------------------------------------------------------------------------------------

/**
 * A shape as Keras prints it: `(None, 28, 28, 1)`.
 * @category text
 */
export const showKerasShape = (shape: SymbolicShape | ReadonlyArray<SymbolicShape> | null): string => {
  if (shape === null) return '?'
  if (shape.length > 0 && Array.isArray(shape[0])) return `[${(shape as ReadonlyArray<SymbolicShape>).map(showKerasShape).join(', ')}]`
  const s = shape as SymbolicShape
  return `(${s.map((d) => (d === null ? 'None' : String(d))).join(', ')}${s.length === 1 ? ',' : ''})`
}

const thousands = (n: number): string => n.toLocaleString('en-US')

/** How many paths a grouped error line lists before "… and N more". */
const GROUP_PATHS = 3

/**
 * The error lines of `validate`: one `  path: message` line per error, except that a message repeated
 * at several paths (the same problem in 27 BatchNormalization layers) is read once, where it first
 * occurs: `  message` then `    at 27 paths: p1, p2, p3, … and 24 more`. `--json` keeps every error.
 * @category text
 */
export const errorLines = (errors: ReadonlyArray<SpecError>): ReadonlyArray<string> => {
  const byMessage = new Map<string, string[]>()
  for (const e of errors) {
    const paths = byMessage.get(e.message)
    if (paths === undefined) byMessage.set(e.message, [e.path])
    else paths.push(e.path)
  }
  const show = (path: string): string => (path === '' ? '(root)' : path)
  return [...byMessage].flatMap(([message, paths]) => {
    if (paths.length === 1) return [`  ${show(paths[0] as string)}: ${message}`]
    const listed = paths.slice(0, GROUP_PATHS).map(show).join(', ')
    return [`  ${message}`, `    at ${paths.length} paths: ${listed}${paths.length > GROUP_PATHS ? `, … and ${paths.length - GROUP_PATHS} more` : ''}`]
  })
}

/**
 * One line for `validate`: `FILE: valid Sequential "name", output (None, 10), 34,826 params`, or the
 * invalid header followed by the {@link errorLines}.
 * @category text
 */
export const validateText = (r: FileReport, checked: E.Either<ReadonlyArray<SpecError>, Checked>): string => {
  if (!r.valid) {
    return [`${r.file}: invalid, ${r.errors.length} error${r.errors.length === 1 ? '' : 's'}`, ...errorLines(r.errors)].join('\n')
  }
  const c = (checked as E.Right<Checked>).right
  const what = c.kind === 'model' ? `${c.summary.className} ${quoteText(c.summary.name)} (${c.summary.layers.length} layers)` : `${c.className} layer${c.name === null ? '' : ` ${quoteText(c.name)}`}`
  const params = r.param_count === null ? 'params unknown (no input shape: give --input-shape)' : `${thousands(r.param_count)} params`
  return `${r.file}: valid ${what}, output ${showKerasShape(r.output_shape)}, ${params}`
}

/** A layer name for the summary table: cut at 60 characters, as a message cuts a quoted value. */
const clipName = (name: string): string => (name.length > MAX_QUOTE ? `${name.slice(0, MAX_QUOTE - 1)}…` : name)

const pad = (s: string, n: number): string => (s.length >= n ? `${s} ` : s + ' '.repeat(n - s.length))

/**
 * Keras's `model.summary()` table: layer name and type, output shape, params, and "Connected to" for
 * functional models; totals.
 * @category text
 */
export const summaryText = (s: ModelSummary): string => {
  const functional = s.className === 'Functional'
  const rows = s.layers.map((l) => ({
    a: `${clipName(l.name)} (${l.className})`,
    b: l.outputShapes.length === 1 ? showKerasShape(l.outputShapes[0] as SymbolicShape) : l.outputShapes.length === 0 ? '?' : 'multiple',
    c: thousands(l.params),
    d: l.connectedTo.map(clipName).join(', ')
  }))
  const wa = Math.max(28, ...rows.map((r) => r.a.length + 2))
  const wb = Math.max(26, ...rows.map((r) => r.b.length + 2))
  const wc = Math.max(10, ...rows.map((r) => r.c.length + 2))
  const wd = functional ? Math.max(12, ...rows.map((r) => r.d.length)) : 0
  const width = wa + wb + wc + wd + 1
  const line = (ch: string): string => ch.repeat(width)
  const out: string[] = [`Model: ${quoteText(s.name)}`, line('_'), ` ${pad('Layer (type)', wa)}${pad('Output Shape', wb)}${pad('Param #', wc)}${functional ? 'Connected to' : ''}`.trimEnd(), line('=')]
  rows.forEach((r, i) => {
    out.push(` ${pad(r.a, wa)}${pad(r.b, wb)}${pad(r.c, wc)}${functional ? r.d : ''}`.trimEnd())
    if (i < rows.length - 1) out.push('')
  })
  out.push(line('='))
  out.push(`Total params: ${thousands(s.params)}`)
  out.push(`Trainable params: ${thousands(s.trainableParams)}`)
  out.push(`Non-trainable params: ${thousands(s.nonTrainableParams)}`)
  out.push(line('_'))
  return out.join('\n')
}
