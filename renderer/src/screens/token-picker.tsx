import { useEffect, useState } from 'react';
import { Busy, ErrorBanner, Field } from '../components/common.js';
import { useConsole } from '../store/use-console.js';

/** Chooses a PKCS#11 module (candidates found on this machine, or a path) and one of its tokens. */
export function TokenPicker({ modulePath, tokenLabel, onChange }: { modulePath?: string; tokenLabel?: string; onChange(modulePath: string, tokenLabel: string | undefined): void }) {
  const settings = useConsole((s) => s.settings);
  const loadSettings = useConsole((s) => s.loadSettings);
  const listTokens = useConsole((s) => s.listTokens);
  const [path, setPath] = useState(modulePath ?? '');
  const tokens = useConsole((s) => (path ? s.tokens[path] : undefined));
  useEffect(() => {
    if (!settings.value && !settings.loading) void loadSettings();
  }, [settings.value, settings.loading, loadSettings]);
  useEffect(() => {
    if (!path && settings.value) {
      const found = settings.value.pkcs11Modules.find((m) => m.present);
      if (found) setPath(found.path);
    }
  }, [settings.value, path]);
  const present = settings.value?.pkcs11Modules.filter((m) => m.present) ?? [];
  return (
    <fieldset className="token-picker">
      <legend>PKCS#11 module and token</legend>
      <Field id="module-path" label="Module (vendor library)" help={present.length ? `Found on this machine: ${present.map((m) => m.path).join(', ')}` : 'No known module found on this machine; give the path of your HSM vendor library'}>
        <input id="module-path" list="module-candidates" value={path} onChange={(e) => { setPath(e.target.value); onChange(e.target.value, undefined); }} aria-describedby="module-path-help" />
        <datalist id="module-candidates">{present.map((m) => <option key={m.path} value={m.path} />)}</datalist>
      </Field>
      <button type="button" onClick={() => { onChange(path, undefined); void listTokens(path); }} disabled={!path}>List tokens</button>
      {tokens?.loading && <Busy label="Asking the module for its tokens" />}
      <ErrorBanner error={tokens?.error} />
      {tokens?.value && (tokens.value.length === 0
        ? <p>This module has no token. Initialise one first (for SoftHSM2: softhsm2-util --init-token --free --label LABEL).</p>
        : (
          <div role="radiogroup" aria-label="Tokens">
            {tokens.value.map((t) => (
              <label key={`${t.slotId}-${t.label}`} className="choice">
                <input type="radio" name="token" checked={tokenLabel === t.label} disabled={!t.initialized} onChange={() => onChange(path, t.label)} />
                {' '}<strong>{t.label}</strong> · {t.manufacturer} {t.model} · serial {t.serial} · slot {t.slotId}{t.initialized ? '' : ' (not initialised)'}
              </label>
            ))}
          </div>
        ))}
    </fieldset>
  );
}
