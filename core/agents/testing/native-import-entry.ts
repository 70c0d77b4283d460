// A stand-in agent entry that reaches a native module through an ordinary import: the agent
// build must refuse it and name this file (core/agents/agent-build.test.ts).
import { nativeDatabase } from './native-import-helper.js';

process.stdout.write(`${typeof nativeDatabase}\n`);
