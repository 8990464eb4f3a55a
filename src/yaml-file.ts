import { parseDocument } from 'yaml';
import { DbsecError } from './errors.js';

/**
 * YAML text as plain data, for config and baseline files: a syntax error names its line, and an alias bomb (a few
 * lines that expand to millions of nodes) is refused in one sentence instead of exhausting memory or crashing.
 */
export function yamlData(text: string, what: string): unknown {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const line = first.linePos?.[0]?.line;
    throw new DbsecError(`${what}${line ? ` line ${line}` : ''} is not valid YAML: ${first.message.split('\n')[0]}`);
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch {
    throw new DbsecError(`${what} expands its YAML aliases too many times (a pattern of resource-exhaustion attacks): write the values out instead.`);
  }
}
