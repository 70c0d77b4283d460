#!/usr/bin/env node
// Entry of the `coldroot-agent` command in a source checkout: loads the TypeScript agent through tsx's loader.
// Devices run the esbuild bundle of agent-bundle/src/agent/main.ts instead.
import { register } from 'tsx/esm/api';

register();
await import('../agent-bundle/src/agent/main.ts');
