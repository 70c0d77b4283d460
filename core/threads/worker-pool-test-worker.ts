// The worker module of worker-pool.test.ts: a few tasks that make a thread answer, fail, hang or die,
// or say where it thinks it is and whether the native verifier (found beside its source) loaded.
import { ColdrootError } from '../errors.js';
import { nativeEcVerify } from '../native/ec-verify/index.js';
import { serveTasks } from './task-server.js';

export type TestTask = { kind: 'echo'; value: number } | { kind: 'throw' } | { kind: 'busy'; ms: number } | { kind: 'exit' } | { kind: 'native' } | { kind: 'url' };

serveTasks((task: TestTask) => {
  switch (task.kind) {
    case 'echo': return task.value * 2;
    case 'throw': throw new ColdrootError('TEST_REFUSED', 'refused by the test worker', 'none');
    case 'busy': { const end = Date.now() + task.ms; while (Date.now() < end); return 'done'; }
    case 'exit': process.exit(3);
    case 'native': return nativeEcVerify.reason;
    case 'url': return import.meta.url;
  }
});
