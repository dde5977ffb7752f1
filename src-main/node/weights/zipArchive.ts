/**
 * Reads the entries of a zip archive held in memory, the container of PyTorch >= 1.6 checkpoints.
 *
 * Stored (uncompressed) entries — all PyTorch writes — are returned as views into the archive's
 * buffer, so a 230 MB checkpoint is never copied; deflated entries (archives re-zipped by other
 * tools) are inflated with fflate. The central directory is the source of truth: PyTorch writes
 * local headers with zero sizes and a trailing data descriptor. ZIP64 is understood.
 *
 * Archives may be hostile: the directory's entry count is capped, deflated data is inflated in small
 * steps that stop as soon as the bytes asked for are there (or the entry exceeds its declared size),
 * and the bytes inflated from one archive are capped in total, so a 1.5 MB zip bomb costs what its
 * caller actually needs and never its declared gigabytes.
 */
import { Inflate } from 'fflate';
import { WorkbenchError } from '../../common/errors';

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflated. */
  compression: number;
  compressedSize: number;
  size: number;
  /** Offset of the entry's data in the archive. */
  dataOffset: number;
  crc32: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const MAX_COMMENT = 0xffff;
/** More entries than any checkpoint has (a ResNet-152 has ~1 000). */
export const MAX_ZIP_ENTRIES = 100_000;
/** Bytes inflated from one archive, in total: above a ResNet-152 in float64 with a large head. */
export const MAX_INFLATED_BYTES = 1024 * 1024 * 1024;
/**
 * Trained weights barely compress (~1.1:1); only a zip bomb inflates to many times its size. An
 * archive may inflate to this many times its own size (and to 64 MiB whatever its size), so a 1.5 MB
 * file cannot stand for a gigabyte even when its tensors have a real ResNet's names and shapes.
 */
export const MAX_INFLATION_RATIO = 64;
const MIN_INFLATION_ALLOWANCE = 64 * 1024 * 1024;
/** Compressed bytes fed to the inflater per step: bounds one step's output to ~1 000 times this. */
const INFLATE_STEP = 4096;

const utf8 = new TextDecoder('utf-8');

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

export class ZipArchive {
  private readonly view: DataView;
  private inflated = 0;
  private readonly inflationCap: number;
  readonly entries: ReadonlyMap<string, ZipEntry>;

  /** `label` names the file in error messages. */
  constructor(
    private readonly bytes: Uint8Array,
    private readonly label: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.inflationCap = Math.min(MAX_INFLATED_BYTES, Math.max(MIN_INFLATION_ALLOWANCE, MAX_INFLATION_RATIO * bytes.length));
    this.entries = this.readCentralDirectory();
  }

  private corrupt(what: string): WorkbenchError {
    return new WorkbenchError('CHECKPOINT_CORRUPT', `${this.label} is not a valid zip archive: ${what}.`);
  }

  private u16(at: number): number {
    return this.view.getUint16(at, true);
  }

  private u32(at: number): number {
    return this.view.getUint32(at, true);
  }

  private u64(at: number): number {
    const value = this.view.getBigUint64(at, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw this.corrupt('a ZIP64 size is out of range');
    return Number(value);
  }

  private findEndOfCentralDirectory(): number {
    const last = this.bytes.length - 22;
    const first = Math.max(0, last - MAX_COMMENT);
    for (let at = last; at >= first; at--) {
      if (this.u32(at) === EOCD_SIGNATURE) return at;
    }
    throw this.corrupt('its end-of-archive record is missing (the file is truncated or not a zip)');
  }

  private readCentralDirectory(): Map<string, ZipEntry> {
    if (this.bytes.length < 22) throw this.corrupt(`it is only ${this.bytes.length} bytes long (truncated)`);
    const eocd = this.findEndOfCentralDirectory();
    let count = this.u16(eocd + 10);
    let directorySize = this.u32(eocd + 12);
    let directoryOffset = this.u32(eocd + 16);
    const locator = eocd - 20;
    if (locator >= 0 && this.u32(locator) === ZIP64_LOCATOR_SIGNATURE) {
      const zip64 = this.u64(locator + 8);
      if (zip64 + 56 > this.bytes.length || this.u32(zip64) !== ZIP64_EOCD_SIGNATURE) throw this.corrupt('its ZIP64 end record is missing');
      count = this.u64(zip64 + 32);
      directorySize = this.u64(zip64 + 40);
      directoryOffset = this.u64(zip64 + 48);
    }
    if (directoryOffset + directorySize > this.bytes.length) {
      throw this.corrupt(`its directory (bytes ${directoryOffset}..${directoryOffset + directorySize}) lies beyond the end of the file (${this.bytes.length} bytes; truncated?)`);
    }
    if (count > MAX_ZIP_ENTRIES) throw this.corrupt(`its directory lists ${count} entries, more than the ${MAX_ZIP_ENTRIES} any checkpoint has`);
    const entries = new Map<string, ZipEntry>();
    let at = directoryOffset;
    for (let i = 0; i < count; i++) {
      if (at + 46 > this.bytes.length || this.u32(at) !== CENTRAL_SIGNATURE) throw this.corrupt(`directory entry ${i} is damaged`);
      const compression = this.u16(at + 10);
      const crc32 = this.u32(at + 16);
      let compressedSize = this.u32(at + 20);
      let size = this.u32(at + 24);
      const nameLength = this.u16(at + 28);
      const extraLength = this.u16(at + 30);
      const commentLength = this.u16(at + 32);
      let localOffset = this.u32(at + 42);
      const nameStart = at + 46;
      if (nameStart + nameLength + extraLength + commentLength > this.bytes.length) throw this.corrupt(`directory entry ${i} is cut off`);
      const name = utf8.decode(this.bytes.subarray(nameStart, nameStart + nameLength));
      // ZIP64 extra field: present values replace the 0xFFFFFFFF placeholders, in this order.
      for (let extra = nameStart + nameLength; extra + 4 <= nameStart + nameLength + extraLength; ) {
        const id = this.u16(extra);
        const length = this.u16(extra + 2);
        if (id === 0x0001) {
          let field = extra + 4;
          if (size === 0xffffffff) {
            size = this.u64(field);
            field += 8;
          }
          if (compressedSize === 0xffffffff) {
            compressedSize = this.u64(field);
            field += 8;
          }
          if (localOffset === 0xffffffff) localOffset = this.u64(field);
        }
        extra += 4 + length;
      }
      entries.set(name, { name, compression, compressedSize, size, crc32, dataOffset: this.localDataOffset(localOffset, name) });
      at = nameStart + nameLength + extraLength + commentLength;
    }
    for (const entry of entries.values()) {
      if (entry.dataOffset + entry.compressedSize > this.bytes.length) {
        throw this.corrupt(`the data of '${entry.name}' ends at byte ${entry.dataOffset + entry.compressedSize}, beyond the end of the file (${this.bytes.length} bytes; truncated?)`);
      }
    }
    return entries;
  }

  private localDataOffset(localOffset: number, name: string): number {
    if (localOffset + 30 > this.bytes.length || this.u32(localOffset) !== LOCAL_SIGNATURE) {
      throw this.corrupt(`the header of '${name}' is missing at byte ${localOffset}`);
    }
    return localOffset + 30 + this.u16(localOffset + 26) + this.u16(localOffset + 28);
  }

  /**
   * The entry's uncompressed bytes: a view into the archive when stored, a new buffer when deflated.
   * `maxBytes` refuses an entry whose declared size is larger before anything is inflated.
   */
  read(entry: ZipEntry, maxBytes = MAX_INFLATED_BYTES): Uint8Array {
    if (entry.size > maxBytes) throw this.corrupt(`'${entry.name}' declares ${entry.size} bytes, more than the ${maxBytes} it may hold`);
    return this.readPrefix(entry, entry.size);
  }

  /**
   * At least the first `byteLength` bytes of the entry (all of it when stored). Throws when the entry
   * is shorter, or inflating it would exceed the archive's MAX_INFLATED_BYTES.
   */
  readPrefix(entry: ZipEntry, byteLength: number): Uint8Array {
    const raw = this.bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
    if (byteLength > entry.size) throw this.corrupt(`'${entry.name}' holds ${entry.size} bytes, but ${byteLength} are needed`);
    if (entry.compression === 0) {
      if (entry.compressedSize !== entry.size) throw this.corrupt(`'${entry.name}' is stored with inconsistent sizes`);
      return raw;
    }
    if (entry.compression === 8) return this.inflatePrefix(entry, raw, byteLength);
    throw this.corrupt(`'${entry.name}' uses compression method ${entry.compression}; only stored and deflated entries are supported`);
  }

  private inflatePrefix(entry: ZipEntry, raw: Uint8Array, byteLength: number): Uint8Array {
    if (this.inflated + byteLength > this.inflationCap) {
      throw this.corrupt(
        `its compressed entries would inflate to more than ${this.inflationCap} bytes (${MAX_INFLATION_RATIO} times the file, or ${MAX_INFLATED_BYTES} at most): a zip bomb, not weights`,
      );
    }
    const whole = byteLength === entry.size;
    const out = new Uint8Array(byteLength);
    let produced = 0;
    let ended = false;
    const inflater = new Inflate((chunk, final) => {
      const room = byteLength - Math.min(produced, byteLength);
      out.set(chunk.subarray(0, Math.min(room, chunk.length)), Math.min(produced, byteLength));
      produced += chunk.length;
      ended ||= final;
    });
    try {
      for (let at = 0; at < raw.length && !ended; at += INFLATE_STEP) {
        inflater.push(raw.subarray(at, at + INFLATE_STEP), at + INFLATE_STEP >= raw.length);
        if (produced > entry.size) throw new Error(`it inflates to more than its declared ${entry.size} bytes`);
        if (!whole && produced >= byteLength) break;
      }
    } catch (error) {
      throw this.corrupt(`'${entry.name}' cannot be decompressed (${error instanceof Error ? error.message : String(error)})`);
    }
    if (produced < byteLength || (whole && produced !== entry.size)) {
      throw this.corrupt(`'${entry.name}' cannot be decompressed (inflated to ${produced} bytes, expected ${entry.size})`);
    }
    this.inflated += byteLength;
    return out;
  }

  /** Checks an entry's CRC-32 against the directory (use for small entries; costs a pass over the data). */
  verify(entry: ZipEntry, data: Uint8Array): void {
    if (crc32(data) !== entry.crc32) throw this.corrupt(`'${entry.name}' fails its checksum (the file is damaged)`);
  }
}

let crcTable: Uint32Array | undefined;

export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = (crcTable[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
