/**
 * Browser mode's export downloads over real sockets: files registered as an export's reply does,
 * served at /download/<id> behind the server's Host and token checks, and nothing else.
 */
import { request } from 'node:http';
import { mkdir, mkdtemp, realpath, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentDisposition, ExportDownloads } from '../../../src-main/node/server/exportDownloads';
import { tokenCookieName } from '../../../src-main/node/server/serverSecurity';
import { startWorkbenchServer, type WorkbenchServer } from '../../../src-main/node/server/workbenchServer';

let root: string;
let server: WorkbenchServer;
let cookie: string;
let clock = 1_000_000;
const downloads = new ExportDownloads({ ttlMs: 60_000, now: () => clock });

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(target: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: target, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const signedIn = (target: string, method = 'GET') => get(target, { Cookie: cookie }, method);

/** An ONNX-like file, its card and a tfjs folder, as an export leaves them. */
const onnxBytes = Buffer.concat([Buffer.from([0x08, 0x07, 0x12]), Buffer.alloc(300_000, 7)]);
const shard = Buffer.alloc(2 * 1024 * 1024 + 17, 3);

beforeAll(async () => {
  root = await realpath(await mkdtemp(path.join(tmpdir(), 'rw-downloads-')));
  const renderer = path.join(root, 'renderer');
  await mkdir(renderer);
  await writeFile(path.join(renderer, 'index.html'), '<!doctype html><title>ResNet Workbench</title>');
  await writeFile(path.join(root, 'secret.txt'), 'do not serve');
  await mkdir(path.join(root, 'exports', 'résumé-tfjs'), { recursive: true });
  await writeFile(path.join(root, 'exports', 'resnet18-fashion-2026-12-02.onnx'), onnxBytes);
  await writeFile(path.join(root, 'exports', 'resnet18-fashion-2026-12-02.onnx.md'), '# ResNet-18 classifier\n');
  await writeFile(path.join(root, 'exports', 'résumé-tfjs', 'model.json'), '{"format":"layers-model"}');
  await writeFile(path.join(root, 'exports', 'résumé-tfjs', 'group1-shard1of1.bin'), shard);
  await writeFile(path.join(root, 'exports', 'résumé-tfjs', 'README.md'), '# card\n');
  server = await startWorkbenchServer({
    service: { dispatch: async () => ({ ok: true, value: null }), onEvent: () => () => undefined },
    rendererFolder: renderer,
    port: 0,
    downloads,
  });
  cookie = `${tokenCookieName(server.token)}=${server.token}`;
});

afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

describe('export downloads', () => {
  it('serves a single-file export and its card as attachments, with the exact bytes', async () => {
    const [model, card] = await downloads.register({
      format: 'onnx',
      path: path.join(root, 'exports', 'resnet18-fashion-2026-12-02.onnx'),
      card: path.join(root, 'exports', 'resnet18-fashion-2026-12-02.onnx.md'),
    });
    expect(model).toMatchObject({ kind: 'model', fileName: 'resnet18-fashion-2026-12-02.onnx', url: expect.stringMatching(/^\/download\/[A-Za-z0-9_-]{32}$/) });
    expect(card).toMatchObject({ kind: 'card', fileName: 'resnet18-fashion-2026-12-02.onnx.md' });
    expect(model!.url).not.toBe(card!.url);

    const answer = await signedIn(model!.url);
    expect(answer.status).toBe(200);
    expect(answer.body.equals(onnxBytes)).toBe(true);
    expect(answer.headers['content-type']).toBe('application/octet-stream');
    expect(answer.headers['content-length']).toBe(String(onnxBytes.length));
    expect(answer.headers['content-disposition']).toBe(`attachment; filename="resnet18-fashion-2026-12-02.onnx"; filename*=UTF-8''resnet18-fashion-2026-12-02.onnx`);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');

    const cardAnswer = await signedIn(card!.url);
    expect(cardAnswer.body.toString()).toBe('# ResNet-18 classifier\n');
    expect(cardAnswer.headers['content-type']).toBe('text/markdown; charset=utf-8');
    const head = await signedIn(model!.url, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    // Usable again within its time (a retried download).
    expect((await signedIn(model!.url)).status).toBe(200);
  });

  it('zips a tfjs folder under its own name, readable by fflate', async () => {
    const [zipped, ...rest] = await downloads.register({ format: 'tfjs', path: path.join(root, 'exports', 'résumé-tfjs'), card: path.join(root, 'exports', 'résumé-tfjs', 'README.md') });
    expect(rest).toEqual([]);
    expect(zipped).toMatchObject({ kind: 'model', fileName: 'résumé-tfjs.zip' });
    const answer = await signedIn(zipped!.url);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/zip');
    expect(answer.headers['content-disposition']).toBe(`attachment; filename="r_sum_-tfjs.zip"; filename*=UTF-8''r%C3%A9sum%C3%A9-tfjs.zip`);
    const files = unzipSync(new Uint8Array(answer.body));
    expect(Object.keys(files).sort()).toEqual(['résumé-tfjs/README.md', 'résumé-tfjs/group1-shard1of1.bin', 'résumé-tfjs/model.json']);
    expect(Buffer.from(files['résumé-tfjs/model.json']!).toString()).toBe('{"format":"layers-model"}');
    expect(Buffer.from(files['résumé-tfjs/group1-shard1of1.bin']!).equals(shard)).toBe(true);
  });

  it('needs the token and this server’s Host, like every other request', async () => {
    const [model] = await downloads.register({ format: 'onnx', path: path.join(root, 'exports', 'resnet18-fashion-2026-12-02.onnx'), card: path.join(root, 'exports', 'resnet18-fashion-2026-12-02.onnx.md') });
    expect((await get(model!.url)).status).toBe(401);
    expect((await get(model!.url, { Cookie: `${tokenCookieName(server.token)}=wrong` })).status).toBe(401);
    const foreign = await get(model!.url, { Cookie: cookie, Host: 'evil.example' });
    expect(foreign.status).toBe(421);
    expect(foreign.body.length).toBeLessThan(100);
  });

  it('answers 404 to unknown ids and anything that tries to name a path', async () => {
    for (const target of [
      `/download/${'A'.repeat(32)}`,
      '/download/',
      '/download/short',
      '/download/../secret.txt',
      '/download/%2e%2e%2fsecret.txt',
      `/download/${'A'.repeat(32)}/../../secret.txt`,
      `/download/..%2F..%2Fsecret.txt`,
      `/download/${encodeURIComponent(path.join(root, 'secret.txt'))}`,
    ]) {
      const answer = await signedIn(target);
      expect(answer.status, target).toBe(404);
      expect(answer.body.toString(), target).not.toContain('do not serve');
    }
    const [model] = await downloads.register({ format: 'onnx', path: path.join(root, 'exports', 'resnet18-fashion-2026-12-02.onnx'), card: path.join(root, 'exports', 'resnet18-fashion-2026-12-02.onnx.md') });
    expect((await signedIn(`${model!.url}/x`)).status).toBe(404);
    expect((await signedIn(`${model!.url}x`)).status).toBe(404);
    expect((await signedIn(model!.url, 'POST')).status).toBe(405);
  });

  it('expires: 410 after its time, with what to do', async () => {
    const [model] = await downloads.register({ format: 'onnx', path: path.join(root, 'exports', 'resnet18-fashion-2026-12-02.onnx'), card: path.join(root, 'exports', 'resnet18-fashion-2026-12-02.onnx.md') });
    clock += 59_000;
    expect((await signedIn(model!.url)).status).toBe(200);
    clock += 2_000;
    const expired = await signedIn(model!.url);
    expect(expired.status).toBe(410);
    expect(expired.body.toString()).toMatch(/expired\. Export the model again/);
    expect((await signedIn(model!.url)).status).toBe(404);
  });

  it('does not serve a file changed or replaced since the export wrote it', async () => {
    const file = path.join(root, 'exports', 'changing.onnx');
    await writeFile(file, 'first');
    await writeFile(`${file}.md`, 'card');
    const [model] = await downloads.register({ format: 'onnx', path: file, card: `${file}.md` });
    await writeFile(file, 'other bytes');
    expect((await signedIn(model!.url)).status).toBe(410);
    await rm(file);
    await writeFile(file, 'first');
    await utimes(file, new Date(), new Date());
    expect((await signedIn(model!.url)).status).toBe(410);
  });

  it('names the file safely whatever it holds', () => {
    expect(contentDisposition('a"b\\c\r\n.onnx')).toBe(`attachment; filename="a_b_c__.onnx"; filename*=UTF-8''a%22b%5Cc%0D%0A.onnx`);
  });
});
