/**
 * Backend selection when callers race: a server announcing the engine and a page asking engine.info
 * start at the same moment. Each test file runs in its own process, so this one starts from no backend.
 */
import * as tf from '../../../src-main/node/engine/tf';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/node/engine/backend';

describe('initBackend', () => {
  it('gives concurrent callers the one backend the first chose, and leaves tfjs on it', async () => {
    const answers = await Promise.all([initBackend(), initBackend(), initBackend()]);
    expect(new Set(answers.map((a) => a.backend)).size).toBe(1);
    expect(answers[1]).toBe(answers[0]);
    expect(answers[0]!.skipped.map((s) => s.backend)).not.toContain(answers[0]!.backend);
    expect(tf.getBackend()).toBe(answers[0]!.tfjsBackend);
    // Without native TensorFlow the first choice is wasm, which must not be lost to a racing cpu.
    if (!answers[0]!.skipped.some((s) => s.backend === 'wasm')) expect(['wasm', 'tensorflow', 'tensorflow-gpu']).toContain(answers[0]!.backend);
  });

  it('still answers, with the same backend, after a request no backend can meet', async () => {
    const first = await initBackend();
    await expect(initBackend({ candidates: [] })).rejects.toThrow(/No TensorFlow.js backend/);
    expect(await initBackend()).toBe(first);
  });
});
