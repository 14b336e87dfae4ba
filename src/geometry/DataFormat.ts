/**
 * The layout and padding vocabulary every spatial layer shares (convolutions, pooling, padding,
 * resampling, normalization over channels): which axis holds the channels, and the two window
 * paddings. Defined here, below the layers, so that every layer module reads the same two names.
 */

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Window padding of convolutions and pooling: `valid` (no padding) or `same` (TF's split, the extra
 * unit at the end). The 1-D convolutions also take `causal` (`ConvPadding` in Axis.ts).
 */
export type Padding = 'valid' | 'same'

/** Every padding, simplest first. */
export const PADDINGS: ReadonlyArray<Padding> = ['valid', 'same']

/**
 * Layout of a layer's input and output: `channels_last` (NWC, NHWC, NDHWC) or `channels_first` (NCW,
 * NCHW, NCDHW). Kernels are spatial-first in both.
 */
export type DataFormat = 'channels_last' | 'channels_first'

/** Every data format, the default first. */
export const DATA_FORMATS: ReadonlyArray<DataFormat> = ['channels_last', 'channels_first']
