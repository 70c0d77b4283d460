import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

// The Electron major this app targets (package.json optionalDependencies). electron-vite reads it
// from the installed electron package; set here too so the renderer and preload build where the
// binary is absent (npm start then serves the console to a browser instead).
process.env.ELECTRON_MAJOR_VER ??= '41';

/**
 * main: window and IPC wiring only; core is loaded at run time through tsx (as the CLI does), so
 * its worker threads and native modules stay as they are. preload: window.coldroot from the
 * contract's operation list, CommonJS because sandboxed preloads cannot be modules. renderer:
 * React, relative asset paths so the same build serves coldroot://console and the browser host.
 */
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: { input: { index: resolve('electron/main/index.ts') }, external: ['tsx/esm/api'] },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload can require nothing but electron: bundle the contract (and zod) in.
      externalizeDeps: false,
      rollupOptions: { input: { index: resolve('electron/preload/index.ts') }, output: { format: 'cjs', entryFileNames: '[name].cjs' } },
    },
  },
  renderer: {
    root: 'renderer',
    base: './',
    plugins: [react()],
    build: {
      outDir: resolve('out/renderer'),
      emptyOutDir: true,
      modulePreload: { polyfill: false },
      minify: 'esbuild',
      rollupOptions: { input: resolve('renderer/index.html') },
    },
  },
});
