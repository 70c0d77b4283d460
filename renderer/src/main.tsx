import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { defaultTransport } from './api/transport.js';
import { App } from './app.js';
import { createConsoleStore } from './store/console-store.js';
import { StoreContext } from './store/use-console.js';
import './styles.css';

const store = createConsoleStore(defaultTransport());
// Both at once: the overview is the first screen of a home that has CAs.
void store.getState().loadSession();
void store.getState().loadOverview();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoreContext.Provider value={store}>
      <App />
    </StoreContext.Provider>
  </StrictMode>,
);
