/** The SQL of a log_statement line ("statement: …", "execute <name>: …", after a "duration: …" lead-in). */
const LOGGED_STATEMENT = /^(?:duration: [\d.]+ ms\s+)?(?:statement|execute [^:]*): ([\s\S]*)$/;

export function loggedStatement(message: string): string | undefined {
  return LOGGED_STATEMENT.exec(message)?.[1];
}
