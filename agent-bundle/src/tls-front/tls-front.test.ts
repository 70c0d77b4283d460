import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHostPort } from './tls-front.js';

test('listen and upstream addresses', () => {
  assert.deepEqual(parseHostPort('127.0.0.1:8443'), { host: '127.0.0.1', port: 8443 });
  assert.deepEqual(parseHostPort('[::1]:8443'), { host: '::1', port: 8443 });
  assert.deepEqual(parseHostPort('localhost:80'), { host: 'localhost', port: 80 });
  assert.deepEqual(parseHostPort('8443'), { host: '127.0.0.1', port: 8443 });
  assert.throws(() => parseHostPort('127.0.0.1:99999', '--listen'), /--listen '127\.0\.0\.1:99999' is not HOST:PORT/);
  assert.throws(() => parseHostPort('::1:80', '--upstream'), /--upstream '::1:80' is not HOST:PORT/);
});
