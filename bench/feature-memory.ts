/**
 * Features at scale: peak memory of a default linear run (2 views, validation split) as the number of
 * images grows. A synthetic image folder (32 × 32 PNGs, one colour and grain per class) is generated
 * in a temp folder, and `resnet-workbench train` runs on it in a child process under /usr/bin/time,
 * which reports the child's peak RSS; the run folder's features are measured beside it.
 *
 *   npx tsx bench/feature-memory.ts [--images 20000,2000] [--classes 10] [--depth 18] [--size 32]
 *                                   [--epochs 2] [--before path/to/bin.mjs] [--keep] [--write]
 *
 * --before also runs another checkout's CLI on the same folders (e.g. a worktree of an older commit),
 * so a change is measured against what came before it in one run. Linux (GNU time) only.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import sharp from 'sharp';
import { replaceBenchmarkSection } from './benchmarksDoc';

const run = promisify(execFile);
const DEFAULT_CLI = fileURLToPath(new URL('../src-main/node/cli/bin.mjs', import.meta.url));

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '2000,20000' },
    classes: { type: 'string', default: '10' },
    depth: { type: 'string', default: '18' },
    size: { type: 'string', default: '32' },
    epochs: { type: 'string', default: '2' },
    before: { type: 'string' },
    keep: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
  },
});

interface Measured {
  cli: string;
  images: number;
  peakRssMb: number;
  seconds: number;
  featureMb: number;
  load: number;
}

/** A 32 × 32 PNG: the class's colour plus per-image grain, so classes are learnable and files differ. */
async function writeImage(file: string, cls: number, seed: number): Promise<void> {
  const pixels = Buffer.alloc(32 * 32 * 3);
  let state = (seed + 1) * 2654435761;
  for (let i = 0; i < pixels.length; i++) {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x9e3779b9) | 0;
    const base = ((cls * 67 + (i % 3) * 101) % 200) + 20;
    pixels[i] = Math.min(255, base + ((state >>> 0) % 40));
  }
  await sharp(pixels, { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(file);
}

async function makeFolder(root: string, images: number, classes: number): Promise<void> {
  for (let c = 0; c < classes; c++) await mkdir(join(root, `class-${String(c).padStart(2, '0')}`), { recursive: true });
  const jobs: Promise<void>[] = [];
  for (let i = 0; i < images; i++) {
    const c = i % classes;
    jobs.push(writeImage(join(root, `class-${String(c).padStart(2, '0')}`, `${i}.png`), c, i));
    if (jobs.length >= 64) await Promise.all(jobs.splice(0));
  }
  await Promise.all(jobs);
}

async function folderBytes(folder: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

async function measure(cli: string, trainDir: string, out: string, images: number): Promise<Measured> {
  const load = loadavg()[0] ?? 0;
  const args = ['-f', 'RSS_KB=%M SECONDS=%e', process.execPath, cli, 'train', '--train', trainDir, '--weights', 'none', '--depth', values.depth, '--image-size', values.size, '--epochs', values.epochs, '--json', '--out', out];
  const { stderr } = await run('/usr/bin/time', args, { maxBuffer: 1 << 30 });
  const rss = /RSS_KB=(\d+)/.exec(stderr);
  const seconds = /SECONDS=([\d.]+)/.exec(stderr);
  if (!rss || !seconds) throw new Error(`no measurement from /usr/bin/time:\n${stderr.slice(-2000)}`);
  const featureFolder = join(out, 'features');
  const featureBytes = await folderBytes(featureFolder).catch(async () => (await stat(join(out, 'features.safetensors'))).size);
  return { cli, images, peakRssMb: Number(rss[1]) / 1024, seconds: Number(seconds[1]), featureMb: featureBytes / 2 ** 20, load };
}

const counts = values.images.split(',').map(Number);
const root = await mkdtemp(join(tmpdir(), 'feature-memory-'));
const rows: Measured[] = [];
try {
  for (const images of counts) {
    const trainDir = join(root, `images-${images}`);
    process.stdout.write(`generating ${images} images… `);
    await makeFolder(trainDir, images, Number(values.classes));
    for (const cli of values.before ? [values.before, DEFAULT_CLI] : [DEFAULT_CLI]) {
      process.stdout.write(`\n  ${cli === DEFAULT_CLI ? 'this checkout' : cli}: training… `);
      const measured = await measure(cli, trainDir, join(root, `run-${images}-${rows.length}`), images);
      rows.push(measured);
      process.stdout.write(`${measured.peakRssMb.toFixed(0)} MB peak RSS, ${measured.seconds.toFixed(1)} s, features ${measured.featureMb.toFixed(1)} MB on disk (load ${measured.load.toFixed(2)})`);
    }
    console.log();
  }
} finally {
  if (!values.keep) await rm(root, { recursive: true, force: true });
  else console.log(`kept ${root}`);
}

const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores`;
const table = [
  '| code | images | peak RSS | features on disk | wall time | load at start |',
  '|---|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.cli === DEFAULT_CLI ? 'this checkout' : 'before (--before)'} | ${r.images.toLocaleString('en-US')} | ${r.peakRssMb.toFixed(0)} MB | ${r.featureMb.toFixed(1)} MB | ${r.seconds.toFixed(1)} s | ${r.load.toFixed(2)} |`,
  ),
].join('\n');
/** Peak RSS growth per 1,000 images between the smallest and the largest folder, per code. */
const growth = [...new Set(rows.map((r) => r.cli))].flatMap((cli) => {
  const mine = rows.filter((r) => r.cli === cli).sort((a, b) => a.images - b.images);
  const [first, last] = [mine[0], mine.at(-1)];
  if (!first || !last || first === last) return [];
  const perThousand = ((last.peakRssMb - first.peakRssMb) / (last.images - first.images)) * 1000;
  return [`${cli === DEFAULT_CLI ? 'this checkout' : 'before'}: ${perThousand.toFixed(1)} MB more peak RSS per 1,000 images`];
});
const features = rows.at(-1);
const summary =
  `${growth.join('; ')}. ` +
  (features ? `The features of ${features.images.toLocaleString('en-US')} images (2 views + validation) are ${features.featureMb.toFixed(0)} MB on disk; at ResNet-50's 2,048 channels they would be 4× that, and 100,000 images 5× more.` : '');
console.log(`\n${table}\n\n${summary}`);
if (values.write) {
  await replaceBenchmarkSection(
    '## Features at scale: memory',
    `## Features at scale: memory\n\n${new Date().toISOString().slice(0, 10)}, ${machine}. ` +
      `\`npx tsx bench/feature-memory.ts --images ${values.images} --depth ${values.depth} --size ${values.size} --epochs ${values.epochs}${values.before ? ' --before <older checkout>/src-main/node/cli/bin.mjs' : ''}\`: ` +
      `a default linear run (2 views, 20% validation) on synthetic ${values.size} px PNGs in ${values.classes} classes, random weights, ` +
      `peak RSS of the whole CLI process (GNU time).\n\n${table}\n\n${summary}\n`,
  );
}
