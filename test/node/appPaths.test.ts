import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appDataFolder, runsFolder, weightsFolder } from '../../src-main/node/appPaths';

describe('appDataFolder', () => {
  it('uses RESNET_WORKBENCH_DATA when set, on every platform', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      expect(appDataFolder({ env: { RESNET_WORKBENCH_DATA: '/srv/rw' }, platform, homeDir: '/home/a' })).toBe(path.resolve('/srv/rw'));
    }
  });

  it('follows XDG on Linux, ignoring a relative XDG_DATA_HOME', () => {
    expect(appDataFolder({ env: {}, platform: 'linux', homeDir: '/home/a' })).toBe('/home/a/.local/share/resnet-workbench');
    expect(appDataFolder({ env: { XDG_DATA_HOME: '/data/x' }, platform: 'linux', homeDir: '/home/a' })).toBe('/data/x/resnet-workbench');
    expect(appDataFolder({ env: { XDG_DATA_HOME: 'rel' }, platform: 'linux', homeDir: '/home/a' })).toBe('/home/a/.local/share/resnet-workbench');
  });

  it('uses Application Support on macOS and %APPDATA% on Windows', () => {
    expect(appDataFolder({ env: {}, platform: 'darwin', homeDir: '/Users/a' })).toBe('/Users/a/Library/Application Support/ResNet Workbench');
    expect(appDataFolder({ env: { APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, platform: 'win32', homeDir: 'C:\\Users\\a' })).toBe(
      'C:\\Users\\a\\AppData\\Roaming\\ResNet Workbench',
    );
    expect(appDataFolder({ env: {}, platform: 'win32', homeDir: 'C:\\Users\\a' })).toBe('C:\\Users\\a\\AppData\\Roaming\\ResNet Workbench');
  });

  it('puts weights and runs below it', () => {
    const options = { env: { RESNET_WORKBENCH_DATA: '/srv/rw' } };
    expect(weightsFolder(options)).toBe(path.join(path.resolve('/srv/rw'), 'weights'));
    expect(runsFolder(options)).toBe(path.join(path.resolve('/srv/rw'), 'runs'));
  });
});
