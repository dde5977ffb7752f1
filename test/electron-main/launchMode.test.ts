import { describe, expect, it } from 'vitest';
import { appArguments, launchModeFor } from '../../src-main/electron-main/launchMode';
import { CLI_COMMAND_NAMES } from '../../src-main/node/cli/commandNames';
import { buildProgram } from '../../src-main/node/cli/main';

describe('what the desktop binary was started to do', () => {
  it('opens the window with no arguments, files, URLs or Chromium switches', () => {
    for (const args of [[], ['/home/me/photos'], ['--no-sandbox'], ['--ozone-platform=wayland', 'file:///tmp/x.png'], ['trainer']]) {
      expect(launchModeFor(args), args.join(' ')).toEqual({ kind: 'window' });
    }
  });

  it('runs the self-test for --self-test, wherever it stands', () => {
    expect(launchModeFor(['--self-test'])).toEqual({ kind: 'self-test' });
    expect(launchModeFor(['--no-sandbox', '--self-test'])).toEqual({ kind: 'self-test' });
  });

  it('runs the command line for a command name (after Chromium switches) or after --cli', () => {
    expect(launchModeFor(['train', '--train', '/data/train', '--json'])).toEqual({ kind: 'cli', args: ['train', '--train', '/data/train', '--json'] });
    expect(launchModeFor(['--ozone-platform=headless', 'info'])).toEqual({ kind: 'cli', args: ['info'] });
    expect(launchModeFor(['--cli', '--version'])).toEqual({ kind: 'cli', args: ['--version'] });
    expect(launchModeFor(['--cli'])).toEqual({ kind: 'cli', args: [] });
  });

  it('drops the app path that `electron .` passes', () => {
    expect(appArguments(['/usr/lib/electron', '.', 'info'], true)).toEqual(['info']);
    expect(appArguments(['/opt/ResNet Workbench/resnet-workbench', 'info'], false)).toEqual(['info']);
  });

  it('knows every command of the command line', () => {
    const program = buildProgram({ streams: process });
    expect([...CLI_COMMAND_NAMES].sort()).toEqual([...program.commands.map((c) => c.name()), 'help'].sort());
  });
});
