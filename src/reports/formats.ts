/** The report formats, apart from their formatters so the CLI can offer them without loading cli-table3 at start-up. */
export const FORMATS = ['table', 'json', 'markdown', 'sarif', 'junit', 'html', 'asff', 'ocsf'] as const;
export type Format = (typeof FORMATS)[number];

/** Formats read by programs (JSON, SARIF…): no spinner beside them, even on a terminal. */
export function forMachines(format: string): boolean {
  return format !== 'table' && format !== 'markdown' && format !== 'html';
}
