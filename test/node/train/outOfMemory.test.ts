import { describe, expect, it } from 'vitest';
import { WorkbenchError } from '../../../src-main/common/errors';
import { resolveRunConfig } from '../../../src-main/common/runConfig';
import { asOutOfMemory } from '../../../src-main/node/train/trainer';

const config = resolveRunConfig({ trainDir: '/data/train', batchSize: 64, imageSize: 320 });

describe('out-of-memory errors', () => {
  it.each([
    ['V8', new RangeError('Array buffer allocation failed')],
    ['wasm', new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded')],
    ['TensorFlow', new Error('OOM when allocating tensor with shape[64,64,160,160]')],
    ['CUDA', new Error('CUDA_ERROR_OUT_OF_MEMORY: out of memory')],
  ])('turns a %s allocation failure into advice naming the batch and image size', (_label, error) => {
    const translated = asOutOfMemory(error, config);
    expect(translated).toBeInstanceOf(WorkbenchError);
    expect(translated?.code).toBe('OUT_OF_MEMORY');
    expect(translated?.message).toMatch(/batch size 64 and image size 320/);
    expect(translated?.message).toMatch(/smaller --batch-size or --image-size/);
  });

  it('leaves other errors alone', () => {
    expect(asOutOfMemory(new Error('ENOENT: no such file'), config)).toBeUndefined();
    expect(asOutOfMemory(new WorkbenchError('IO', 'Cannot allocate a run folder name'), config)).toBeUndefined();
  });
});
