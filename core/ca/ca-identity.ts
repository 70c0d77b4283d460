import { ColdrootError } from '../errors.js';
import { caIdTaken, caNameTaken } from '../store/ca-repository.js';
import type { Database } from 'better-sqlite3';

/** A CA id derived from its common name: 'CN=Example Root CA 2026,O=Ex' -> 'example-root-ca-2026'. */
export function newCaId(db: Database, commonName: string): string {
  const base = commonName.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48) || 'ca';
  for (let i = 1; ; i++) {
    const id = i === 1 ? base : `${base}-${i}`;
    if (!caIdTaken(db, id)) return id;
  }
}

export function assertCaNameFree(db: Database, name: string): void {
  if (caNameTaken(db, name)) {
    throw new ColdrootError('DUPLICATE_CA_NAME', `A CA named '${name}' already exists in this home`, 'Choose a distinct subject name (e.g. add a generation: "CN=Example Root CA 2027")');
  }
}
