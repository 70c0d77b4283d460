import { contextBridge, ipcRenderer } from 'electron';
import { OP_NAMES } from '../../core/api/contract.js';

// window.coldroot: one function per operation of the contract (the same list Electron main
// registers handlers for), and `stage` for a dropped or chosen file. Nothing else of Electron or
// Node reaches the page.
const bridge: Record<string, unknown> = {};
for (const op of OP_NAMES) bridge[op] = (input: unknown, callId?: string) => ipcRenderer.invoke(`coldroot:${op}`, input, callId);
bridge.stage = (name: string, bytes: ArrayBuffer) => ipcRenderer.invoke('coldroot:stage', name, bytes);
contextBridge.exposeInMainWorld('coldroot', bridge);
