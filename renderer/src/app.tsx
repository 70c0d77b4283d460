import { useEffect } from 'react';
import { ErrorBanner } from './components/common.js';
import { AgentsScreen } from './screens/agents.js';
import { AuditScreen } from './screens/audit.js';
import { CaScreen } from './screens/ca-hierarchy.js';
import { CertificatesScreen } from './screens/certificates.js';
import { FirstRunScreen } from './screens/first-run.js';
import { ImportScreen } from './screens/import.js';
import { OverviewScreen } from './screens/overview.js';
import { QueueScreen } from './screens/queue.js';
import { RiskScreen } from './screens/risk.js';
import { SettingsScreen } from './screens/settings.js';
import { SCREENS, type Screen } from './store/session-slice.js';
import { useConsole } from './store/use-console.js';

const TITLES: Record<Screen, string> = {
  'first-run': 'Welcome', overview: 'Overview', cas: 'CA hierarchy', certificates: 'Certificates', import: 'Import', risk: 'Risk', queue: 'Queue', agents: 'Agents', audit: 'Audit', settings: 'Settings',
};

function Nav() {
  const screen = useConsole((s) => s.screen);
  const go = useConsole((s) => s.go);
  return (
    <nav className="sidebar" aria-label="Console sections">
      <div className="brand" aria-hidden="true">Coldroot</div>
      <ul>
        {SCREENS.map((s) => (
          <li key={s}>
            <button type="button" className={screen === s ? 'nav active' : 'nav'} aria-current={screen === s ? 'page' : undefined} onClick={() => go(s)}>{TITLES[s]}</button>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function SessionLine() {
  const session = useConsole((s) => s.session.value);
  if (!session) return null;
  return <p className="session-line">Home <code>{session.home}</code> · operator <strong>{session.operator}</strong> · {session.host === 'electron' ? 'desktop app' : 'browser host (127.0.0.1)'} · v{session.version}</p>;
}

export function App() {
  const screen = useConsole((s) => s.screen);
  const sessionError = useConsole((s) => s.session.error);
  const ready = useConsole((s) => s.session.value !== null);
  useEffect(() => {
    document.title = `${TITLES[screen]} · Coldroot console`;
  }, [screen]);
  return (
    <div className="shell">
      <Nav />
      <main className="content" aria-labelledby="screen-title">
        <header className="screen-header">
          <h1 id="screen-title">{TITLES[screen]}</h1>
          <SessionLine />
        </header>
        <ErrorBanner error={sessionError} title="The console host did not answer" />
        {ready && <Current screen={screen} />}
      </main>
    </div>
  );
}

function Current({ screen }: { screen: Screen }) {
  switch (screen) {
    case 'first-run': return <FirstRunScreen />;
    case 'overview': return <OverviewScreen />;
    case 'cas': return <CaScreen />;
    case 'certificates': return <CertificatesScreen />;
    case 'import': return <ImportScreen />;
    case 'risk': return <RiskScreen />;
    case 'queue': return <QueueScreen />;
    case 'agents': return <AgentsScreen />;
    case 'audit': return <AuditScreen />;
    case 'settings': return <SettingsScreen />;
  }
}
