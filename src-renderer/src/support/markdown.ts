/**
 * A small Markdown reader for model cards: headings, paragraphs, bullet and numbered lists, fenced
 * code blocks and pipe tables, with inline code, bold and italics. It produces data, never HTML:
 * the component draws it with text interpolation, so nothing in the text can become an element.
 * Anything it does not know is shown as plain text.
 */

export type Inline = { kind: 'text' | 'code' | 'strong' | 'em'; text: string };

export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3 | 4 | 5 | 6; inlines: Inline[] }
  | { kind: 'paragraph'; inlines: Inline[] }
  | { kind: 'list'; ordered: boolean; /** First number of an ordered list. */ start: number; items: Inline[][] }
  | { kind: 'code'; language: string; text: string }
  | { kind: 'table'; header: Inline[][]; rows: Inline[][][] };

const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const FENCE = /^\s*(`{3,}|~{3,})\s*([\w+-]*)\s*$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*(\d{1,9})[.)]\s+(.*)$/;
const TABLE_DIVIDER = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;

/** Inline spans: `code` first (nothing inside it is markup), then **bold** / __bold__ and *em* / _em_. */
export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  const push = (kind: Inline['kind'], value: string) => {
    if (value.length === 0) return;
    const last = out[out.length - 1];
    if (kind === 'text' && last?.kind === 'text') last.text += value;
    else out.push({ kind, text: value });
  };
  const pattern = /(`+)([\s\S]*?[^`])\1(?!`)|\*\*(?=\S)([\s\S]*?\S)\*\*|__(?=\S)([\s\S]*?\S)__|\*(?=[^\s*])([\s\S]*?[^\s*])\*|\b_(?=[^\s_])([\s\S]*?[^\s_])_\b/g;
  let index = 0;
  for (const match of text.matchAll(pattern)) {
    push('text', text.slice(index, match.index));
    const [, , code, bold1, bold2, em1, em2] = match;
    if (code !== undefined) push('code', code.replace(/^ (.*) $/, '$1'));
    else if (bold1 !== undefined || bold2 !== undefined) push('strong', bold1 ?? bold2 ?? '');
    else push('em', em1 ?? em2 ?? '');
    index = match.index + match[0].length;
  }
  push('text', text.slice(index));
  return out;
}

function tableCells(line: string): string[] {
  let row = line.trim();
  if (row.startsWith('|')) row = row.slice(1);
  if (row.endsWith('|') && !row.endsWith('\\|')) row = row.slice(0, -1);
  // A `\|` is a pipe inside a cell.
  return row.split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, '|'));
}

function isBlockStart(line: string, next: string | undefined): boolean {
  return HEADING.test(line) || FENCE.test(line) || BULLET.test(line) || NUMBERED.test(line) || (line.includes('|') && next !== undefined && TABLE_DIVIDER.test(next));
}

export function parseMarkdown(markdown: string): Block[] {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    const next = lines[i + 1];
    if (line.trim() === '') {
      i += 1;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1] ?? '```';
      const body: string[] = [];
      i += 1;
      // An unclosed fence runs to the end, as in CommonMark.
      while (i < lines.length && !(lines[i] ?? '').trim().startsWith(marker)) body.push(lines[i++] ?? '');
      i += 1;
      blocks.push({ kind: 'code', language: fence[2] ?? '', text: body.join('\n') });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      blocks.push({ kind: 'heading', level: (heading[1] ?? '#').length as 1 | 2 | 3 | 4 | 5 | 6, inlines: parseInline(heading[2] ?? '') });
      i += 1;
      continue;
    }
    if (line.includes('|') && next !== undefined && TABLE_DIVIDER.test(next)) {
      const header = tableCells(line).map(parseInline);
      const rows: Inline[][][] = [];
      i += 2;
      while (i < lines.length && (lines[i] ?? '').includes('|') && (lines[i] ?? '').trim() !== '') {
        const cells = tableCells(lines[i] ?? '');
        // Rows are fitted to the header's width, as renderers do.
        rows.push(header.map((_, c) => parseInline(cells[c] ?? '')));
        i += 1;
      }
      blocks.push({ kind: 'table', header, rows });
      continue;
    }
    const bullet = BULLET.exec(line);
    const numbered = NUMBERED.exec(line);
    if (bullet || numbered) {
      const ordered = numbered !== null && bullet === null;
      const itemPattern = ordered ? NUMBERED : BULLET;
      const items: string[] = [];
      while (i < lines.length) {
        const current = lines[i] ?? '';
        const item = itemPattern.exec(current);
        if (item) {
          items.push(item[ordered ? 2 : 1] ?? '');
        } else if (current.trim() !== '' && /^\s+/.test(current) && items.length > 0) {
          // An indented line continues the item above.
          items[items.length - 1] += ` ${current.trim()}`;
        } else {
          break;
        }
        i += 1;
      }
      blocks.push({ kind: 'list', ordered, start: ordered ? Number(numbered?.[1] ?? 1) : 1, items: items.map(parseInline) });
      continue;
    }
    const paragraph: string[] = [line.trim()];
    i += 1;
    while (i < lines.length && (lines[i] ?? '').trim() !== '' && !isBlockStart(lines[i] ?? '', lines[i + 1])) paragraph.push((lines[i++] ?? '').trim());
    blocks.push({ kind: 'paragraph', inlines: parseInline(paragraph.join(' ')) });
  }
  return blocks;
}
