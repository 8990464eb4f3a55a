import { createRequire } from 'node:module';
import type * as NodePostgres from 'pg';

const require = createRequire(import.meta.url);
let loaded: typeof NodePostgres | undefined;

/**
 * node-postgres, loaded the first time a run needs it: most runs of the log commands never connect, and loading it
 * (with pg-types and pg-protocol) took 40-50 ms of every command's start-up. It is CommonJS, so loading is synchronous.
 */
export function nodePostgres(): typeof NodePostgres {
  return (loaded ??= require('pg') as typeof NodePostgres);
}
