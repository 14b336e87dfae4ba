/**
 * The human-readable `validate` and `summary` text: a problem repeated across layers is read once, and
 * no line grows with a hostile name (issues 10 and 11).
 */
import * as E from 'fp-ts/lib/Either.js'
import { describe as group, expect, it } from 'vitest'
import { check, errorLines, fileReport, summaryText, validateText } from '../../src/cli/report.js'
import { readJson } from '../helpers.js'

group('errorLines', () => {
  it('one line per error when every message differs', () => {
    expect(errorLines([{ path: 'a', message: 'x' }, { path: '', message: 'y' }])).toEqual(['  a: x', '  (root): y'])
  })
  it('a message repeated at several paths is read once, where it first occurs, with the first three paths', () => {
    const errors = [
      { path: 'layers[1].config.renorm', message: 'R' },
      { path: 'layers[1].config.units', message: 'U' },
      ...[3, 5, 7, 9].map((i) => ({ path: `layers[${i}].config.renorm`, message: 'R' })),
      { path: 'layers[9].config.units', message: 'U' }
    ]
    expect(errorLines(errors)).toEqual([
      '  R',
      '    at 5 paths: layers[1].config.renorm, layers[3].config.renorm, layers[5].config.renorm, … and 2 more',
      '  U',
      '    at 2 paths: layers[1].config.units, layers[9].config.units'
    ])
  })
  it('validate prints the grouped lines, --json keeps every error', () => {
    const file = readJson('examples/models/channels-first.tf24.json') as { config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } }
    const bns = file.config.layers.filter((l) => l.class_name === 'BatchNormalization')
    expect(bns.length).toBeGreaterThan(1)
    for (const l of bns) l.config['momentun'] = 0.9
    const checked = check(file)
    const report = fileReport('m.json', checked)
    expect(report.errors).toHaveLength(bns.length)
    const text = validateText(report, checked).split('\n')
    expect(text).toHaveLength(3)
    expect(text[1]).toBe('  unknown BatchNormalization argument "momentun"; did you mean "momentum"?')
    expect(text[2]).toMatch(new RegExp(`^    at ${bns.length} paths: config\\.layers\\[\\d+\\]\\.config\\.momentun`))
  })
})

group('summaryText with a hostile layer name', () => {
  it('a 100,000-character name is cut in the table and the header', () => {
    const json = readJson('examples/models/channels-first.tf24.json') as { config: { name: string; layers: Array<{ config: Record<string, unknown> }> } }
    const long = 'n'.repeat(100_000)
    json.config.name = long
    ;(json.config.layers[1] as { config: Record<string, unknown> }).config['name'] = long
    const checked = check(json)
    if (E.isLeft(checked) || checked.right.kind !== 'model') throw new Error('expected a valid model')
    const lines = summaryText(checked.right.summary).split('\n')
    for (const l of lines) expect(l.length).toBeLessThan(200)
    expect(lines[0]).toBe(`Model: "${'n'.repeat(59)}…" (100000 characters)`)
  })
})
