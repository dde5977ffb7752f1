// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { bytesToBase64, encodeUpload, MAX_UPLOAD_BYTES, previewDataUrl, uploadName, uploadRefusal } from '../../../src-renderer/src/support/fileEncoding';

describe('bytesToBase64', () => {
  it('matches known encodings, with padding', () => {
    const ascii = (text: string) => new TextEncoder().encode(text);
    expect(bytesToBase64(new Uint8Array())).toBe('');
    expect(bytesToBase64(ascii('f'))).toBe('Zg==');
    expect(bytesToBase64(ascii('fo'))).toBe('Zm8=');
    expect(bytesToBase64(ascii('foo'))).toBe('Zm9v');
    expect(bytesToBase64(ascii('foobar'))).toBe('Zm9vYmFy');
    expect(bytesToBase64(new Uint8Array([0, 255, 254, 128]))).toBe('AP/+gA==');
  });

  it('encodes inputs larger than one chunk (and than the argument limit) exactly', () => {
    // 3 MB of varied bytes: spreading it in one call would throw; chunk edges must not add padding.
    const bytes = new Uint8Array(3_000_001);
    for (let i = 0; i < bytes.length; i += 1) bytes[i] = (i * 7919) % 251;
    const encoded = bytesToBase64(bytes);
    expect(encoded).toHaveLength(4 * Math.ceil(bytes.length / 3));
    expect(encoded.slice(0, -4)).not.toContain('=');
    const decoded = atob(encoded);
    expect(decoded.length).toBe(bytes.length);
    let mismatch = -1;
    for (let i = 0; i < bytes.length && mismatch < 0; i += 1) if (decoded.charCodeAt(i) !== bytes[i]) mismatch = i;
    expect(mismatch).toBe(-1);
  });
});

describe('uploadRefusal', () => {
  it('refuses an empty file and one over the limit, naming the file and the limit', () => {
    expect(uploadRefusal({ name: 'blank.png', size: 0 })).toBe('blank.png is empty (0 bytes).');
    const big = uploadRefusal({ name: 'huge.tif', size: MAX_UPLOAD_BYTES + 1 });
    expect(big).toContain('huge.tif is 20.0 MB');
    expect(big).toContain('larger than 20.0 MB cannot be sent');
    expect(uploadRefusal({ name: 'ok.jpg', size: MAX_UPLOAD_BYTES })).toBeNull();
  });
});

describe('uploadName', () => {
  it('keeps short names, fills in an empty one and shortens a long one from the front', () => {
    expect(uploadName('cat.jpg')).toBe('cat.jpg');
    expect(uploadName('  ')).toBe('image');
    const long = `${'x'.repeat(300)}.jpeg`;
    const shortened = uploadName(long);
    expect(shortened).toHaveLength(255);
    expect(shortened.startsWith('…')).toBe(true);
    expect(shortened.endsWith('x.jpeg')).toBe(true);
  });
});

describe('previewDataUrl', () => {
  it('builds a data: URL for image types only', () => {
    expect(previewDataUrl('image/png', 'AAAA')).toBe('data:image/png;base64,AAAA');
    expect(previewDataUrl('image/svg+xml', 'AAAA')).toBe('data:image/svg+xml;base64,AAAA');
    expect(previewDataUrl('text/html', 'AAAA')).toBeNull();
    expect(previewDataUrl('', 'AAAA')).toBeNull();
    expect(previewDataUrl('image/png;x=<script>', 'AAAA')).toBeNull();
  });
});

describe('encodeUpload', () => {
  it('reads a file into base64 with a preview', async () => {
    const file = new File([new Uint8Array([137, 80, 78, 71])], 'tiny.png', { type: 'image/png' });
    expect(await encodeUpload(file)).toEqual({ name: 'tiny.png', data: 'iVBORw==', preview: 'data:image/png;base64,iVBORw==' });
  });

  it('throws the refusal for an empty file without reading it', async () => {
    await expect(encodeUpload(new File([], 'empty.jpg', { type: 'image/jpeg' }))).rejects.toThrow('empty.jpg is empty (0 bytes).');
  });
});
