import { readBundle } from '../../bundles/bundle-reader.js';
import { DEFAULT_LIMITS } from '../../bundles/bundle-format.js';
import type { OperationContext } from '../../ca/operation-context.js';
import { ColdrootError } from '../../errors.js';
import type { RolloutReport } from './rollout-progress.js';

/**
 * The rollout.json of metric bundles the console has already imported. The import verified and
 * stored each bundle's manifest; a file is read here only if its manifest is byte-for-byte the
 * stored one (same SHA-256), so its payload hashes — rollout.json's included — are those the
 * import checked. A bundle not imported yet is refused: import it first.
 */
export async function readImportedRolloutProgress(ctx: OperationContext, files: readonly string[]): Promise<RolloutReport[]> {
  const find = ctx.store.db.prepare("SELECT manifest_sha256 AS sha FROM bundles WHERE bundle_id = ? AND direction = 'import' AND type = 'metrics'");
  const out: RolloutReport[] = [];
  for (const file of files) {
    await readBundle(file, {
      limits: DEFAULT_LIMITS,
      parallel: 'never',
      admit: (b) => {
        const row = find.get(b.manifest.bundleId) as { sha: string } | undefined;
        if (!row || row.sha !== b.manifestSha256) {
          throw new ColdrootError('ROLLOUT_BUNDLE_NOT_IMPORTED', `${file}: metrics bundle ${b.manifest.bundleId} has not been imported into this console${row ? ' (a different manifest was imported under its id)' : ''}`, `Import it first: coldroot bundle import ${file}`);
        }
        return 'process';
      },
      sink: { rolloutProgress: (p) => out.push(...p.rollouts) },
    });
  }
  return out;
}
