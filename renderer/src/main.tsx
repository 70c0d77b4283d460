import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { defaultTransport } from './api/transport.js';
import { App } from './app.js';
import { createConsoleStore } from './store/console-store.js';
import { StoreContext } from './store/use-console.js';
import './styles.css';

const store = createConsoleStore(defaultTransport());
void store.getState().loadSession();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoreContext.Provider value={store}>
      <App />
    </StoreContext.Provider>
  </StrictMode>,
);
