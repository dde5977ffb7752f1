import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkbenchError } from '../../../src-main/common/errors';
import { detectCheckpointFormat, readCheckpoint, readCheckpointWithMetadata, writeCheckpoint } from '../../../src-main/node/weights/checkpointFile';
import type { ExpectedFixtures } from '../../fixtures/weights/expectedTensors';
import { expectStateDictToMatch, fixturePath, loadExpected, readFixture } from '../../fixtures/weights/expectedTensors';

/** The fixtures are small made-up state dicts, not ResNets: read them without the ResNet layout check. */
const ANY = { layout: 'any' } as const;

let folder: string;
let expected: ExpectedFixtures;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'checkpoint-file-'));
  expected = loadExpected();
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<WorkbenchError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(WorkbenchError);
    return error as WorkbenchError;
  }
  throw new Error('expected a failure');
}

describe('readCheckpoint', () => {
  it.each(['state_dict.zip.pth', 'state_dict.legacy.pth', 'nested_module.zip.pth', 'state_dict.safetensors'])('reads %s', async (file) => {
    expectStateDictToMatch(await readCheckpoint(fixturePath(file), ANY), expected.tensors);
  });

  it('sniffs the format from the content, not the extension', async () => {
    const cases: [string, string][] = [
      ['state_dict.zip.pth', 'weights.safetensors'],
      ['state_dict.legacy.pth', 'weights.bin'],
      ['state_dict.safetensors', 'weights.pth'],
    ];
    for (const [source, name] of cases) {
      const target = join(folder, name);
      await copyFile(fixturePath(source), target);
      expectStateDictToMatch(await readCheckpoint(target, ANY), expected.tensors);
    }
    expect(detectCheckpointFormat(readFixture('state_dict.legacy.pth'))).toBe('pth');
    expect(detectCheckpointFormat(readFixture('state_dict.safetensors'))).toBe('safetensors');
    expect(detectCheckpointFormat(new TextEncoder().encode('hello world'))).toBeUndefined();
  });

  it('returns safetensors metadata and the format', async () => {
    const contents = await readCheckpointWithMetadata(fixturePath('state_dict.safetensors'));
    expect(contents.format).toBe('safetensors');
    expect(contents.metadata).toEqual(expected.safetensors_metadata);
    const pth = await readCheckpointWithMetadata(fixturePath('state_dict.zip.pth'), ANY);
    expect({ format: pth.format, metadata: pth.metadata }).toEqual({ format: 'pth', metadata: {} });
  });

  it('gives NOT_FOUND for a missing file', async () => {
    const path = join(folder, 'missing.pth');
    const error = await failure(readCheckpoint(path));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain(path);
  });

  it('says a folder is not a checkpoint file', async () => {
    const error = await failure(readCheckpoint(folder));
    expect(error.code).toBe('BAD_INPUT');
    expect(error.message).toContain('is a folder');
  });

  it.each([
    ['empty.pth', new Uint8Array(0), 'it is empty'],
    ['notes.pth', new TextEncoder().encode('these are not weights\n'), 'its first bytes are 7468657365206172'],
    ['image.safetensors', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), 'its first bytes are 89504e470d0a1a0a'],
  ])('says %s is not a PyTorch or safetensors checkpoint', async (name, bytes, detail) => {
    const path = join(folder, name);
    await writeFile(path, bytes);
    const error = await failure(readCheckpoint(path));
    expect(error.code).toBe('CHECKPOINT_CORRUPT');
    expect(error.message).toBe(`'${path}' is not a PyTorch or safetensors checkpoint (${detail}).`);
  });

  it('refuses a malicious file by path too', async () => {
    const error = await failure(readCheckpoint(fixturePath('malicious_os_system.zip.pth')));
    expect(error.code).toBe('CHECKPOINT_UNSAFE');
    expect(error.message).toContain(fixturePath('malicious_os_system.zip.pth'));
  });
});

describe('writeCheckpoint', () => {
  it.each(['pth', 'safetensors'] as const)('writes a %s file that reads back identically, atomically', async (format) => {
    const source = await readCheckpoint(fixturePath('state_dict.legacy.pth'), ANY);
    const path = join(folder, `written.${format}`);
    await writeFile(path, 'an older, longer file that must be replaced whole '.repeat(200));
    const metadata = format === 'safetensors' ? { epochs: '3' } : undefined;
    await writeCheckpoint(path, source, format, metadata);
    const contents = await readCheckpointWithMetadata(path, ANY);
    expect(contents.format).toBe(format);
    expect(contents.metadata).toEqual(metadata ?? {});
    // safetensors stores tensors grouped by element size; compare by name.
    const ordered = new Map([...contents.tensors].sort(([a], [b]) => Object.keys(expected.tensors).indexOf(a) - Object.keys(expected.tensors).indexOf(b)));
    expectStateDictToMatch(ordered, expected.tensors);
    expect((await readdir(folder)).filter((name) => name.includes('.tmp'))).toEqual([]);
  });

  it('refuses metadata for a .pth file instead of dropping it', async () => {
    const dict = await readCheckpoint(fixturePath('state_dict.zip.pth'), ANY);
    const error = await failure(writeCheckpoint(join(folder, 'x.pth'), dict, 'pth', { a: 'b' }));
    expect(error.code).toBe('BAD_INPUT');
  });

  it('names the path when the folder does not exist', async () => {
    const dict = await readCheckpoint(fixturePath('state_dict.zip.pth'), ANY);
    const path = join(folder, 'no', 'such', 'w.pth');
    const error = await failure(writeCheckpoint(path, dict, 'pth'));
    expect(error.code).toBe('IO');
    expect(error.message).toContain(path);
  });
});
