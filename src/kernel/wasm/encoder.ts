/**
 * A small WebAssembly binary encoder: just what the generated convolution modules need (one imported
 * memory, i32/v128 locals, structured control flow, scalar and SIMD loads/stores, f32x4 arithmetic).
 * Modules are built per compiled geometry at run time; there is no build step and no text format.
 *
 * Binary format: https://webassembly.github.io/spec/core/binary/ (SIMD: the 0xFD prefix, LEB128 sub-opcode).
 */

import { wasmApi } from './api.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** Value types. */
export const I32 = 0x7f
export const F32 = 0x7d
export const V128 = 0x7b
export const F64 = 0x7c
export const I64 = 0x7e
export type ValType = typeof I32 | typeof F32 | typeof V128 | typeof F64 | typeof I64

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const uleb = (out: number[], v: number): void => {
  let n = v >>> 0
  do {
    let b = n & 0x7f
    n >>>= 7
    if (n !== 0) b |= 0x80
    out.push(b)
  } while (n !== 0)
}

const sleb = (out: number[], v: number): void => {
  let n = v | 0
  for (;;) {
    const b = n & 0x7f
    n >>= 7
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b)
      return
    }
    out.push(b | 0x80)
  }
}

const section = (out: number[], id: number, body: number[]): void => {
  out.push(id)
  uleb(out, body.length)
  for (const b of body) out.push(b)
}

const name = (out: number[], s: string): void => {
  uleb(out, s.length)
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i))
}

// -------------------------------------------------------------------------------------
// function bodies
// -------------------------------------------------------------------------------------

/** Memory access alignment hints (log2 bytes). */
const ALIGN32 = 2
const ALIGN64 = 3
const ALIGN128 = 4

/**
 * Emits one function body. Locals are numbered after the parameters; `local(type)` declares one.
 * Offsets of loads and stores must be non-negative (they are the memarg's unsigned offset).
 */
export class Code {
  readonly bytes: number[] = []
  private readonly localTypes: ValType[] = []

  constructor(readonly params: ReadonlyArray<ValType>) {}

  /** Declares a local and returns its index. */
  local(type: ValType): number {
    this.localTypes.push(type)
    return this.params.length + this.localTypes.length - 1
  }

  private op(...b: number[]): this {
    for (const x of b) this.bytes.push(x)
    return this
  }

  private simd(sub: number): this {
    this.bytes.push(0xfd)
    uleb(this.bytes, sub)
    return this
  }

  private memarg(align: number, offset: number): this {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > 0xffffffff) throw new RangeError(`wasm memarg offset ${offset}`)
    uleb(this.bytes, align)
    uleb(this.bytes, offset)
    return this
  }

  // control
  block(): this { return this.op(0x02, 0x40) }
  loop(): this { return this.op(0x03, 0x40) }
  if_(): this { return this.op(0x04, 0x40) }
  else_(): this { return this.op(0x05) }
  end(): this { return this.op(0x0b) }
  br(depth: number): this { this.op(0x0c); uleb(this.bytes, depth); return this }
  brIf(depth: number): this { this.op(0x0d); uleb(this.bytes, depth); return this }
  return_(): this { return this.op(0x0f) }

  // locals
  get(i: number): this { this.op(0x20); uleb(this.bytes, i); return this }
  set(i: number): this { this.op(0x21); uleb(this.bytes, i); return this }
  tee(i: number): this { this.op(0x22); uleb(this.bytes, i); return this }

  // i32
  i32(v: number): this { this.op(0x41); sleb(this.bytes, v); return this }
  i32Eqz(): this { return this.op(0x45) }
  i32Eq(): this { return this.op(0x46) }
  i32Ne(): this { return this.op(0x47) }
  i32LtS(): this { return this.op(0x48) }
  i32LtU(): this { return this.op(0x49) }
  i32GtS(): this { return this.op(0x4a) }
  i32GeS(): this { return this.op(0x4e) }
  i32Add(): this { return this.op(0x6a) }
  i32Sub(): this { return this.op(0x6b) }
  i32Mul(): this { return this.op(0x6c) }
  i32DivU(): this { return this.op(0x6e) }
  i32RemU(): this { return this.op(0x70) }
  i32And(): this { return this.op(0x71) }
  i32ShrU(): this { return this.op(0x76) }

  /** `local += delta` (no code when delta is 0). */
  addTo(i: number, delta: number): this {
    if (delta === 0) return this
    return this.get(i).i32(delta).i32Add().set(i)
  }

  // bulk memory
  /** `memory.copy(dst, src, n)` (operands on the stack in that order). */
  memoryCopy(): this { return this.op(0xfc, 0x0a, 0x00, 0x00) }
  /** `memory.fill(dst, byte, n)`. */
  memoryFill(): this { return this.op(0xfc, 0x0b, 0x00) }

  // scalar memory
  f32Load(offset: number): this { return this.op(0x2a).memarg(ALIGN32, offset) }
  f32Store(offset: number): this { return this.op(0x38).memarg(ALIGN32, offset) }
  i32Load(offset: number): this { return this.op(0x28).memarg(ALIGN32, offset) }
  i32Store(offset: number): this { return this.op(0x36).memarg(ALIGN32, offset) }

  // SIMD memory
  v128Load(offset: number): this { return this.simd(0x00).memarg(ALIGN128, offset) }
  v128Load32Splat(offset: number): this { return this.simd(0x09).memarg(ALIGN32, offset) }
  v128Store(offset: number): this { return this.simd(0x0b).memarg(ALIGN128, offset) }
  v128Store32Lane(offset: number, lane: number): this { this.simd(0x5a).memarg(ALIGN32, offset); this.bytes.push(lane); return this }
  v128Store64Lane(offset: number, lane: number): this { this.simd(0x5b).memarg(ALIGN64, offset); this.bytes.push(lane); return this }

  // SIMD values
  v128Zero(): this {
    this.simd(0x0c)
    for (let i = 0; i < 16; i++) this.bytes.push(0)
    return this
  }
  f32x4Const(v: number): this {
    this.simd(0x0c)
    const b = new Uint8Array(new Float32Array([v, v, v, v]).buffer)
    for (const x of b) this.bytes.push(x)
    return this
  }
  /** `i8x16.shuffle` of the two vectors on the stack (lane indices 0-15: first, 16-31: second). */
  i8x16Shuffle(lanes: ReadonlyArray<number>): this {
    this.simd(0x0d)
    for (const l of lanes) this.bytes.push(l)
    return this
  }
  v128Or(): this { return this.simd(0x50) }
  f32x4Add(): this { return this.simd(0xe4) }
  f32x4Sub(): this { return this.simd(0xe5) }
  f32x4Mul(): this { return this.simd(0xe6) }
  /** `b < a ? b : a` (Keras's `x > c ? c : x` when a = x, b = c). */
  f32x4Pmin(): this { return this.simd(0xea) }
  /** `a < b ? b : a` (Keras's `x < 0 ? 0 : x` when a = x, b = 0). */
  f32x4Pmax(): this { return this.simd(0xeb) }
  /** Relaxed-SIMD fused multiply-add `a·b + c` (only where `WebAssembly.validate` accepts it). */
  f32x4RelaxedMadd(): this { return this.simd(0x105) }

  /** The body as bytes: locals declaration, code, `end`. */
  encode(): number[] {
    const out: number[] = []
    // one entry per local (simple; run-length grouping is optional)
    const groups: Array<[number, ValType]> = []
    for (const t of this.localTypes) {
      const last = groups[groups.length - 1]
      if (last !== undefined && last[1] === t) last[0]++
      else groups.push([1, t])
    }
    uleb(out, groups.length)
    for (const [n, t] of groups) {
      uleb(out, n)
      out.push(t)
    }
    for (const b of this.bytes) out.push(b)
    out.push(0x0b)
    const sized: number[] = []
    uleb(sized, out.length)
    return sized.concat(out)
  }
}

// -------------------------------------------------------------------------------------
// modules
// -------------------------------------------------------------------------------------

/** One exported function: no results. */
export interface FunctionDef {
  readonly name: string
  readonly code: Code
}

/**
 * A module importing `env.memory` (shared when `shared`, with `maxPages` as its maximum) and exporting
 * the given functions, each `(params) -> ()`.
 */
export const encodeModule = (
  functions: ReadonlyArray<FunctionDef>,
  memory: { readonly shared: boolean; readonly initialPages: number; readonly maxPages: number }
): Uint8Array => {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]
  // types: one per function (duplicates are allowed)
  const types: number[] = []
  uleb(types, functions.length)
  for (const f of functions) {
    types.push(0x60)
    uleb(types, f.code.params.length)
    for (const p of f.code.params) types.push(p)
    uleb(types, 0)
  }
  section(out, 1, types)
  // imports: env.memory
  const imports: number[] = []
  uleb(imports, 1)
  name(imports, 'env')
  name(imports, 'memory')
  imports.push(0x02, memory.shared ? 0x03 : 0x01)
  uleb(imports, memory.initialPages)
  uleb(imports, memory.maxPages)
  section(out, 2, imports)
  // functions
  const funcs: number[] = []
  uleb(funcs, functions.length)
  functions.forEach((_, i) => uleb(funcs, i))
  section(out, 3, funcs)
  // exports
  const exports: number[] = []
  uleb(exports, functions.length)
  functions.forEach((f, i) => {
    name(exports, f.name)
    exports.push(0x00)
    uleb(exports, i)
  })
  section(out, 7, exports)
  // code
  const code: number[] = []
  uleb(code, functions.length)
  for (const f of functions) for (const b of f.code.encode()) code.push(b)
  section(out, 10, code)
  return Uint8Array.from(out)
}

// -------------------------------------------------------------------------------------
// feature detection
// -------------------------------------------------------------------------------------

const probe = (emit: (c: Code) => void): boolean => {
  try {
    const c = new Code([])
    emit(c)
    const bytes = encodeModule([{ name: 'f', code: c }], { shared: false, initialPages: 1, maxPages: 1 })
    return wasmApi !== undefined && wasmApi.validate(bytes)
  } catch {
    return false
  }
}

/** Whether this runtime validates fixed-width SIMD (v128). */
export const HAS_SIMD: boolean = probe((c) => {
  const v = c.local(V128)
  c.i32(0).v128Load32Splat(0).set(v).i32(0).get(v).v128Store(0)
})

/** Whether this runtime validates relaxed-SIMD's `f32x4.relaxed_madd` (Node 20 only behind a flag). */
export const HAS_RELAXED_SIMD: boolean =
  HAS_SIMD &&
  probe((c) => {
    c.i32(0).v128Zero().v128Zero().v128Zero().f32x4RelaxedMadd().v128Store(0)
  })

/** Whether shared WebAssembly memory (and so worker threads over one memory) is available. */
export const HAS_SHARED_MEMORY: boolean = (() => {
  try {
    if (wasmApi === undefined) return false
    const m = new wasmApi.Memory({ initial: 1, maximum: 1, shared: true })
    return m.buffer instanceof SharedArrayBuffer
  } catch {
    return false
  }
})()
