#!/usr/bin/env node
// The `resnet-workbench` command. Runs the TypeScript sources through tsx so that `npx
// resnet-workbench` works straight after `npm ci`, with no build step.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('./main.ts');
process.exitCode = await runCli(process.argv);
