import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { WorkbenchError } from '../../../src-main/common/errors';
import { decodeImage, readImageHeader, tryDecodeImageBytes, verifyImageBytes, type RgbImage } from '../../../src-main/node/dataset/decode';
import { extensionMismatch, sniffImageFormat } from '../../../src-main/node/dataset/formats';
import { cmykJpeg, exifRotatedJpeg, grey16Png, jpegOf, palettePng, pixelBombPng, pngOf, rgbaPng, texture } from './imageFixtures';

function pixel(image: RgbImage, x: number, y: number): number[] {
  const i = (y * image.width + x) * 3;
  return [...image.data.subarray(i, i + 3)];
}

async function decodeOk(bytes: Uint8Array): Promise<RgbImage> {
  const result = await tryDecodeImageBytes(bytes);
  if (!result.ok) throw new Error(`${result.problem.reason}: ${result.problem.detail}`);
  return result.value;
}

describe('decoding every real-world encoding to 8-bit RGB', () => {
  it('applies EXIF orientation: a 32×16 image tagged 6 decodes as 16×32 with the left half on top', async () => {
    const bytes = await exifRotatedJpeg();
    expect((await sharp(bytes).metadata()).orientation).toBe(6);
    const image = await decodeOk(bytes);
    expect([image.width, image.height]).toEqual([16, 32]);
    // Rotating 90° clockwise moves the left (red) half to the top and the right (blue) half to the bottom.
    const top = pixel(image, 8, 4);
    const bottom = pixel(image, 8, 27);
    expect(top[0]).toBeGreaterThan(200);
    expect(top[2]).toBeLessThan(60);
    expect(bottom[2]).toBeGreaterThan(200);
    expect(bottom[0]).toBeLessThan(60);
    expect(await readImageHeader(bytes)).toMatchObject({ ok: true, value: { width: 16, height: 32, orientation: 6 } });
  });

  it('scales 16-bit grey to 8 bits and widens it to 3 equal channels', async () => {
    const bytes = grey16Png(3, 2, [0, 65535, 32768, 1000, 20000, 60000]);
    expect((await sharp(bytes).metadata()).depth).toBe('ushort');
    const image = await decodeOk(bytes);
    expect(image.data).toHaveLength(3 * 2 * 3);
    const grey = [0, 1, 2, 3, 4, 5].map((i) => pixel(image, i % 3, Math.floor(i / 3)));
    for (const [r, g, b] of grey) expect(r === g && g === b).toBe(true);
    expect([grey[0]?.[0], grey[1]?.[0]]).toEqual([0, 255]);
    // 16-bit values map to v / 257 within one step, not clipped at 255 as PIL's I;16 → RGB does.
    for (const [i, v] of [32768, 1000, 20000, 60000].entries()) expect(Math.abs((grey[i + 2]?.[0] ?? -99) - v / 257)).toBeLessThanOrEqual(1);
  });

  it('converts CMYK through a colour profile, not by dropping a channel', async () => {
    const bytes = await cmykJpeg();
    const meta = await sharp(bytes).metadata();
    expect([meta.space, meta.channels]).toEqual(['cmyk', 4]);
    const image = await decodeOk(bytes);
    expect([image.width, image.height, image.data.length]).toEqual([16, 8, 16 * 8 * 3]);
    // Near-white stays near-white.
    for (const v of pixel(image, 3, 3)) expect(v).toBeGreaterThan(225);
  });

  it('drops alpha like PIL convert("RGB") (colour kept, not composited) and expands palettes', async () => {
    const rgba = await decodeOk(await rgbaPng());
    expect([...rgba.data]).toEqual([255, 0, 0, 0, 0, 255]);
    const palette = await palettePng();
    expect((await sharp(palette).metadata()).isPalette).toBe(true);
    const image = await decodeOk(palette);
    expect(pixel(image, 0, 0)).toEqual([255, 0, 0]);
    expect(pixel(image, 3, 3)).toEqual([0, 255, 0]);
  });

  it('decodes 8-bit grey, WebP, GIF and TIFF to the same 3-channel layout', async () => {
    const rgb = texture(6, 4);
    const raw = { raw: { width: 6, height: 4, channels: 3 as const } };
    const encoded: [string, Buffer][] = [
      ['webp', await sharp(rgb, raw).webp({ lossless: true }).toBuffer()],
      ['gif', await sharp(rgb, raw).gif().toBuffer()],
      ['tiff', await sharp(rgb, raw).tiff({ compression: 'lzw' }).toBuffer()],
      ['grey png', await sharp(rgb, raw).greyscale().png().toBuffer()],
    ];
    for (const [name, bytes] of encoded) {
      const image = await decodeOk(bytes);
      expect([image.width, image.height, image.data.length], name).toEqual([6, 4, 6 * 4 * 3]);
    }
    // Lossless formats give the pixels back exactly.
    expect(Buffer.from((await decodeOk(encoded[0]?.[1] as Buffer)).data)).toEqual(rgb);
    expect(Buffer.from((await decodeOk(encoded[2]?.[1] as Buffer)).data)).toEqual(rgb);
    const grey = await decodeOk(encoded[3]?.[1] as Buffer);
    expect(pixel(grey, 2, 1)[0]).toBe(pixel(grey, 2, 1)[2]);
  });

  it('sniffs the format from content: JPEG bytes decode whatever the name says', async () => {
    const jpeg = await jpegOf(16, 16, texture(16, 16));
    expect(sniffImageFormat(jpeg)).toBe('jpeg');
    expect(sniffImageFormat(await pngOf(2, 2, texture(2, 2)))).toBe('png');
    expect(sniffImageFormat(Buffer.from('GIF89a......'))).toBe('gif');
    expect(sniffImageFormat(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toBe('webp');
    expect(sniffImageFormat(Buffer.from('hello world, not an image'))).toBeUndefined();
    expect(extensionMismatch('/x/photo.png', 'jpeg')).toBe(true);
    expect(extensionMismatch('/x/photo.JPEG', 'jpeg')).toBe(false);
    expect(extensionMismatch('/x/photo.v2', 'jpeg')).toBe(false);
    expect(extensionMismatch('/x/photo', 'jpeg')).toBe(false);
    expect((await readImageHeader(jpeg)).ok).toBe(true);
  });

  it('rejects a PNG declaring 20000×20000 from its header, before decoding', async () => {
    const bomb = pixelBombPng();
    expect(bomb.length).toBeLessThan(1000);
    const started = performance.now();
    const result = await tryDecodeImageBytes(bomb);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result).toMatchObject({ ok: false, problem: { reason: 'too-many-pixels' } });
    // A limit above the declared size lets the header pass; then the bogus data fails to decode.
    const lifted = await tryDecodeImageBytes(bomb, { maxPixels: 10 });
    expect(lifted.ok).toBe(false);
  });

  it('returns problems instead of throwing for empty, random, truncated and unsupported bytes', async () => {
    const jpeg = await jpegOf(64, 48, texture(64, 48));
    const png = await pngOf(64, 48, texture(64, 48));
    const cases: [Uint8Array, string][] = [
      [new Uint8Array(0), 'zero-bytes'],
      [Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) % 256)), 'not-an-image'],
      [jpeg.subarray(0, jpeg.length >> 1), 'truncated'],
      [png.subarray(0, png.length >> 1), 'truncated'],
      [png.subarray(0, 40), 'truncated'],
      [Buffer.concat([Buffer.from('BM'), Buffer.alloc(60)]), 'unsupported-format'],
    ];
    for (const [bytes, reason] of cases) {
      const result = await tryDecodeImageBytes(bytes);
      expect(result.ok ? 'ok' : result.problem.reason, reason).toBe(reason);
    }
    // Damage in the middle of a complete file is 'corrupt', not 'truncated'.
    const damaged = Buffer.from(png);
    damaged.fill(0x55, 60, 120);
    const result = await tryDecodeImageBytes(damaged);
    expect(result.ok ? 'ok' : result.problem.reason).toBe('corrupt');
  });

  it('verifies small files in one pass and large ones by header + thumbnail, finding truncation either way', async () => {
    const noise = Buffer.alloc(700 * 500 * 3);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    const large = await jpegOf(700, 500, noise, 98);
    expect(large.length).toBeGreaterThan(256 * 1024);
    expect(await verifyImageBytes(large)).toEqual({ ok: true, value: { format: 'jpeg', width: 700, height: 500 } });
    const cut = await verifyImageBytes(large.subarray(0, large.length - 5000));
    expect(cut.ok ? 'ok' : cut.problem.reason).toBe('truncated');
    const small = await exifRotatedJpeg();
    expect(await verifyImageBytes(small)).toEqual({ ok: true, value: { format: 'jpeg', width: 16, height: 32 } });
    const bomb = await verifyImageBytes(pixelBombPng());
    expect(bomb.ok ? 'ok' : bomb.problem.detail).toContain('20000×20000');
  });

  it('decodeImage throws a BAD_INPUT WorkbenchError naming the reason, and NOT_FOUND for a missing file', async () => {
    await expect(decodeImage(new Uint8Array(0))).rejects.toBeInstanceOf(WorkbenchError);
    await expect(decodeImage(new Uint8Array(0))).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('zero-bytes') });
    await expect(decodeImage('/no/such/file.jpg')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
