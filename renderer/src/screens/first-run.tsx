import { useState } from 'react';
import { ErrorBanner, Field, Progress } from '../components/common.js';
import { useConsole } from '../store/use-console.js';
import { Ceremony } from './ca-ceremony.js';
import { TokenPicker } from './token-picker.js';

/** A fresh home: start with a lab CA, an HSM-backed one, or a demo fleet so every screen has data. */
export function FirstRunScreen() {
  const [mode, setMode] = useState<'choose' | 'lab' | 'token' | 'token-ceremony'>('choose');
  const [module, setModule] = useState<{ modulePath?: string; tokenLabel?: string }>({});
  const [hosts, setHosts] = useState(60);
  const demo = useConsole((s) => s.demo);
  const loadDemoFleet = useConsole((s) => s.loadDemoFleet);
  const dismiss = useConsole((s) => s.dismissFirstRun);
  const go = useConsole((s) => s.go);
  const done = (created: unknown) => { if (created) { dismiss(); go('cas'); } else setMode('choose'); };

  if (mode === 'lab') return <Ceremony kind="root" initial={{ keyStorage: 'software', name: 'CN=Lab Root CA,O=Example Lab' }} onClose={done} />;
  if (mode === 'token-ceremony') return <Ceremony kind="root" initial={{ keyStorage: 'pkcs11', ...module }} onClose={done} />;
  return (
    <div className="first-run">
      <p className="lead">This home has no certificate authority yet. Choose how to start; everything you do is recorded in the audit trail.</p>
      <div className="cards">
        <section className="card" aria-labelledby="fr-lab">
          <h2 id="fr-lab">Create a lab CA</h2>
          <p>A root CA whose key is generated in software and kept encrypted in this home. For labs and trials, not for production roots.</p>
          <button type="button" className="primary" onClick={() => setMode('lab')}>Create a lab CA with software keys</button>
        </section>
        <section className="card" aria-labelledby="fr-token">
          <h2 id="fr-token">Connect a PKCS#11 token</h2>
          <p>Find your HSM's token, then create a root whose key is generated on it and never leaves it.</p>
          {mode === 'token'
            ? (<>
              <TokenPicker modulePath={module.modulePath} tokenLabel={module.tokenLabel} onChange={(modulePath, tokenLabel) => setModule({ modulePath, tokenLabel })} />
              <button type="button" className="primary" disabled={!module.tokenLabel} onClick={() => setMode('token-ceremony')}>Create a root CA on this token</button>
            </>)
            : <button type="button" className="primary" onClick={() => setMode('token')}>Connect a PKCS#11 token</button>}
        </section>
        <section className="card" aria-labelledby="fr-demo">
          <h2 id="fr-demo">Load a demo fleet</h2>
          <p>A demo root and device CA (software keys), certificates for simulated hosts, and their signed metric, risk and renewal bundles, imported as an operator would.</p>
          <form onSubmit={(e) => { e.preventDefault(); void loadDemoFleet(hosts); }}>
            <Field id="demo-hosts" label="Hosts">
              <input id="demo-hosts" type="number" min={1} max={2000} value={hosts} onChange={(e) => setHosts(Number(e.target.value))} />
            </Field>
            <button type="submit" className="primary" disabled={demo.loading}>Load a demo fleet</button>
          </form>
          {demo.loading && <Progress done={demo.progress?.done ?? 0} total={demo.progress?.total ?? 1} message={demo.progress?.message ?? 'starting'} />}
          <ErrorBanner error={demo.error} />
        </section>
      </div>
      <p><button type="button" className="link" onClick={dismiss}>Skip: go to the console</button></p>
    </div>
  );
}
