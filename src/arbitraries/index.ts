/**
 * `layerspec/arbitraries`: the fast-check arbitraries layerspec tests itself with, for users who verify
 * convolution semantics with their own properties. Every arbitrary is built directly (no filtering),
 * simplest value first, so counterexamples shrink to small configs. fast-check is a peer dependency.
 */
export type { EnvelopeStyle, Json } from './blocks.js'
export {
  arbActivationConfig,
  arbConstraintConfig,
  arbDTypeConfig,
  arbInitializerConfig,
  arbLetterCase,
  arbPairSpelling,
  arbRegularizerConfig,
  envelopeOf
} from './blocks.js'
export type { Conv2DConfigOptions, Conv2DPlan } from './config.js'
export { arbConv2DConfig, arbConv2DPlan } from './config.js'
export type { Conv2DRule, InvalidConv2DConfig } from './invalid.js'
export { arbInvalidConv2DConfig } from './invalid.js'
export type { TensorValues } from './tensor.js'
export { arbShape, arbTensor } from './tensor.js'
export type { Conv2DCase, Conv2DCaseOptions } from './case.js'
export { arbConv2DCase } from './case.js'
export type { ConvConfigKind, ConvConfigOptions, ConvConfigPlan, ConvConfigRank } from './family.js'
export { arbAnyConvConfig, arbConvConfig, convClassName, convMembers, rejectsStridedDilation } from './family.js'
export type { ConvFamilyRule, InvalidConvConfig } from './familyInvalid.js'
export { arbInvalidConvConfig } from './familyInvalid.js'
