/**
 * How commands talk to people and to programs. `--json`: one JSON object per line on stdout, events
 * first (each with an `event` field), the final summary object last; nothing else on stdout. Human
 * mode: text on stdout, progress bars on stderr only when it is a TTY.
 */
import cliProgress from 'cli-progress';

export interface ProgressBar {
  update(done: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

export interface CliOutput {
  readonly json: boolean;
  /** A progress or result event; in JSON mode a line `{"event": name, ...data}`. */
  event(name: string, data: Record<string, unknown>): void;
  /** The final summary object (JSON mode) — human mode prints nothing for it. */
  summary(data: Record<string, unknown>): void;
  /** A line for people; dropped in JSON mode. */
  line(text?: string): void;
  /** A warning for people; to stderr in both modes so it never corrupts JSON output. */
  warn(text: string): void;
  /** A progress bar on a TTY in human mode; a no-op otherwise. */
  progress(label: string, total: number, format?: string): ProgressBar;
}

const NO_PROGRESS: ProgressBar = { update() {}, stop() {} };

export interface OutputStreams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export function createOutput(json: boolean, streams: OutputStreams = process): CliOutput {
  const writeJson = (value: unknown): void => {
    streams.stdout.write(`${JSON.stringify(value)}\n`);
  };
  return {
    json,
    event(name, data) {
      if (json) writeJson({ event: name, ...data });
    },
    summary(data) {
      if (json) writeJson(data);
    },
    line(text = '') {
      if (!json) streams.stdout.write(`${text}\n`);
    },
    warn(text) {
      streams.stderr.write(`${text}\n`);
    },
    progress(label, total, format) {
      if (json || !streams.stderr.isTTY) return NO_PROGRESS;
      const bar = new cliProgress.SingleBar(
        {
          format: format ?? `${label} {bar} {percentage}% | {value}/{total} | ETA {eta_formatted}`,
          stream: streams.stderr,
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
      return {
        update: (done, payload) => bar.update(done, payload),
        stop: () => bar.stop(),
      };
    },
  };
}

/** Fixed-width text table for human output. */
export function formatTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const render = (r: string[]): string =>
    r.map((cell, c) => (typeof rows[0]?.[c] === 'number' ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0))).join('  ').trimEnd();
  return [render(cells[0] ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(render)].join('\n');
}
