/** Evidence rows share their columns in the order first seen; cells render as short text. */
export function evidenceColumns(rows: ReadonlyArray<Record<string, unknown>>): string[] {
  const columns: string[] = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  return columns;
}

export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return String(value);
}

/** At most this many evidence rows under a finding in table and Markdown output; JSON keeps all. */
export const EVIDENCE_ROWS = 20;
