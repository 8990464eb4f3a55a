import type { Report } from '../report.js';
import { formatJson } from './json.js';
import { formatMarkdown } from './markdown.js';
import { formatTable, type FormatOptions } from './table.js';
import { formatSarif } from './sarif.js';
import { formatJunit } from './junit.js';
import { formatHtml } from './html.js';
import { formatAsff } from './asff.js';
import { formatOcsf } from './ocsf.js';
import type { Format } from './formats.js';

export type { FormatOptions, Format };

/** Formatters are pure: (report, options) → string. This map also feeds the --format choices. */
export const FORMATTERS = {
  table: formatTable,
  json: formatJson,
  markdown: formatMarkdown,
  sarif: formatSarif,
  junit: formatJunit,
  html: formatHtml,
  asff: formatAsff,
  ocsf: formatOcsf,
} satisfies Record<Format, (report: Report, options: FormatOptions) => string>;
