// How views get data: the store through context and useSyncExternalStore
// (one-way flow, as in ink's examples), and the terminal size, which changes
// on resize.
import { createContext, useContext, useEffect, useState, useSyncExternalStore } from 'react';
import { useStdout } from 'ink';
import type { Store, StoreState } from './store.js';
import { makeTheme, type Theme } from './theme.js';

export const StoreContext = createContext<Store | null>(null);
export const ThemeContext = createContext<Theme>(makeTheme());

export function useStore(): StoreState {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useStore outside <StoreContext.Provider>');
  return useSyncExternalStore(store.subscribe, store.getState);
}

export function useTheme(): Theme {
  return useContext(ThemeContext);
}

export function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const on = () => setSize(read());
    stdout.on('resize', on);
    return () => {
      stdout.off('resize', on);
    };
  }, [stdout]);
  return size;
}
