/**
 * Scan benchmark: generates an image folder of many small files in a temp folder (default 100,000
 * files in 100 classes, nested two levels, with 1% damaged files and a few non-images), scans it in
 * a child process, and reports wall time and the child's peak RSS. The tree is removed afterwards.
 *
 *   npx tsx bench/scan.ts [--files 100000] [--classes 100] [--concurrency N] [--header-only] [--keep]
 *
 * The child is a separate process so its peak RSS is the scan's alone, not the generator's.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

interface ChildResult {
  ms: number;
  maxRssMb: number;
  classes: number;
  images: number;
  issues: number;
  issueReasons: Record<string, number>;
}

async function runChild(root: string, concurrency: number | undefined, headerOnly: boolean): Promise<void> {
  const { scanImageFolder } = await import('../src-main/node/dataset/scanImageFolder');
  const started = performance.now();
  const scan = await scanImageFolder(root, { verifyPixels: !headerOnly, ...(concurrency ? { concurrency } : {}) });
  const ms = performance.now() - started;
  const issueReasons: Record<string, number> = {};
  for (const issue of scan.issues) issueReasons[issue.reason] = (issueReasons[issue.reason] ?? 0) + 1;
  const result: ChildResult = {
    ms,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    classes: scan.classes.length,
    images: scan.images.length,
    issues: scan.issues.length,
    issueReasons,
  };
  process.stdout.write(JSON.stringify(result));
}

/** A few distinct tiny images, so the tree is not one file copied 100,000 times. */
async function smallImages(): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let v = 0; v < 8; v++) {
    const pixels = Buffer.alloc(16 * 16 * 3);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * (v + 3) * 37) % 256;
    const raw = { raw: { width: 16, height: 16, channels: 3 as const } };
    out.push(v % 2 === 0 ? await sharp(pixels, raw).jpeg({ quality: 80 }).toBuffer() : await sharp(pixels, raw).png().toBuffer());
  }
  return out;
}

async function generate(root: string, files: number, classes: number): Promise<{ damaged: number; text: number }> {
  const images = await smallImages();
  let damaged = 0;
  let text = 0;
  const perClass = Math.ceil(files / classes);
  let written = 0;
  for (let c = 0; c < classes && written < files; c++) {
    const classDir = join(root, `class_${String(c).padStart(3, '0')}`);
    // Ten subfolders per class: ImageFolder reads images anywhere below the class folder.
    for (let s = 0; s < 10; s++) await mkdir(join(classDir, `part${s}`), { recursive: true });
    const pending: Promise<void>[] = [];
    for (let i = 0; i < perClass && written < files; i++, written++) {
      const dir = join(classDir, `part${i % 10}`);
      let bytes: Buffer | string = images[written % images.length] as Buffer;
      let name = `img_${i}.${written % 2 === 0 ? 'jpg' : 'png'}`;
      if (written % 100 === 37) {
        bytes = bytes.subarray(0, bytes.length >> 1);
        damaged++;
      } else if (written % 1000 === 500) {
        bytes = 'not an image';
        name = `notes_${i}.txt`;
        text++;
      }
      pending.push(writeFile(join(dir, name), bytes));
      if (pending.length >= 256) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
  }
  return { damaged, text };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      files: { type: 'string', default: '100000' },
      classes: { type: 'string', default: '100' },
      concurrency: { type: 'string' },
      'header-only': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      child: { type: 'string' },
    },
  });
  const concurrency = values.concurrency ? Number(values.concurrency) : undefined;
  if (values.child) return runChild(values.child, concurrency, values['header-only'] === true);

  const files = Number(values.files);
  const classes = Number(values.classes);
  const root = await mkdtemp(join(tmpdir(), 'rw-bench-scan-'));
  try {
    const genStart = performance.now();
    const { damaged, text } = await generate(root, files, classes);
    console.log(`generated ${files} files in ${classes} classes (${damaged} truncated, ${text} text) in ${((performance.now() - genStart) / 1000).toFixed(1)} s at ${root}`);
    const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', root];
    if (concurrency) args.push('--concurrency', String(concurrency));
    if (values['header-only']) args.push('--header-only');
    const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 20 });
    const result = JSON.parse(stdout) as ChildResult;
    console.log(`cpu: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`);
    console.log(`mode: ${values['header-only'] ? 'header only' : 'full pixel check'}, concurrency ${concurrency ?? 'default'}`);
    console.log(`scan: ${(result.ms / 1000).toFixed(1)} s (${Math.round((files / result.ms) * 1000)} files/s), peak RSS ${result.maxRssMb.toFixed(0)} MB`);
    console.log(`found ${result.classes} classes, ${result.images} usable images, ${result.issues} issues ${JSON.stringify(result.issueReasons)}`);
    // Header-only mode cannot see truncated pixel data, by design.
    const expected = files - text - (values['header-only'] ? 0 : damaged);
    if (result.images !== expected) throw new Error(`expected ${expected} usable images, the scan found ${result.images}`);
  } finally {
    if (!values.keep) await rm(root, { recursive: true, force: true });
  }
}

await main();
