/**
 * A restricted reader (and a tiny writer) for the Python pickles inside PyTorch checkpoints.
 *
 * A pickle is a program for a stack machine whose GLOBAL/REDUCE opcodes import and call arbitrary
 * Python functions, so loading an untrusted .pth with Python's pickle can run any code. This reader
 * interprets the opcodes itself and resolves globals against a short allowlist of what a state dict
 * needs (OrderedDict, the torch storage classes, the torch tensor rebuild functions, plain
 * containers). Any other global — os.system, builtins.eval, a torch.nn.Module class — is refused
 * with CHECKPOINT_UNSAFE the moment it is named; nothing is ever executed, not even the allowed
 * names: they only select which JavaScript value to build.
 *
 * Opcodes of protocols 0 to 5 are understood; torch.save writes protocol 2.
 *
 * The input may be hostile, so the reader is bounded: integers have a byte cap (a state dict's are
 * small) and decode in linear time, text lines have a length cap, every value built and every item
 * copied into a container counts against a work budget, and nothing recurses or spreads an
 * attacker-sized array into a call's arguments. A pickle over a cap is refused with
 * CHECKPOINT_CORRUPT naming the cap, in time proportional to the bytes read.
 */
import { WorkbenchError } from '../../common/errors';
import type { TensorDType } from './stateDict';
import { DTYPE_ELEMENT_BYTES } from './stateDict';

/** The torch.*Storage classes a state dict may use, by the dtype of their elements. */
export const TORCH_STORAGE_DTYPES: Readonly<Record<string, TensorDType>> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  UntypedStorage: 'uint8',
};

/** The value of a `torch.FloatStorage`-like global: names a storage's element type. */
export class TorchStorageType {
  constructor(
    readonly name: string,
    readonly dtype: TensorDType,
  ) {}
}

/**
 * A storage (flat buffer) that tensors view. Its bytes may arrive after the pickle (legacy format),
 * so they are attached later with `attach`; a legacy view storage reads a slice of its root.
 */
export class TorchStorage {
  private bytes: Uint8Array | undefined;
  private loader: ((byteLength: number) => Uint8Array) | undefined;
  constructor(
    readonly key: string,
    readonly dtype: TensorDType,
    /** Number of elements of `dtype`. */
    readonly numel: number,
    readonly viewOf?: { root: TorchStorage; elementOffset: number },
  ) {}

  get byteLength(): number {
    return this.numel * DTYPE_ELEMENT_BYTES[this.dtype];
  }

  attach(bytes: Uint8Array): void {
    this.bytes = bytes;
  }

  /**
   * Attaches the bytes lazily: `load(n)` returns at least the first n bytes. A storage is only read
   * (inflated, for a compressed archive) once its tensors passed every check, and only as far as
   * they reach, so a storage that declares gigabytes costs nothing until something real needs it.
   */
  attachLoader(load: (byteLength: number) => Uint8Array): void {
    this.loader = load;
  }

  isLoaded(): boolean {
    return this.viewOf ? this.viewOf.root.isLoaded() : this.bytes !== undefined || this.loader !== undefined;
  }

  /** The storage's first `byteLength` bytes (default all); throws if they were never attached. */
  data(byteLength = this.byteLength): Uint8Array {
    if (this.viewOf) {
      const size = DTYPE_ELEMENT_BYTES[this.dtype];
      const start = this.viewOf.elementOffset * size;
      return this.viewOf.root.data(start + byteLength).subarray(start, start + byteLength);
    }
    if ((!this.bytes || this.bytes.length < byteLength) && this.loader) this.bytes = this.loader(byteLength);
    if (!this.bytes) throw new WorkbenchError('CHECKPOINT_CORRUPT', `The checkpoint has no data for storage '${this.key}'.`);
    return this.bytes;
  }
}

/** A tensor as torch._utils._rebuild_tensor_v2 describes it: a strided view into a storage. */
export class TorchTensorRef {
  constructor(
    readonly storage: TorchStorage,
    readonly storageOffset: number,
    readonly size: number[],
    readonly stride: number[],
  ) {}
}

/** An allowlisted callable (OrderedDict, a rebuild function...): only selects what to build. */
export class PickleGlobal {
  constructor(readonly name: string) {}
}

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PickleDict
  | PickleGlobal
  | TorchStorageType
  | TorchStorage
  | TorchTensorRef;

/** Python dicts and OrderedDicts, in insertion order. */
export type PickleDict = Map<PickleValue, PickleValue>;

export interface UnpickleOptions {
  /**
   * Resolves a persistent id (torch stores storages this way). Without it, a pickle that uses
   * persistent ids is refused.
   */
  persistentLoad?: (pid: PickleValue) => PickleValue;
  /** Names the pickle in error messages, e.g. "'archive/data.pkl'". Default: 'the pickle'. */
  source?: string;
}

const CALLABLE_GLOBALS = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_parameter',
  'builtins.set',
  'builtins.frozenset',
  '__builtin__.set',
  '__builtin__.frozenset',
  // Protocols 0-2 pickle Python 3 bytes as _codecs.encode(text, 'latin1'), or bytes() when empty:
  // pure conversions.
  '_codecs.encode',
  'builtins.bytes',
  '__builtin__.bytes',
]);

function resolveGlobal(module: string, name: string, source: string): PickleValue {
  const fullName = `${module}.${name}`;
  if (CALLABLE_GLOBALS.has(fullName)) return new PickleGlobal(fullName);
  if ((module === 'torch' || module === 'torch.storage') && Object.hasOwn(TORCH_STORAGE_DTYPES, name)) {
    return new TorchStorageType(name, TORCH_STORAGE_DTYPES[name] as TensorDType);
  }
  if (module === 'torch' && name.endsWith('Storage')) {
    throw new WorkbenchError(
      'BAD_INPUT',
      `${source} stores tensors of type torch.${name}, which is not supported. Supported: ` +
        `${Object.keys(TORCH_STORAGE_DTYPES).join(', ')}.`,
    );
  }
  throw unsafe(fullName, source);
}

function unsafe(what: string, source: string): WorkbenchError {
  return new WorkbenchError(
    'CHECKPOINT_UNSAFE',
    `Workbench refuses to load '${what}' from ${source}: only tensors and plain containers are allowed ` +
      'in a checkpoint, and anything else could run code when loaded. Nothing in the file was executed. ' +
      'Save just the weights, e.g. torch.save(model.state_dict(), path), and load that file.',
  );
}

/* Opcodes (pickletools names). */
const OP = {
  MARK: 0x28,
  STOP: 0x2e,
  POP: 0x30,
  POP_MARK: 0x31,
  DUP: 0x32,
  FLOAT: 0x46,
  INT: 0x49,
  BININT: 0x4a,
  BININT1: 0x4b,
  LONG: 0x4c,
  BININT2: 0x4d,
  NONE: 0x4e,
  PERSID: 0x50,
  BINPERSID: 0x51,
  REDUCE: 0x52,
  STRING: 0x53,
  BINSTRING: 0x54,
  SHORT_BINSTRING: 0x55,
  UNICODE: 0x56,
  BINUNICODE: 0x58,
  APPEND: 0x61,
  BUILD: 0x62,
  GLOBAL: 0x63,
  DICT: 0x64,
  EMPTY_DICT: 0x7d,
  APPENDS: 0x65,
  GET: 0x67,
  BINGET: 0x68,
  INST: 0x69,
  LONG_BINGET: 0x6a,
  LIST: 0x6c,
  EMPTY_LIST: 0x5d,
  OBJ: 0x6f,
  PUT: 0x70,
  BINPUT: 0x71,
  LONG_BINPUT: 0x72,
  SETITEM: 0x73,
  TUPLE: 0x74,
  EMPTY_TUPLE: 0x29,
  SETITEMS: 0x75,
  BINFLOAT: 0x47,
  PROTO: 0x80,
  NEWOBJ: 0x81,
  EXT1: 0x82,
  EXT2: 0x83,
  EXT4: 0x84,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  LONG4: 0x8b,
  BINBYTES: 0x42,
  SHORT_BINBYTES: 0x43,
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d,
  BINBYTES8: 0x8e,
  EMPTY_SET: 0x8f,
  ADDITEMS: 0x90,
  FROZENSET: 0x91,
  NEWOBJ_EX: 0x92,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
  BYTEARRAY8: 0x96,
  NEXT_BUFFER: 0x97,
  READONLY_BUFFER: 0x98,
} as const;

/** Longest LONG1/LONG4 integer accepted, in bytes; torch writes at most 10 (the legacy magic number). */
export const MAX_PICKLE_INTEGER_BYTES = 64;
/** Longest text line (INT, LONG, FLOAT, GLOBAL names, PUT/GET indices) accepted, in bytes. */
export const MAX_PICKLE_LINE_BYTES = 4096;
/**
 * Values built plus items copied into containers, per pickle. A ResNet-152 state dict needs ~20 000;
 * the cap leaves room for any real checkpoint while a hostile one is stopped in well under a second.
 */
export const MAX_PICKLE_WORK = 5_000_000;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

/**
 * Little-endian two's complement bytes (LONG1/LONG4) to a number when exact, else a bigint. Built
 * from one hex string (linear), never by shifting a growing BigInt per byte (quadratic).
 */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let hex = '';
  for (let i = bytes.length - 1; i >= 0; i--) hex += (bytes[i] as number).toString(16).padStart(2, '0');
  let value = BigInt(`0x${hex}`);
  if ((bytes[bytes.length - 1] as number) & 0x80) value -= 1n << BigInt(bytes.length * 8);
  return integerValue(value);
}

function integerValue(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** Protocol 0 UNICODE is raw-unicode-escape: only \\uXXXX and \\UXXXXXXXX are escapes. */
function decodeRawUnicodeEscape(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})/g, (_, esc: string) => String.fromCodePoint(parseInt(esc.slice(1), 16)));
}

/** Python's repr-style escapes used by protocol 0 STRING. */
function unescapePython(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|.)/g, (_, esc: string) => {
    const kind = esc[0];
    if (kind === 'x' || kind === 'u' || kind === 'U') return String.fromCodePoint(parseInt(esc.slice(1), 16));
    if (/^[0-7]/.test(esc)) return String.fromCharCode(parseInt(esc, 8));
    const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0' };
    return simple[esc] ?? `\\${esc}`;
  });
}

function isInteger(value: PickleValue): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

function isIntegerList(value: PickleValue): value is number[] {
  return Array.isArray(value) && value.every((v) => isInteger(v) && v >= 0);
}

class Unpickler {
  private pos: number;
  private stack: PickleValue[] = [];
  private marks: number[] = [];
  private memo = new Map<number, PickleValue>();
  private readonly source: string;
  private work = 0;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly options: UnpickleOptions,
  ) {
    this.pos = start;
    this.source = options.source ?? 'the pickle';
  }

  private corrupt(what: string): WorkbenchError {
    return new WorkbenchError('CHECKPOINT_CORRUPT', `${this.source} is corrupt: ${what}.`);
  }

  private take(length: number): Uint8Array {
    if (length < 0 || this.pos + length > this.bytes.length) {
      throw this.corrupt(`it ends unexpectedly at byte ${this.bytes.length} (needed ${length} more bytes at ${this.pos}; truncated file?)`);
    }
    const out = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  private u8(): number {
    return this.take(1)[0] as number;
  }

  /** Counts `units` of work (values built, items copied) against MAX_PICKLE_WORK. */
  private charge(units: number): void {
    this.work += units;
    if (this.work > MAX_PICKLE_WORK) {
      throw this.corrupt(`it builds more than ${MAX_PICKLE_WORK} values, far beyond any checkpoint (a hostile or damaged file?)`);
    }
  }

  /** LONG1/LONG4 bytes, refused beyond MAX_PICKLE_INTEGER_BYTES before they are read. */
  private longBytes(length: number): Uint8Array {
    if (length > MAX_PICKLE_INTEGER_BYTES) {
      throw this.corrupt(`an integer of ${length} bytes at byte ${this.pos} is longer than the ${MAX_PICKLE_INTEGER_BYTES} bytes any checkpoint uses`);
    }
    return this.take(length);
  }

  /** Appends without spreading (a spread of 500 000 items overflows the call stack). */
  private appendAll(target: PickleValue[], items: readonly PickleValue[]): void {
    this.charge(items.length);
    for (const item of items) target.push(item);
  }

  private view(length: number): DataView {
    const b = this.take(length);
    return new DataView(b.buffer, b.byteOffset, length);
  }

  private u16(): number {
    return this.view(2).getUint16(0, true);
  }

  private u32(): number {
    return this.view(4).getUint32(0, true);
  }

  private u64(): number {
    const value = this.view(8).getBigUint64(0, true);
    if (value > BigInt(this.bytes.length)) throw this.corrupt(`a length of ${value} bytes exceeds the data`);
    return Number(value);
  }

  private line(): string {
    const limit = Math.min(this.bytes.length, this.pos + MAX_PICKLE_LINE_BYTES + 1);
    const end = this.bytes.subarray(this.pos, limit).indexOf(0x0a);
    if (end < 0) {
      if (limit - this.pos > MAX_PICKLE_LINE_BYTES) throw this.corrupt(`a text line at byte ${this.pos} is longer than ${MAX_PICKLE_LINE_BYTES} bytes`);
      throw this.corrupt('a text line is not terminated (truncated file?)');
    }
    return this.lineTo(this.pos + end);
  }

  private lineTo(end: number): string {
    const text = latin1.decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return text;
  }

  private text(length: number): string {
    try {
      return utf8.decode(this.take(length));
    } catch (error) {
      if (error instanceof WorkbenchError) throw error;
      throw this.corrupt(`a string at byte ${this.pos - length} is not valid UTF-8`);
    }
  }

  private push(value: PickleValue): void {
    this.charge(1);
    this.stack.push(value);
  }

  private pop(): PickleValue {
    if (this.stack.length === 0 || this.stack.length <= (this.marks.at(-1) ?? -1)) throw this.corrupt('the stack is empty where a value was expected');
    return this.stack.pop() as PickleValue;
  }

  private top(): PickleValue {
    if (this.stack.length === 0) throw this.corrupt('the stack is empty where a value was expected');
    return this.stack[this.stack.length - 1] as PickleValue;
  }

  private popMark(): PickleValue[] {
    const mark = this.marks.pop();
    if (mark === undefined) throw this.corrupt('a MARK is missing');
    return this.stack.splice(mark);
  }

  private memoGet(index: number): PickleValue {
    if (!this.memo.has(index)) throw this.corrupt(`memo entry ${index} is used before it is defined`);
    return this.memo.get(index) as PickleValue;
  }

  private topDict(): PickleDict {
    const target = this.top();
    if (!(target instanceof Map)) throw this.corrupt('SETITEM on something that is not a dict');
    return target;
  }

  private topList(): PickleValue[] {
    const target = this.top();
    if (!Array.isArray(target)) throw this.corrupt('APPEND on something that is not a list');
    return target;
  }

  run(): { value: PickleValue; end: number } {
    for (;;) {
      const at = this.pos;
      const op = this.u8();
      switch (op) {
        case OP.PROTO: {
          const version = this.u8();
          if (version > 5) throw this.corrupt(`pickle protocol ${version} is newer than 5`);
          break;
        }
        case OP.FRAME:
          this.take(8); // frame length: a read-ahead hint only
          break;
        case OP.STOP: {
          if (this.stack.length !== 1 || this.marks.length) throw this.corrupt('STOP with an unbalanced stack');
          return { value: this.stack[0] as PickleValue, end: this.pos };
        }
        case OP.MARK:
          this.marks.push(this.stack.length);
          break;
        case OP.POP:
          if (this.stack.length === (this.marks.at(-1) ?? -1)) this.popMark();
          else this.pop();
          break;
        case OP.POP_MARK:
          this.popMark();
          break;
        case OP.DUP:
          this.push(this.top());
          break;
        case OP.NONE:
          this.push(null);
          break;
        case OP.NEWTRUE:
          this.push(true);
          break;
        case OP.NEWFALSE:
          this.push(false);
          break;
        case OP.BININT:
          this.push(this.view(4).getInt32(0, true));
          break;
        case OP.BININT1:
          this.push(this.u8());
          break;
        case OP.BININT2:
          this.push(this.u16());
          break;
        case OP.LONG1:
          this.push(decodeLong(this.longBytes(this.u8())));
          break;
        case OP.LONG4: {
          const length = this.view(4).getInt32(0, true);
          if (length < 0) throw this.corrupt('LONG4 with a negative length');
          this.push(decodeLong(this.longBytes(length)));
          break;
        }
        case OP.INT: {
          const text = this.line();
          if (text === '00') this.push(false);
          else if (text === '01') this.push(true);
          else this.push(this.parseIntText(text));
          break;
        }
        case OP.LONG:
          this.push(this.parseIntText(this.line().replace(/L$/, '')));
          break;
        case OP.FLOAT: {
          const text = this.line().trim();
          const special: Record<string, number> = { inf: Infinity, '-inf': -Infinity, nan: NaN };
          const value = special[text] ?? Number(text);
          if (Number.isNaN(value) && text !== 'nan') throw this.corrupt(`FLOAT '${text}' is not a number`);
          this.push(value);
          break;
        }
        case OP.BINFLOAT:
          this.push(this.view(8).getFloat64(0, false));
          break;
        case OP.SHORT_BINUNICODE:
          this.push(this.text(this.u8()));
          break;
        case OP.BINUNICODE:
          this.push(this.text(this.u32()));
          break;
        case OP.BINUNICODE8:
          this.push(this.text(this.u64()));
          break;
        case OP.UNICODE:
          this.push(decodeRawUnicodeEscape(this.line()));
          break;
        case OP.STRING: {
          const quoted = this.line();
          if (quoted.length < 2 || quoted[0] !== quoted.at(-1) || !`'"`.includes(quoted[0] as string)) throw this.corrupt('STRING is not quoted');
          this.push(unescapePython(quoted.slice(1, -1)));
          break;
        }
        // Python 2 byte strings: torch files written by Python 2 use them for keys; read as text.
        case OP.SHORT_BINSTRING:
          this.push(latin1.decode(this.take(this.u8())));
          break;
        case OP.BINSTRING: {
          const length = this.view(4).getInt32(0, true);
          this.push(latin1.decode(this.take(length)));
          break;
        }
        case OP.SHORT_BINBYTES:
          this.push(new Uint8Array(this.take(this.u8())));
          break;
        case OP.BINBYTES:
          this.push(new Uint8Array(this.take(this.u32())));
          break;
        case OP.BINBYTES8:
        case OP.BYTEARRAY8:
          this.push(new Uint8Array(this.take(this.u64())));
          break;
        case OP.NEXT_BUFFER:
        case OP.READONLY_BUFFER:
          throw this.corrupt('it uses out-of-band buffers (pickle protocol 5), which a checkpoint file cannot carry');
        case OP.EMPTY_TUPLE:
          this.push([]);
          break;
        case OP.TUPLE:
          this.push(this.popMark());
          break;
        case OP.TUPLE1:
          this.push([this.pop()]);
          break;
        case OP.TUPLE2: {
          const b = this.pop();
          this.push([this.pop(), b]);
          break;
        }
        case OP.TUPLE3: {
          const c = this.pop();
          const b = this.pop();
          this.push([this.pop(), b, c]);
          break;
        }
        case OP.EMPTY_LIST:
          this.push([]);
          break;
        case OP.LIST:
          this.push(this.popMark());
          break;
        case OP.APPEND: {
          const item = this.pop();
          this.topList().push(item);
          break;
        }
        case OP.APPENDS: {
          const items = this.popMark();
          this.appendAll(this.topList(), items);
          break;
        }
        case OP.EMPTY_DICT:
          this.push(new Map());
          break;
        case OP.DICT: {
          const items = this.popMark();
          this.push(this.pairsToDict(items));
          break;
        }
        case OP.SETITEM: {
          const value = this.pop();
          const key = this.pop();
          this.topDict().set(key, value);
          break;
        }
        case OP.SETITEMS: {
          const items = this.popMark();
          const dict = this.topDict();
          if (items.length % 2) throw this.corrupt('SETITEMS with an odd number of values');
          this.charge(items.length / 2);
          for (let i = 0; i < items.length; i += 2) dict.set(items[i] as PickleValue, items[i + 1] as PickleValue);
          break;
        }
        case OP.EMPTY_SET:
          this.push([]);
          break;
        case OP.ADDITEMS: {
          const items = this.popMark();
          const target = this.top();
          if (!Array.isArray(target)) throw this.corrupt('ADDITEMS on something that is not a set');
          this.appendAll(target, items);
          break;
        }
        case OP.FROZENSET:
          this.push(this.popMark());
          break;
        case OP.GET:
          this.push(this.memoGet(this.parseMemoIndex(this.line())));
          break;
        case OP.BINGET:
          this.push(this.memoGet(this.u8()));
          break;
        case OP.LONG_BINGET:
          this.push(this.memoGet(this.u32()));
          break;
        case OP.PUT:
          this.memo.set(this.parseMemoIndex(this.line()), this.top());
          break;
        case OP.BINPUT:
          this.memo.set(this.u8(), this.top());
          break;
        case OP.LONG_BINPUT:
          this.memo.set(this.u32(), this.top());
          break;
        case OP.MEMOIZE:
          this.memo.set(this.memo.size, this.top());
          break;
        case OP.GLOBAL: {
          const module = this.line();
          const name = this.line();
          this.push(resolveGlobal(module, name, this.source));
          break;
        }
        case OP.STACK_GLOBAL: {
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') throw this.corrupt('STACK_GLOBAL needs two strings');
          this.push(resolveGlobal(module, name, this.source));
          break;
        }
        case OP.INST: {
          const module = this.line();
          const name = this.line();
          const callable = resolveGlobal(module, name, this.source);
          this.push(this.call(callable, this.popMark()));
          break;
        }
        case OP.OBJ: {
          const items = this.popMark();
          if (items.length === 0) throw this.corrupt('OBJ without a class');
          this.push(this.call(items[0] as PickleValue, items.slice(1)));
          break;
        }
        case OP.REDUCE: {
          const args = this.pop();
          const callable = this.pop();
          if (!Array.isArray(args)) throw this.corrupt('REDUCE arguments are not a tuple');
          this.push(this.call(callable, args));
          break;
        }
        case OP.NEWOBJ: {
          const args = this.pop();
          const cls = this.pop();
          if (!Array.isArray(args)) throw this.corrupt('NEWOBJ arguments are not a tuple');
          this.push(this.call(cls, args));
          break;
        }
        case OP.NEWOBJ_EX: {
          const kwargs = this.pop();
          const args = this.pop();
          const cls = this.pop();
          if (!Array.isArray(args) || !(kwargs instanceof Map) || kwargs.size) throw this.corrupt('NEWOBJ_EX with keyword arguments');
          this.push(this.call(cls, args));
          break;
        }
        case OP.BUILD: {
          // OrderedDict state (a state_dict's `_metadata`) and tensor state carry nothing we use.
          this.pop();
          const target = this.top();
          if (!(target instanceof Map || target instanceof TorchTensorRef)) {
            throw this.corrupt(`BUILD on ${describe(target)}`);
          }
          break;
        }
        case OP.PERSID:
          this.push(this.persistent(this.line()));
          break;
        case OP.BINPERSID:
          this.push(this.persistent(this.pop()));
          break;
        case OP.EXT1:
        case OP.EXT2:
        case OP.EXT4:
          throw unsafe('the copyreg extension registry', this.source);
        default:
          throw this.corrupt(`unknown opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}`);
      }
    }
  }

  private parseIntText(text: string): number | bigint {
    if (!/^[+-]?\d+$/.test(text.trim())) throw this.corrupt(`'${text}' is not an integer`);
    return integerValue(BigInt(text.trim()));
  }

  private parseMemoIndex(text: string): number {
    const index = Number(text);
    if (!Number.isInteger(index) || index < 0) throw this.corrupt(`bad memo index '${text}'`);
    return index;
  }

  private pairsToDict(items: PickleValue[]): PickleDict {
    if (items.length % 2) throw this.corrupt('DICT with an odd number of values');
    this.charge(items.length / 2);
    const dict: PickleDict = new Map();
    for (let i = 0; i < items.length; i += 2) dict.set(items[i] as PickleValue, items[i + 1] as PickleValue);
    return dict;
  }

  private persistent(pid: PickleValue): PickleValue {
    if (!this.options.persistentLoad) throw this.corrupt('it refers to external data (persistent ids) but none can be provided here');
    return this.options.persistentLoad(pid);
  }

  /** "Calls" an allowlisted global by building the matching JavaScript value. */
  private call(callable: PickleValue, args: PickleValue[]): PickleValue {
    if (!(callable instanceof PickleGlobal)) {
      if (callable instanceof TorchStorageType) throw unsafe(`torch.${callable.name}(...)`, this.source);
      throw this.corrupt(`a call to ${describe(callable)}`);
    }
    switch (callable.name) {
      case 'collections.OrderedDict': {
        const dict: PickleDict = new Map();
        const [pairs] = args;
        if (Array.isArray(pairs)) {
          this.charge(pairs.length);
          for (const pair of pairs) {
            if (!Array.isArray(pair) || pair.length !== 2) throw this.corrupt('OrderedDict items are not pairs');
            dict.set(pair[0] as PickleValue, pair[1] as PickleValue);
          }
        }
        return dict;
      }
      case 'builtins.set':
      case 'builtins.frozenset':
      case '__builtin__.set':
      case '__builtin__.frozenset':
        if (!Array.isArray(args[0])) return [];
        this.charge(args[0].length);
        return args[0].slice();
      case 'builtins.bytes':
      case '__builtin__.bytes':
        if (args.length !== 0) throw unsafe(`${callable.name} with arguments`, this.source);
        return new Uint8Array(0);
      case '_codecs.encode': {
        const [text, encoding] = args;
        if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) {
          throw unsafe(`_codecs.encode with encoding ${String(encoding)}`, this.source);
        }
        // A memoised long string encoded again and again would copy it each time: count the bytes.
        this.charge(Math.ceil(text.length / 64));
        return Uint8Array.from(text, (c) => c.charCodeAt(0));
      }
      case 'torch._utils._rebuild_tensor':
      case 'torch._utils._rebuild_tensor_v2':
        return this.rebuildTensor(args);
      case 'torch._utils._rebuild_parameter': {
        const [data] = args;
        if (!(data instanceof TorchTensorRef)) throw this.corrupt('_rebuild_parameter without a tensor');
        return data;
      }
      default:
        throw unsafe(callable.name, this.source);
    }
  }

  private rebuildTensor(args: PickleValue[]): TorchTensorRef {
    const [storage = null, offset = null, size = null, stride = null] = args;
    if (!(storage instanceof TorchStorage)) throw this.corrupt('a tensor without a storage');
    if (!isInteger(offset) || offset < 0) throw this.corrupt('a tensor with a bad storage offset');
    this.charge(Array.isArray(size) ? size.length : 0);
    if (!isIntegerList(size) || !isIntegerList(stride) || size.length !== stride.length) {
      throw this.corrupt('a tensor with a bad size or stride');
    }
    return new TorchTensorRef(storage, offset, size, stride);
  }
}

function describe(value: PickleValue): string {
  if (value === null) return 'None';
  if (Array.isArray(value)) return 'a tuple or list';
  if (value instanceof Map) return 'a dict';
  if (value instanceof Uint8Array) return 'bytes';
  if (typeof value === 'object') return value.constructor.name;
  return `a ${typeof value}`;
}

/** Reads one pickle starting at `start`; returns its value and the offset just past its STOP. */
export function unpickleAt(bytes: Uint8Array, start: number, options: UnpickleOptions = {}): { value: PickleValue; end: number } {
  return new Unpickler(bytes, start, options).run();
}

/** Reads the pickle that fills `bytes`. */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions = {}): PickleValue {
  return unpickleAt(bytes, 0, options).value;
}

/**
 * Writes protocol-2 pickle opcodes; just what a torch state dict needs. Values are emitted without
 * memoisation (repeating a GLOBAL is valid and keeps the writer stateless).
 */
export class PickleWriter {
  private chunks: Uint8Array[] = [];
  private pending: number[] = [];
  private static readonly encoder = new TextEncoder();

  private flush(): void {
    if (this.pending.length) {
      this.chunks.push(Uint8Array.from(this.pending));
      this.pending = [];
    }
  }

  private op(...codes: number[]): this {
    this.pending.push(...codes);
    return this;
  }

  private raw(bytes: Uint8Array): this {
    this.flush();
    this.chunks.push(bytes);
    return this;
  }

  protocol(version = 2): this {
    return this.op(OP.PROTO, version);
  }

  global(module: string, name: string): this {
    this.op(OP.GLOBAL);
    return this.raw(PickleWriter.encoder.encode(`${module}\n${name}\n`));
  }

  mark(): this {
    return this.op(OP.MARK);
  }

  tuple(): this {
    return this.op(OP.TUPLE);
  }

  emptyTuple(): this {
    return this.op(OP.EMPTY_TUPLE);
  }

  reduce(): this {
    return this.op(OP.REDUCE);
  }

  setItems(): this {
    return this.op(OP.SETITEMS);
  }

  persistentId(): this {
    return this.op(OP.BINPERSID);
  }

  bool(value: boolean): this {
    return this.op(value ? OP.NEWTRUE : OP.NEWFALSE);
  }

  none(): this {
    return this.op(OP.NONE);
  }

  int(value: number): this {
    if (!Number.isSafeInteger(value)) throw new RangeError(`cannot pickle ${value} as an integer`);
    if (value >= 0 && value < 0x100) return this.op(OP.BININT1, value);
    if (value >= 0 && value < 0x10000) return this.op(OP.BININT2, value & 0xff, value >> 8);
    if (value >= -0x80000000 && value < 0x80000000) {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, value, true);
      return this.op(OP.BININT, ...b);
    }
    // LONG1: minimal little-endian two's complement.
    let rest = BigInt(value);
    const bytes: number[] = [];
    for (;;) {
      const byte = Number(rest & 0xffn);
      bytes.push(byte);
      rest >>= 8n;
      if ((rest === 0n && !(byte & 0x80)) || (rest === -1n && byte & 0x80)) break;
    }
    return this.op(OP.LONG1, bytes.length, ...bytes);
  }

  /** A tuple of integers, with the short forms Python itself uses. */
  intTuple(values: readonly number[]): this {
    if (values.length === 0) return this.emptyTuple();
    if (values.length > 3) this.mark();
    for (const v of values) this.int(v);
    return values.length > 3 ? this.tuple() : this.op([OP.TUPLE1, OP.TUPLE2, OP.TUPLE3][values.length - 1] as number);
  }

  string(value: string): this {
    const bytes = PickleWriter.encoder.encode(value);
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, bytes.length, true);
    this.op(OP.BINUNICODE, ...length);
    return this.raw(bytes);
  }

  stop(): this {
    return this.op(OP.STOP);
  }

  /** The pickle so far as one buffer. */
  bytes(): Uint8Array {
    this.flush();
    const total = this.chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}
