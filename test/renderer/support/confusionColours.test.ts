import { describe, expect, it } from 'vitest';
import { confusionCellColours, contrastRatio, relativeLuminance, rowNormalize, scaleColour } from '../../../src-renderer/src/support/confusionColours';

function parseRgb(css: string): [number, number, number] {
  const match = /^rgb\((\d+) (\d+) (\d+)\)$/.exec(css);
  if (!match) throw new Error(`not an rgb() colour: ${css}`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

const TEXT: Record<string, [number, number, number]> = { '#000': [0, 0, 0], '#fff': [255, 255, 255] };
const steps = Array.from({ length: 201 }, (_, i) => i / 200);

describe('confusionColours', () => {
  it('row-normalizes and keeps empty rows at zero', () => {
    expect(rowNormalize([[3, 1], [0, 0], [0, 5]])).toEqual([[0.75, 0.25], [0, 0], [0, 1]]);
  });

  it('gets darker as the value grows: never lighter, and visibly darker every 5 points', () => {
    const luminance = (v: number) => relativeLuminance(parseRgb(confusionCellColours(v).background));
    // Channels are whole numbers, so neighbours 0.005 apart may round to the same colour.
    const luminances = steps.map(luminance);
    for (let i = 1; i < luminances.length; i++) expect(luminances[i]!).toBeLessThanOrEqual(luminances[i - 1]!);
    const coarse = Array.from({ length: 21 }, (_, i) => luminance(i / 20));
    for (let i = 1; i < coarse.length; i++) expect(coarse[i]!).toBeLessThan(coarse[i - 1]!);
    expect(luminances[0]!).toBeGreaterThan(0.9);
    expect(luminances.at(-1)!).toBeLessThan(0.05);
  });

  it('carries the value in lightness, not in a red/green hue', () => {
    for (const v of steps) {
      const [r, g, b] = scaleColour(v);
      // Blue never below red or green: no cell reads as red or green.
      expect(b).toBeGreaterThanOrEqual(Math.max(r, g));
    }
  });

  it('picks a text colour with at least WCAG AA contrast (4.5:1) on every cell', () => {
    for (const v of steps) {
      const { background, text } = confusionCellColours(v);
      expect(contrastRatio(parseRgb(background), TEXT[text]!)).toBeGreaterThanOrEqual(4.5);
    }
    expect(confusionCellColours(0).text).toBe('#000');
    expect(confusionCellColours(1).text).toBe('#fff');
  });

  it('clamps values outside [0, 1] and treats NaN as 0', () => {
    expect(confusionCellColours(-0.5)).toEqual(confusionCellColours(0));
    expect(confusionCellColours(1.7)).toEqual(confusionCellColours(1));
    expect(confusionCellColours(Number.NaN)).toEqual(confusionCellColours(0));
    expect(contrastRatio([0, 0, 0], [255, 255, 255])).toBeCloseTo(21, 5);
  });
});
