/**
 * One thread's times on whatever CPU this process is pinned to (bench/cores.ts runs it under
 * `taskset -c K`): three one-thread Conv2D layers through the public API (the tiled, Winograd and
 * pointwise wasm kernels) and a loop of SIMD multiply-adds on registers. Prints one JSON line.
 *
 * `node --import tsx bench/coreProbe.ts`
 */
import * as E from 'fp-ts/lib/Either.js'
import { compileConv2D, decodeConv2D } from '../src/index.js'
import { wasmApi } from '../src/kernel/wasm/api.js'
import { Code, encodeModule, I32, V128 } from '../src/kernel/wasm/encoder.js'

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number

/** Median ms of one call of `f`, over 25 samples of ~12 ms of calls after 250 ms of warm-up. */
const timeCalls = (f: () => void): number => {
  const start = performance.now()
  while (performance.now() - start < 250) f()
  const samples: number[] = []
  for (let s = 0; s < 25; s++) {
    const t0 = performance.now()
    let n = 0
    while (performance.now() - t0 < 12) {
      f()
      n++
    }
    samples.push((performance.now() - t0) / n)
  }
  return median(samples)
}

const layer = (config: Record<string, unknown>, shape: readonly [number, number, number]): number => {
  const spec = decodeConv2D({ class_name: 'Conv2D', config })
  if (E.isLeft(spec)) throw new Error(`probe layer: ${JSON.stringify(spec.left)}`)
  const compiled = compileConv2D(spec.right, shape, { threads: 1 })
  if (E.isLeft(compiled)) throw new Error(`probe layer: ${JSON.stringify(compiled.left)}`)
  const l = compiled.right
  const params = l.init(1)
  const x = { shape: [1, ...shape], data: Float32Array.from({ length: shape[0] * shape[1] * shape[2] }, (_, i) => Math.cos(i)) }
  return timeCalls(() => l.forward(params, x))
}

/** 50 M iterations of 12 independent f32x4 multiply-adds on registers. */
const registers = (): number => {
  const c = new Code([I32])
  const n = c.local(I32)
  const acc = Array.from({ length: 12 }, () => c.local(V128))
  const a = c.local(V128)
  const b = c.local(V128)
  c.i32(0).v128Load(0).set(a).i32(0).v128Load(16).set(b)
  c.get(0).set(n).loop()
  for (const v of acc) c.get(v).get(a).get(b).f32x4Mul().f32x4Add().set(v)
  c.get(n).i32(1).i32Sub().tee(n).brIf(0).end()
  acc.forEach((v, i) => c.i32(32 + 16 * i).get(v).v128Store(0))
  const wasm = wasmApi
  if (wasm === undefined) return NaN
  const memory = new wasm.Memory({ initial: 1, maximum: 1 })
  new Float32Array(memory.buffer).fill(0.5)
  const bytes = encodeModule([{ name: 'f', code: c }], { shared: false, initialPages: 1, maxPages: 1 })
  const f = new wasm.Instance(new wasm.Module(bytes), { env: { memory } }).exports['f'] as (n: number) => void
  f(10_000_000)
  const times: number[] = []
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now()
    f(50_000_000)
    times.push(performance.now() - t0)
  }
  return median(times)
}

console.log(
  JSON.stringify({
    tiled: layer({ filters: 64, kernel_size: 3, padding: 'same', dilation_rate: 2 }, [56, 56, 64]),
    winograd: layer({ filters: 64, kernel_size: 3, padding: 'same' }, [56, 56, 64]),
    pointwise: layer({ filters: 256, kernel_size: 1 }, [28, 28, 256]),
    registers: registers()
  })
)
process.exit(0)
