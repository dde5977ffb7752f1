#!/usr/bin/env node
// The `resnet-workbench` command of a checkout. Runs the TypeScript sources through tsx (a
// devDependency) so that `npx resnet-workbench` works straight after `npm ci`, with no build step.
// The installed desktop app runs the electron-vite bundle instead (electron-main/launchMode.ts).
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('./main.ts');
process.exitCode = await runCli(process.argv);
