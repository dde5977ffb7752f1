/**
 * The one contract between the UI and the engine. Every request/reply call and every event is an
 * entry below with zod schemas; the TypeScript types, the preload's methods, the IPC handlers and
 * the WebSocket transport are all derived from these two maps, so a new call is one new entry.
 *
 * Call names are `group.method`; the renderer sees them as `workbench.group.method(params)`.
 * Replies are plain data (`Reply<T>`): rich errors do not survive IPC or JSON.
 */
import { z } from 'zod';
import { ERROR_CODES, type ErrorData } from './errors';
import { RESNET_DEPTHS } from './resnetSpec';

// ---------------------------------------------------------------------------------------------
// Reusable schemas

/** A call that takes no parameters accepts `{}` or nothing at all. */
const noParams = z.strictObject({}).optional();

export const resnetDepthSchema = z.union(RESNET_DEPTHS.map((depth) => z.literal(depth)));

export const errorDataSchema = z.strictObject({
  code: z.enum(ERROR_CODES),
  message: z.string(),
});

export const backendNameSchema = z.enum(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);

export const engineInfoSchema = z.strictObject({
  /** Our name for the active backend. */
  backend: backendNameSchema,
  /** tfjs' own name for it ('tensorflow' for both native builds). */
  tfjsBackend: z.string(),
  /** Library name → version, e.g. `{ node: '20.19.5', tfjs: '4.22.0' }`. */
  versions: z.record(z.string(), z.string()),
  /** Whether convolutions can be fine-tuned (the backend has Conv2DBackpropFilter). */
  convGradients: z.boolean(),
  /** Faster backends that were tried and why they did not load. */
  skipped: z.array(z.strictObject({ backend: backendNameSchema, reason: z.string() })),
});

/**
 * One pretrained checkpoint of the catalog and whether it is in the app's data folder. Kept loose
 * (extra fields pass through) so the weights store can add facts without breaking the UI.
 */
export const weightsEntrySchema = z.looseObject({
  depth: resnetDepthSchema,
  /** torchvision's name for the weights, e.g. `IMAGENET1K_V1`. */
  variant: z.string(),
  /** ImageNet top-1 accuracy in percent as published by torchvision. */
  top1: z.number().optional(),
  /** Where the file comes from. */
  url: z.string().optional(),
  /** Whether the file is present (downloaded or imported) and usable. */
  present: z.boolean(),
  /** Absolute path of the file when present. */
  path: z.string().optional(),
});

export const modelInfoSchema = z.strictObject({
  depth: resnetDepthSchema,
  block: z.enum(['basic', 'bottleneck']),
  /** Blocks in layer1..layer4. */
  layers: z.tuple([z.number().int(), z.number().int(), z.number().int(), z.number().int()]),
  /** Channels entering the classifier head. */
  featureChannels: z.number().int().positive(),
  /** Learned parameters with torchvision's 1000-class ImageNet head. */
  parameters: z.number().int().positive(),
  /** Learned parameters without the head (what a new head is added to). */
  backboneParameters: z.number().int().positive(),
  /** Multiply-adds of one 224×224 forward pass in billions (what torchvision lists as GFLOPS). */
  gflops: z.number().positive(),
});

// ---------------------------------------------------------------------------------------------
// The maps

export interface CallSchema<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  /** One line for people: what the call does. */
  description: string;
  params: P;
  result: R;
}

function defineCall<P extends z.ZodType, R extends z.ZodType>(call: CallSchema<P, R>): CallSchema<P, R> {
  return call;
}

/** Request/reply calls. */
export const CALLS = {
  'engine.info': defineCall({
    description: 'The active compute backend, library versions and what the backend can do.',
    params: noParams,
    result: engineInfoSchema,
  }),
  'weights.list': defineCall({
    description: 'The pretrained ImageNet checkpoints of the catalog and which are present.',
    params: noParams,
    result: z.strictObject({ weights: z.array(weightsEntrySchema) }),
  }),
  'models.catalog': defineCall({
    description: 'The ResNet depths with their size and cost.',
    params: noParams,
    result: z.strictObject({ models: z.array(modelInfoSchema) }),
  }),
} satisfies Record<`${string}.${string}`, CallSchema>;

/** Events pushed from the engine to the UI. */
export const EVENTS = {
  'engine.ready': {
    description: 'The engine has chosen its backend (sent once after start-up).',
    payload: engineInfoSchema,
  },
} satisfies Record<`${string}.${string}`, EventSchema>;

export interface EventSchema<T extends z.ZodType = z.ZodType> {
  description: string;
  payload: T;
}

// ---------------------------------------------------------------------------------------------
// Types derived from the maps

export type CallName = keyof typeof CALLS;
export type EventName = keyof typeof EVENTS;

/** What a caller may pass (before defaults are applied). */
export type CallParamsInput<C extends CallName> = z.input<(typeof CALLS)[C]['params']>;
/** What the implementation receives (after validation). */
export type CallParams<C extends CallName> = z.output<(typeof CALLS)[C]['params']>;
export type CallResult<C extends CallName> = z.output<(typeof CALLS)[C]['result']>;
export type EventPayload<E extends EventName> = z.output<(typeof EVENTS)[E]['payload']>;

export type EngineInfo = z.output<typeof engineInfoSchema>;
export type WeightsEntry = z.output<typeof weightsEntrySchema>;
export type ModelInfo = z.output<typeof modelInfoSchema>;

/** The reply envelope every transport carries. */
export type Reply<T> = { ok: true; value: T } | { ok: false; error: ErrorData };

export type Unsubscribe = () => void;

type GroupOf<N> = N extends `${infer G}.${string}` ? G : never;
export type CallGroup = GroupOf<CallName>;

type CallMethod<C extends CallName> = undefined extends CallParamsInput<C>
  ? (params?: CallParamsInput<C>) => Promise<Reply<CallResult<C>>>
  : (params: CallParamsInput<C>) => Promise<Reply<CallResult<C>>>;

type GroupMethods<G extends string> = {
  [C in CallName as C extends `${G}.${infer M}` ? M : never]: CallMethod<C>;
};

/**
 * What the renderer sees, whichever transport carries it: `api.engine.info()`,
 * `api.models.catalog()`, … and `api.on('run.epoch', listener)` returning an unsubscribe function.
 */
export type WorkbenchApi = { readonly [G in CallGroup]: GroupMethods<G> } & {
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): Unsubscribe;
};

/** What an implementation of the contract provides: one function per call, on validated params. */
export type WorkbenchHandlers = {
  [C in CallName]: (params: CallParams<C>) => Promise<CallResult<C>> | CallResult<C>;
};

// ---------------------------------------------------------------------------------------------
// Runtime helpers

export const CALL_NAMES = Object.keys(CALLS) as CallName[];
export const EVENT_NAMES = Object.keys(EVENTS) as EventName[];

export function isCallName(value: unknown): value is CallName {
  return typeof value === 'string' && Object.hasOwn(CALLS, value);
}

export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && Object.hasOwn(EVENTS, value);
}

/** Splits `group.method`; call names have exactly one dot (checked by the contract's tests). */
export function splitCallName(call: CallName): { group: CallGroup; method: string } {
  const dot = call.indexOf('.');
  return { group: call.slice(0, dot) as CallGroup, method: call.slice(dot + 1) };
}

/** The IPC channel carrying a call; namespaced so nothing else can collide with it. */
export function callChannel(call: CallName): string {
  return `workbench:call:${call}`;
}

/** The IPC channel carrying an event. */
export function eventChannel(event: EventName): string {
  return `workbench:event:${event}`;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; error: ErrorData };

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

// The maps' schemas are typed per entry; indexing them by a generic name loses that link, which the
// callers restore through their return types.
function validate<T>(schema: z.ZodType, value: unknown, what: string, code: ErrorData['code']): Validation<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data as T };
  return { ok: false, error: { code, message: `${what} the contract: ${describeIssues(parsed.error)}` } };
}

/** Checks what a caller sent; a mismatch is the caller's fault (BAD_INPUT). */
export function validateParams<C extends CallName>(call: C, raw: unknown): Validation<CallParams<C>> {
  return validate(CALLS[call].params, raw, `The parameters of '${call}' do not match`, 'BAD_INPUT');
}

/** Checks what an implementation returned; a mismatch is our bug (INTERNAL). */
export function validateResult<C extends CallName>(call: C, raw: unknown): Validation<CallResult<C>> {
  return validate(CALLS[call].result, raw, `The result of '${call}' does not match`, 'INTERNAL');
}

export function validateEventPayload<E extends EventName>(event: E, raw: unknown): Validation<EventPayload<E>> {
  return validate(EVENTS[event].payload, raw, `The payload of '${event}' does not match`, 'INTERNAL');
}

const replySchema = z.union([
  z.strictObject({ ok: z.literal(true), value: z.unknown() }),
  z.strictObject({ ok: z.literal(false), error: errorDataSchema }),
]);

/**
 * Checks a reply received from a transport (the WebSocket client, tests): the envelope's shape and,
 * when it succeeded, the value against the call's result schema.
 */
export function parseReply<C extends CallName>(call: C, raw: unknown): Reply<CallResult<C>> {
  const envelope = replySchema.safeParse(raw);
  if (!envelope.success) {
    return { ok: false, error: { code: 'INTERNAL', message: `The reply to '${call}' is not an envelope: ${describeIssues(envelope.error)}` } };
  }
  if (!envelope.data.ok) return envelope.data;
  return validateResult(call, envelope.data.value);
}

export function replyOk<T>(value: T): Reply<T> {
  return { ok: true, value };
}

export function replyError(error: ErrorData): Reply<never> {
  return { ok: false, error };
}
