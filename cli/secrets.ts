import { ColdrootError } from '../core/errors.js';

/**
 * Secrets reach Coldroot only from an environment variable named by a flag (never from argv),
 * or from an interactive prompt on a terminal.
 */
export async function readSecret(envName: string | undefined, what: string, flag: string): Promise<string> {
  if (envName) {
    const value = process.env[envName];
    if (value === undefined || value === '') {
      throw new ColdrootError('SECRET_ENV_MISSING', `Environment variable ${envName} (named by ${flag}) is not set`, `Export the ${what} in ${envName} before running the command, or omit ${flag} to be prompted`);
    }
    return value;
  }
  if (!process.stdin.isTTY) {
    throw new ColdrootError('SECRET_REQUIRED', `The ${what} is needed and no terminal is attached to ask for it`, `Pass ${flag} VAR naming an environment variable that holds it`);
  }
  return prompt(`${what}: `);
}

async function prompt(question: string): Promise<string> {
  process.stderr.write(question);
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(() => resolve(value));
        if (ch === '\u0003') return done(() => reject(new ColdrootError('CANCELLED', 'Cancelled at the prompt', 'Run the command again')));
        if (ch === '\u007f') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const done = (fn: () => void) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      fn();
    };
    stdin.on('data', onData);
  });
}
