/** The report formats, apart from their formatters so the CLI can offer them without loading cli-table3 at start-up. */
export const FORMATS = ['table', 'json', 'markdown'] as const;
export type Format = (typeof FORMATS)[number];
