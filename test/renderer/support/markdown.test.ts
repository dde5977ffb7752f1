import { describe, expect, it } from 'vitest';
import { parseInline, parseMarkdown } from '../../../src-renderer/src/support/markdown';

describe('parseInline', () => {
  it('reads code, bold and italics and leaves the rest as text', () => {
    expect(parseInline('Exported from run `a-1` as **onnx** (*fast*).')).toEqual([
      { kind: 'text', text: 'Exported from run ' },
      { kind: 'code', text: 'a-1' },
      { kind: 'text', text: ' as ' },
      { kind: 'strong', text: 'onnx' },
      { kind: 'text', text: ' (' },
      { kind: 'em', text: 'fast' },
      { kind: 'text', text: ').' },
    ]);
  });

  it('does not read markup inside code, nor underscores inside words', () => {
    expect(parseInline('`**not bold**` and snake_case_name')).toEqual([
      { kind: 'code', text: '**not bold**' },
      { kind: 'text', text: ' and snake_case_name' },
    ]);
  });

  it('keeps HTML as text', () => {
    expect(parseInline('<script>alert(1)</script>')).toEqual([{ kind: 'text', text: '<script>alert(1)</script>' }]);
  });

  it('leaves an unmatched marker as text', () => {
    expect(parseInline('2 * 3 and `open')).toEqual([{ kind: 'text', text: '2 * 3 and `open' }]);
  });
});

describe('parseMarkdown', () => {
  it('reads a model card’s blocks', () => {
    const card = [
      '# ResNet-18 classifier (2 classes)',
      '',
      'Exported by resnet-workbench',
      'from run `r1`.',
      '',
      '## Labels (output order)',
      '',
      '0. cat',
      '1. dog',
      '',
      '- Input: float32',
      '  continued here',
      '* Output: logits',
      '',
      '```python',
      'import torch',
      '',
      'print("# not a heading")',
      '```',
      '',
      '| Class | Recall |',
      '| --- | ---: |',
      '| cat | 0.9 |',
      '| dog \\| wolf |',
      '',
    ].join('\n');
    expect(parseMarkdown(card)).toEqual([
      { kind: 'heading', level: 1, inlines: [{ kind: 'text', text: 'ResNet-18 classifier (2 classes)' }] },
      { kind: 'paragraph', inlines: [{ kind: 'text', text: 'Exported by resnet-workbench from run ' }, { kind: 'code', text: 'r1' }, { kind: 'text', text: '.' }] },
      { kind: 'heading', level: 2, inlines: [{ kind: 'text', text: 'Labels (output order)' }] },
      { kind: 'list', ordered: true, start: 0, items: [[{ kind: 'text', text: 'cat' }], [{ kind: 'text', text: 'dog' }]] },
      { kind: 'list', ordered: false, start: 1, items: [[{ kind: 'text', text: 'Input: float32 continued here' }], [{ kind: 'text', text: 'Output: logits' }]] },
      { kind: 'code', language: 'python', text: 'import torch\n\nprint("# not a heading")' },
      {
        kind: 'table',
        header: [[{ kind: 'text', text: 'Class' }], [{ kind: 'text', text: 'Recall' }]],
        rows: [
          [[{ kind: 'text', text: 'cat' }], [{ kind: 'text', text: '0.9' }]],
          [[{ kind: 'text', text: 'dog | wolf' }], []],
        ],
      },
    ]);
  });

  it('runs an unclosed fence to the end and handles CRLF line ends', () => {
    expect(parseMarkdown('text\r\n```\r\ncode <b>\r\n')).toEqual([
      { kind: 'paragraph', inlines: [{ kind: 'text', text: 'text' }] },
      { kind: 'code', language: '', text: 'code <b>\n' },
    ]);
  });

  it('gives nothing for empty text', () => {
    expect(parseMarkdown('')).toEqual([]);
    expect(parseMarkdown('\n\n  \n')).toEqual([]);
  });

  it('needs a space after # for a heading', () => {
    expect(parseMarkdown('#hashtag')).toEqual([{ kind: 'paragraph', inlines: [{ kind: 'text', text: '#hashtag' }] }]);
  });
});
