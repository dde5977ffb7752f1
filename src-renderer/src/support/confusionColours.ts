/**
 * Colours of confusion-matrix heatmap cells. One sequential blue scale (ColorBrewer "Blues"):
 * lightness alone carries the value, so it reads the same with red/green colour blindness and in
 * greyscale. Every anchor's R, G and B fall from the first to the last, so luminance falls
 * strictly with the value (higher share = darker cell). The text colour is black or white,
 * whichever contrasts more with the cell; one of the two always reaches at least 4.58:1, above
 * WCAG AA's 4.5:1 for normal text.
 */

type Rgb = readonly [number, number, number];

const BLUES: readonly Rgb[] = [
  [0xf7, 0xfb, 0xff],
  [0xde, 0xeb, 0xf7],
  [0xc6, 0xdb, 0xef],
  [0x9e, 0xca, 0xe1],
  [0x6b, 0xae, 0xd6],
  [0x42, 0x92, 0xc6],
  [0x21, 0x71, 0xb5],
  [0x08, 0x51, 0x9c],
  [0x08, 0x30, 0x6b],
];

const BLACK: Rgb = [0, 0, 0];
const WHITE: Rgb = [255, 255, 255];

export interface CellColours {
  /** CSS `rgb(r g b)`. */
  background: string;
  /** CSS colour for the cell's text: `#000` or `#fff`. */
  text: string;
}

/** Each row divided by its sum (rows = actual class); a row without images stays all zeros. */
export function rowNormalize(matrix: readonly (readonly number[])[]): number[][] {
  return matrix.map((row) => {
    const sum = row.reduce((total, value) => total + value, 0);
    return row.map((value) => (sum > 0 ? value / sum : 0));
  });
}

/** The scale's colour at `value` in [0, 1]; outside values are clamped, NaN counts as 0. */
export function scaleColour(value: number): Rgb {
  const v = Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
  const position = v * (BLUES.length - 1);
  const lower = Math.min(Math.floor(position), BLUES.length - 2);
  const t = position - lower;
  const a = BLUES[lower]!;
  const b = BLUES[lower + 1]!;
  return [0, 1, 2].map((i) => Math.round(a[i]! + (b[i]! - a[i]!) * t)) as unknown as Rgb;
}

/** WCAG 2 relative luminance of an sRGB colour with 0–255 channels. */
export function relativeLuminance(rgb: Rgb): number {
  const [r, g, b] = rgb.map((channel) => {
    const c = channel / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio, 1 (none) to 21 (black on white). */
export function contrastRatio(a: Rgb, b: Rgb): number {
  const [light, dark] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** Background and readable text colour of a cell holding a row-normalized `value` in [0, 1]. */
export function confusionCellColours(value: number): CellColours {
  const background = scaleColour(value);
  const blackText = contrastRatio(background, BLACK) >= contrastRatio(background, WHITE);
  return { background: `rgb(${background.join(' ')})`, text: blackText ? '#000' : '#fff' };
}
