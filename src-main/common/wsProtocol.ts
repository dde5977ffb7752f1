/**
 * The contract over a WebSocket (browser mode), one JSON text message per frame:
 *
 *   client → server   { "id": 7, "call": "dataset.scan", "params": { ... } }
 *   server → client   { "id": 7, "reply": { "ok": true, "value": ... } }      answers the call with that id
 *                     { "id": null, "reply": { "ok": false, "error": ... } }  a message too broken to have an id
 *                     { "event": "run.epoch", "payload": { ... } }            pushed to every connected tab
 *
 * Call names, params, replies and payloads are the contract's (contract.ts); this file only frames them.
 */
import { z } from 'zod';

/** Where the server accepts the WebSocket. */
export const WS_PATH = '/ws';

/** The largest message either side accepts; a bigger one closes the socket with 1009. */
export const WS_MAX_PAYLOAD_BYTES = 32 * 1024 * 1024;

/** Close codes used by the server (RFC 6455). */
export const WS_CLOSE = {
  goingAway: 1001,
  policyViolation: 1008,
  messageTooBig: 1009,
} as const;

export const callIdSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const clientMessageSchema = z.strictObject({
  id: callIdSchema,
  call: z.string().min(1).max(200),
  params: z.unknown().optional(),
});
export type ClientMessage = z.output<typeof clientMessageSchema>;

export const replyMessageSchema = z.strictObject({
  id: callIdSchema.nullable(),
  /** A `Reply` envelope, checked against the call's schemas by `parseReply`. */
  reply: z.unknown(),
});

export const eventMessageSchema = z.strictObject({
  event: z.string().min(1).max(200),
  /** Checked against the event's schema by the receiver. */
  payload: z.unknown(),
});

export const serverMessageSchema = z.union([replyMessageSchema, eventMessageSchema]);
export type ServerMessage = z.output<typeof serverMessageSchema>;
