/**
 * The few parts of the WebAssembly JavaScript API layerspec uses, typed locally (the project's
 * TypeScript libs are ES2022 + Node, which do not declare them). `wasmApi` is `undefined` where the
 * runtime has no WebAssembly.
 */

/** A compiled module. */
export type WasmModule = object

/** A linear memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer
  grow(pages: number): number
}

/** An instance's exports. */
export interface WasmInstance {
  readonly exports: Readonly<Record<string, unknown>>
}

/** The `WebAssembly` namespace, as far as layerspec uses it. */
export interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => WasmModule
  readonly Instance: new (module: WasmModule, imports: object) => WasmInstance
  readonly Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory
  validate(bytes: Uint8Array): boolean
}

/** The runtime's WebAssembly, if any. */
export const wasmApi: WasmApi | undefined = (globalThis as { WebAssembly?: WasmApi }).WebAssembly
