import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { ConsoleState, ConsoleStore } from './console-store.js';

export const StoreContext = createContext<ConsoleStore | null>(null);

/** Selects one field (or a derived value) of the window's store; pair with useShallow for lists. */
export function useConsole<T>(selector: (s: ConsoleState) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useConsole outside <StoreContext.Provider>');
  return useStore(store, selector);
}
