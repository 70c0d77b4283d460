// A stand-in for a service such as nginx, for the activation tests: serves CERT_FILE/KEY_FILE over
// TLS on 127.0.0.1 (port 0), writes its pid to PID_FILE, and reloads both files on SIGHUP, as
// nginx does (or ignores SIGHUP with --ignore-reload, to play a service whose reload is broken).
//   node reloading-tls-server.mjs CERT_FILE KEY_FILE PID_FILE [--ignore-reload]
// Prints "listening PORT" once ready and "reloaded N" / "ignored N" after each SIGHUP.
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:tls';

const [certFile, keyFile, pidFile, flag] = process.argv.slice(2);
const load = () => ({ cert: readFileSync(certFile), key: readFileSync(keyFile) });
const server = createServer(load(), (s) => s.end('ok\n'));
server.on('tlsClientError', () => {});
let hups = 0;
process.on('SIGHUP', () => {
  hups++;
  if (flag === '--ignore-reload') return void process.stdout.write(`ignored ${hups}\n`);
  try {
    server.setSecureContext(load());
    process.stdout.write(`reloaded ${hups}\n`);
  } catch (e) {
    process.stdout.write(`reload-failed ${hups} ${e.message}\n`);
  }
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
server.listen(0, '127.0.0.1', () => {
  writeFileSync(pidFile, `${process.pid}\n`);
  process.stdout.write(`listening ${server.address().port}\n`);
});
