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

/** torchvision's names for the ImageNet-1K training recipes. */
export const weightsVariantSchema = z.enum(['IMAGENET1K_V1', 'IMAGENET1K_V2']);

/** One of torchvision's ImageNet checkpoints and whether it is in the app's weights folder. */
export const pretrainedWeightsEntrySchema = z.strictObject({
  depth: resnetDepthSchema,
  variant: weightsVariantSchema,
  /** torchvision's own name, e.g. `ResNet50_Weights.IMAGENET1K_V2`. */
  torchvisionName: z.string(),
  /** File name on the server and in the weights folder, e.g. `resnet50-11ad3fa6.pth`. */
  fileName: z.string(),
  url: z.string(),
  /** Start of the file's SHA-256 (lowercase hex), checked after download. */
  sha256Prefix: z.string(),
  /** ImageNet-1K validation accuracy in percent, as torchvision reports it. */
  top1: z.number(),
  top5: z.number(),
  /** Learned parameters with the 1000-class head. */
  parameters: z.number().int().positive(),
  /** Billions of multiply-adds of one 224×224 forward pass. */
  gflops: z.number().positive(),
  /** The evaluation transform the weights were measured with. */
  resizeSize: z.number().int().positive(),
  cropSize: z.number().int().positive(),
  /** The variant used when none is named. */
  isDefault: z.boolean(),
  /** What torchvision's `DEFAULT` alias points to. */
  isTorchvisionDefault: z.boolean(),
  /** Whether the file is in the weights folder (every file there was checked on arrival). */
  present: z.boolean(),
  /** Where the file is, or will be once downloaded. */
  path: z.string(),
  /** Size on disk when present. */
  bytes: z.number().int().nonnegative().optional(),
});

/** A checkpoint imported from a local file that matches no catalog entry (e.g. a fine-tuned model). */
export const importedWeightsEntrySchema = z.strictObject({
  /** The stored copy in the weights folder. */
  path: z.string(),
  fileName: z.string(),
  /** The file it was imported from. */
  source: z.string(),
  depth: resnetDepthSchema,
  numClasses: z.number().int().positive(),
  /** Full SHA-256, lowercase hex. */
  sha256: z.string(),
  bytes: z.number().int().nonnegative(),
  /** ISO 8601 time of the import. */
  importedAt: z.string(),
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
    description: 'torchvision’s ImageNet checkpoints with which are present, and the imported ones.',
    params: noParams,
    result: z.strictObject({ pretrained: z.array(pretrainedWeightsEntrySchema), imported: z.array(importedWeightsEntrySchema) }),
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
export type PretrainedWeightsEntry = z.output<typeof pretrainedWeightsEntrySchema>;
export type ImportedWeightsEntry = z.output<typeof importedWeightsEntrySchema>;
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

export function replyError(error: ErrorData): Reply<never> {
  return { ok: false, error };
}
