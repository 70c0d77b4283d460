import type { ApiResult, ConsoleClient, StagedFile } from '../../../core/api/contract.js';

/** A dropped or chosen file (a DOM File is one); kept structural so the store type-checks without the DOM. */
export interface StageableFile {
  readonly name: string;
  readonly size: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** How the renderer reaches the console API: Electron's preload bridge, or the loopback browser host. */
export interface ConsoleTransport {
  readonly kind: 'electron' | 'browser';
  readonly client: ConsoleClient;
  /** Hands a dropped or chosen file to the console's staging folder. */
  stage(file: StageableFile, onProgress?: (sent: number, total: number) => void): Promise<ApiResult<StagedFile>>;
}
