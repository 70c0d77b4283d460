import Database from 'better-sqlite3';

export const nativeDatabase = Database;
