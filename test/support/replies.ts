/** Assertions on the contract's reply envelopes, for tests that call `Workbench.dispatch`. */
import { expect } from 'vitest';

type ReplyLike<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

/** The value of a successful reply; a failure throws with its code and message. */
export function value<T>(reply: ReplyLike<T>): T {
  if (!reply.ok) throw new Error(`expected success, got ${reply.error.code}: ${reply.error.message}`);
  return reply.value;
}

/** Asserts a failed reply with `code` (and a message containing `messagePart`). */
export function expectError(reply: { ok: boolean; error?: { code: string; message: string } }, code: string, messagePart?: string): void {
  expect(reply).toMatchObject({ ok: false, error: { code } });
  if (messagePart !== undefined) expect(reply.error?.message).toContain(messagePart);
}
