/**
 * Runs every x509-limbo testcase (including the Netflix BetterTLS name-constraint and
 * path-building suites) through validatePath and compares with expected_result. The floors are
 * our measured agreement minus a small margin, so a regression fails this test.
 *
 * Reference (shared/conformance/README.md): OpenSSL 3.0 agrees on 145 of 198 limbo SERVER cases
 * and 9,389 of 9,572 BetterTLS cases; pkijs on 93 and 6,144.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agreement, loadLimbo, runCase, type CaseOutcome } from './limbo-harness.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LIMBO = resolve(repoRoot, '..', 'shared', 'conformance', 'x509-limbo.json.gz');

/** Measured (2026-03): limbo 186/208 (176/198 SERVER), BetterTLS 9,572/9,572. */
const FLOOR = { limbo: 184, limboServer: 174, bettertls: 9565 };
/** Per-case bound: the path builder's work bound keeps even pathological cases far below this. */
const MAX_CASE_MS = 3000;

test('x509-limbo conformance: agreement with expected_result does not regress', { timeout: 300_000 }, (t) => {
  if (!existsSync(LIMBO)) {
    const reason = `x509-limbo data not found at ${LIMBO}`;
    console.log(`SKIP: ${reason}`);
    t.skip(reason);
    return;
  }
  const t0 = performance.now();
  const cases = loadLimbo(LIMBO);
  const kinds = new Map(cases.map((c) => [c.id, c.validation_kind]));
  const outcomes: CaseOutcome[] = cases.map(runCase);
  const seconds = (performance.now() - t0) / 1000;

  const limbo = agreement(outcomes, (o) => o.suite === 'limbo');
  const limboServer = agreement(outcomes, (o) => o.suite === 'limbo' && kinds.get(o.id) === 'SERVER');
  const bettertls = agreement(outcomes, (o) => o.suite === 'bettertls');
  const slowest = outcomes.reduce((a, b) => (b.ms > a.ms ? b : a));
  const disagreements = outcomes.filter((o) => o.actual !== 'SKIPPED' && o.actual !== o.expected);

  console.log(`x509-limbo: ${cases.length} cases in ${seconds.toFixed(1)} s (slowest ${slowest.id}: ${slowest.ms.toFixed(0)} ms)`);
  console.log(`  limbo:     ${limbo.agree}/${limbo.run} agree (${limbo.skipped} skipped); SERVER only ${limboServer.agree}/${limboServer.run} (OpenSSL 145/198)`);
  console.log(`  BetterTLS: ${bettertls.agree}/${bettertls.run} agree (${bettertls.skipped} skipped) (OpenSSL 9,389/9,572)`);
  console.log('  CLIENT cases with RFC822 peer names run without a mailbox check (validatePath has no such option)');
  for (const o of disagreements) {
    console.log(`  disagree ${o.id}: expected ${o.expected}, got ${o.actual}${o.code ? ` ${o.code}` : ''}`);
  }

  assert.ok(limbo.agree >= FLOOR.limbo, `limbo agreement ${limbo.agree} fell below ${FLOOR.limbo}`);
  assert.ok(limboServer.agree >= FLOOR.limboServer, `limbo SERVER agreement ${limboServer.agree} fell below ${FLOOR.limboServer}`);
  assert.ok(bettertls.agree >= FLOOR.bettertls, `BetterTLS agreement ${bettertls.agree} fell below ${FLOOR.bettertls}`);
  assert.ok(slowest.ms < MAX_CASE_MS, `case ${slowest.id} took ${slowest.ms.toFixed(0)} ms (bound ${MAX_CASE_MS} ms)`);
  // Cases that must fail for safety reasons regardless of our profile choices.
  for (const id of [
    'crl::revoked-certificate-with-crl',
    'rfc5280::chain-untrusted-root',
    'pathological::intermediate-cycle-distinct-cas',
    'pathological::pathological-chain-same-subject-same-key',
    'cve::cve-2025-61727',
  ]) {
    const o = outcomes.find((x) => x.id === id);
    assert.equal(o?.actual, 'FAILURE', `${id} must be rejected`);
  }
});
