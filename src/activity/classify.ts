import { parsePlPgSQLSync, parseSync } from 'libpg-query';
import catalog from './pg-catalog-functions.json' with { type: 'json' };
import { matchesAny } from '../globs.js';
import { redactSecrets } from '../redact.js';
import type { UseCase } from './use-cases.js';

/** One sub-statement as PostgreSQL's own grammar reads it. */
export interface Classified {
  useCase: UseCase | null;
  command: string;
  objects: string[];
  /** What makes it notable: ALTER TABLE sub-commands, UNLOGGED, SECURITY DEFINER, the function that reads files… */
  notes: string[];
  /** ALTER TABLE … DISABLE ROW LEVEL SECURITY and the like: a rule may rate these higher. */
  highRisk: boolean;
  statement: string;
  /** Data exfiltration only because a whole large table is read: a person's doing, an application's routine. */
  wholeLargeTable?: true;
}

export interface ClassifyOptions {
  /** Relations known to be views (from config or the catalog): DELETE on them is view-delete. */
  views: ReadonlySet<string>;
  /** UPDATE and INSERT through a view count as view-delete too. */
  viewWrites: boolean;
  allowedLanguages: readonly string[];
  /** Globs of qualified or bare table names; a read without WHERE is a bulk read (data-exfiltration). */
  sensitiveTables: readonly string[];
  /** Tables the catalog counts more rows in than bulkRows (qualified and bare lower-case names → rows). */
  largeTables?: ReadonlyMap<string, number>;
}

/** The note of a read of a whole large table: exfiltration when a person runs it, an application's routine otherwise. */
export const UNBOUNDED_READ = 'unbounded read of large table';

type Ast = Record<string, any>;

const BUILTIN = new Set<string>(catalog.names);
const EXFILTRATION_FUNCTIONS = new Set(['lo_export', 'pg_read_file', 'pg_read_binary_file', 'pg_ls_dir', 'pg_stat_file', 'lo_get', 'dblink', 'dblink_exec']);
const PRIVILEGED_FUNCTIONS = new Set(['pg_terminate_backend', 'pg_cancel_backend', 'set_config', 'pg_reload_conf', 'pg_rotate_logfile', 'pg_file_write', 'pg_file_rename', 'pg_file_unlink', 'pg_promote', 'lo_import']);
/** Functions that turn encoded text back into SQL; EXECUTE of their result is how wrapped code hides. */
const DECODING_FUNCTIONS = new Set(['decode', 'convert_from', 'encode', 'chr', 'translate', 'reverse', 'convert', 'from_base64']);
/** When a statement matches several use cases, the riskiest names it. */
const PRIORITY: UseCase[] = ['data-exfiltration', 'obfuscated-code', 'privileged-operation', 'function-tampering', 'drop-table', 'truncate', 'user-dropped', 'user-created', 'view-delete', 'alter-table', 'table-created', 'function-execution'];
const HIGH_RISK_ALTER = new Set(['AT_DisableRowSecurity', 'AT_NoForceRowSecurity', 'AT_DisableTrig', 'AT_DisableTrigAll', 'AT_DisableTrigUser', 'AT_DropConstraint', 'AT_ChangeOwner']);
const ROLE_POWERS = new Set(['superuser', 'createrole', 'bypassrls', 'replication', 'createdb']);

/** Every sub-statement of one logged statement; text that does not parse is one `unparsed` entry. */
export function classifySql(sql: string, options: ClassifyOptions, depth = 0): Classified[] {
  let tree: Ast;
  try {
    tree = parseSync(sql) as Ast;
  } catch (err) {
    return [{ useCase: 'unparsed', command: '?', objects: [], notes: [(err as Error).message], highRisk: false, statement: sql }];
  }
  return (tree.stmts ?? []).map((raw: Ast) => {
    const start = raw.stmt_location ?? 0;
    const text = (raw.stmt_len ? sql.slice(start, start + raw.stmt_len) : sql.slice(start)).trim();
    const [type, node] = Object.entries(raw.stmt as Ast)[0] as [string, Ast];
    return classifyNode(type, node, text, options, depth);
  });
}

function classifyNode(type: string, node: Ast, text: string, options: ClassifyOptions, depth: number): Classified {
  const found = new Map<UseCase, string[]>();
  const note = (useCase: UseCase, ...notes: string[]) => found.set(useCase, [...(found.get(useCase) ?? []), ...notes]);
  /** Encoded literals whose decoded text holds a secret: masked in the statement, as the secret itself would be. */
  const secretPayloads: string[] = [];
  let objects: string[] = [];
  let command = commandOf(type, node);
  let highRisk = false;

  switch (type) {
    case 'DropStmt': {
      objects = (node.objects ?? []).map(objectName);
      const kind = String(node.removeType);
      if (kind === 'OBJECT_TABLE') note('drop-table');
      else if (kind === 'OBJECT_VIEW' || kind === 'OBJECT_MATVIEW') note('view-delete');
      else if (['OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_ROUTINE', 'OBJECT_TRIGGER', 'OBJECT_EVENT_TRIGGER'].includes(kind)) note('function-tampering');
      break;
    }
    case 'TruncateStmt':
      objects = (node.relations ?? []).map((r: Ast) => relationName(r.RangeVar));
      note('truncate');
      break;
    case 'AlterTableStmt': {
      objects = [relationName(node.relation)];
      if (node.objtype === 'OBJECT_TABLE' || node.objtype === undefined) {
        const subtypes = (node.cmds ?? []).map((c: Ast) => String(c.AlterTableCmd?.subtype ?? '?'));
        highRisk = subtypes.some((s: string) => HIGH_RISK_ALTER.has(s));
        note('alter-table', ...subtypes.map(alterLabel));
      }
      break;
    }
    case 'CreateStmt':
    case 'CreateTableAsStmt': {
      const relation = type === 'CreateStmt' ? node.relation : node.into?.rel;
      if (type === 'CreateTableAsStmt' && node.objtype && node.objtype !== 'OBJECT_TABLE') break;
      objects = [relationName(relation)];
      note('table-created', ...persistence(relation));
      break;
    }
    case 'ViewStmt':
      // No use case: its name is what a later DELETE through it is judged by.
      objects = [relationName(node.view)];
      break;
    case 'CreateRoleStmt':
      objects = [node.role];
      note('user-created', (node.options ?? []).some((o: Ast) => o.DefElem?.defname === 'canlogin' && o.DefElem.arg?.Boolean?.boolval === true) || node.stmt_type === 'ROLESTMT_USER' ? 'LOGIN' : 'NOLOGIN');
      break;
    case 'DropRoleStmt':
      objects = (node.roles ?? []).map((r: Ast) => roleSpecName(r.RoleSpec));
      note('user-dropped');
      break;
    case 'GrantStmt': {
      objects = (node.objects ?? []).map(objectName);
      // GRANT ALL has no privilege list
      const privileges = (node.privileges ?? []).map((p: Ast) => String(p.AccessPriv?.priv_name ?? '?').toUpperCase());
      const grantees = (node.grantees ?? []).map((g: Ast) => roleSpecName(g.RoleSpec));
      note('privileged-operation', `${node.is_grant ? 'GRANT' : 'REVOKE'} ${privileges.length ? privileges.join(', ') : 'ALL'} ON ${objects.join(', ')} ${node.is_grant ? 'TO' : 'FROM'} ${grantees.join(', ')}`);
      break;
    }
    case 'GrantRoleStmt':
      objects = (node.granted_roles ?? []).map((r: Ast) => r.AccessPriv?.priv_name ?? '?');
      note('privileged-operation', `${node.is_grant ? 'GRANT' : 'REVOKE'} ${objects.join(', ')} ${node.is_grant ? 'TO' : 'FROM'} ${(node.grantee_roles ?? []).map((r: Ast) => roleSpecName(r.RoleSpec)).join(', ')}`);
      break;
    case 'AlterRoleStmt': {
      objects = [node.role?.rolename ?? '?'];
      // Every attribute change is a privileged operation; granting a power is the high-risk one.
      const options: Ast[] = (node.options ?? []).map((o: Ast) => o.DefElem).filter(Boolean);
      const granted = options.filter((d) => ROLE_POWERS.has(d.defname) && d.arg?.Boolean?.boolval === true).map((d) => String(d.defname).toUpperCase());
      const changed = options.filter((d) => !granted.includes(String(d.defname).toUpperCase())).map(roleOptionLabel);
      highRisk = granted.length > 0;
      if (granted.length + changed.length > 0) note('privileged-operation', ...granted, ...changed);
      break;
    }
    case 'AlterSystemStmt':
      objects = [node.setstmt?.name ?? '?'];
      note('privileged-operation', 'ALTER SYSTEM');
      break;
    case 'VariableSetStmt':
      if ((node.name === 'role' || node.name === 'session_authorization') && node.kind !== 'VAR_RESET' && node.kind !== 'VAR_SET_DEFAULT') {
        objects = (node.args ?? []).map((a: Ast) => a.A_Const?.sval?.sval ?? '?');
        note('privileged-operation', node.name === 'role' ? 'SET ROLE' : 'SET SESSION AUTHORIZATION');
      }
      break;
    case 'CreateExtensionStmt':
      objects = [node.extname];
      note('privileged-operation', 'CREATE EXTENSION');
      break;
    case 'CreateForeignServerStmt': {
      // A server data can be written to or read from: postgres_fdw, dblink_fdw, or any wrapper.
      objects = [node.servername];
      const host = optionString(node.options, 'host');
      note('data-exfiltration', `foreign server ${node.servername} (${node.fdwname})${host ? ` to host ${host}` : ''}`);
      break;
    }
    case 'CreateUserMappingStmt':
      objects = [node.servername];
      note('privileged-operation', `user mapping for ${roleSpecName(node.user)} on server ${node.servername}: stored credentials`);
      break;
    case 'CopyStmt': {
      objects = node.relation ? [relationName(node.relation)] : ['(query)'];
      const target = node.is_program === true ? `PROGRAM ${node.filename}` : node.filename ? `file ${node.filename}` : 'STDOUT';
      if (node.is_from === true) {
        if (node.is_program === true) note('privileged-operation', `COPY FROM ${target}`);
      } else note('data-exfiltration', `COPY TO ${target}`);
      command = node.is_from === true ? 'COPY FROM' : 'COPY TO';
      break;
    }
    case 'CreateFunctionStmt': {
      objects = [qualified(node.funcname)];
      const language = optionString(node.options, 'language') ?? 'sql';
      if (node.replace === true) note('function-tampering', 'OR REPLACE');
      if (node.replace === true && optionBoolean(node.options, 'security')) note('function-tampering', 'SECURITY DEFINER');
      inspectBody(language, text, false, options, note, depth, secretPayloads);
      break;
    }
    case 'DoStmt': {
      const language = optionString(node.args, 'language') ?? 'plpgsql';
      objects = ['DO block'];
      note('function-execution', `LANGUAGE ${language}`);
      inspectBody(language, optionString(node.args, 'as') ?? '', true, options, note, depth, secretPayloads);
      break;
    }
    case 'AlterFunctionStmt':
      objects = [qualified(node.func?.objname)];
      note('function-tampering', ...(node.actions ?? []).map((a: Ast) => functionAction(a.DefElem ?? {})));
      break;
    case 'AlterOwnerStmt':
    case 'RenameStmt':
      if (['OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_ROUTINE'].includes(node.objectType ?? node.renameType)) {
        objects = [qualified(node.object?.ObjectWithArgs?.objname)];
        note('function-tampering', type === 'AlterOwnerStmt' ? `OWNER TO ${node.newowner?.rolename ?? '?'}` : `RENAME TO ${node.newname}`);
      }
      break;
    case 'CreateTrigStmt':
      objects = [`${node.trigname} on ${relationName(node.relation)}`];
      note('function-tampering', `EXECUTE FUNCTION ${qualified(node.funcname)}`);
      break;
    case 'CreateEventTrigStmt':
    case 'AlterEventTrigStmt':
      objects = [node.trigname];
      note('function-tampering', 'event trigger');
      break;
    case 'CallStmt':
      objects = [qualified(node.funccall?.funcname)];
      note('function-execution', 'CALL');
      break;
    case 'DeleteStmt':
    case 'UpdateStmt':
    case 'InsertStmt': {
      const relation = relationName(node.relation);
      objects = [relation];
      if ((type === 'DeleteStmt' || options.viewWrites) && isView(relation, options.views)) note('view-delete', `${command} through a view`);
      break;
    }
    case 'SelectStmt':
      if (node.intoClause) {
        objects = [relationName(node.intoClause.rel)];
        note('table-created', 'SELECT INTO', ...persistence(node.intoClause.rel));
      }
      break;
  }
  inspectCalls(node, note);
  const wholeTables = type === 'SelectStmt' ? inspectSensitiveReads(node, options, note) : [];

  const useCase = PRIORITY.find((u) => found.has(u)) ?? null;
  const wholeLargeTable = wholeTables.length > 0 && useCase === 'data-exfiltration' && found.get(useCase)!.every((n) => n.startsWith(UNBOUNDED_READ) || wholeTables.includes(n.slice('calls '.length)));
  const notes = [...(useCase ? found.get(useCase)! : []), ...[...found.entries()].filter(([u]) => u !== useCase).flatMap(([u, n]) => [`also ${u}`, ...n])];
  if (useCase === 'data-exfiltration' || useCase === 'function-execution' || useCase === 'privileged-operation') {
    for (const name of found.get(useCase) ?? []) if (name.startsWith('calls ')) objects = [...new Set([...objects, name.slice(6)])];
  }
  const statement = secretPayloads.reduce((shown, encoded) => shown.split(encoded).join('***'), text);
  return { useCase, command, objects: objects.filter(Boolean), notes: [...new Set(notes)].filter((n) => !n.startsWith('calls ')), highRisk, statement, ...(wholeLargeTable ? { wholeLargeTable } : {}) };
}

/** A role as a statement names it: a name, PUBLIC, CURRENT_USER… */
function roleSpecName(spec: Ast | undefined): string {
  if (!spec) return '?';
  if (spec.rolename) return String(spec.rolename);
  return String(spec.roletype ?? '?').replace(/^ROLESPEC_/, '');
}

/** How an ALTER ROLE option reads in a note: NOSUPERUSER, PASSWORD changed (never its value), VALID UNTIL … */
function roleOptionLabel(option: Ast): string {
  const name = String(option.defname);
  if (name === 'password') return 'PASSWORD changed';
  if (name === 'validUntil') return `VALID UNTIL ${option.arg?.String?.sval ?? '?'}`;
  if (name === 'connectionlimit') return `CONNECTION LIMIT ${option.arg?.Integer?.ival ?? '?'}`;
  if (option.arg?.Boolean) return `${option.arg.Boolean.boolval === true ? '' : 'NO'}${name.toUpperCase()}`;
  return name.toUpperCase();
}

/** Function calls anywhere in the statement: built-ins that read files or change the server, and user-defined ones. */
function inspectCalls(node: Ast, note: (u: UseCase, ...n: string[]) => void): void {
  for (const call of collect(node, 'FuncCall')) {
    const parts: string[] = (call.funcname ?? []).map((p: Ast) => p.String?.sval ?? '?');
    const name = parts[parts.length - 1]!.toLowerCase();
    const schema = parts.length > 1 ? parts[0]!.toLowerCase() : undefined;
    const full = parts.join('.');
    if ((!schema || schema === 'pg_catalog') && EXFILTRATION_FUNCTIONS.has(name)) note('data-exfiltration', `calls ${full}`);
    // Rows read from tables into a large object are staged to leave (lo_export, a client's lo_get); a blob an
    // application stores from a parameter is not.
    else if ((!schema || schema === 'pg_catalog') && name === 'lo_from_bytea' && (node.fromClause ?? []).length > 0) note('data-exfiltration', `calls ${full}`, 'table data copied into a large object');
    else if ((!schema || schema === 'pg_catalog') && PRIVILEGED_FUNCTIONS.has(name)) {
      if (name !== 'set_config' || changesSensitiveSetting(call, node)) note('privileged-operation', `calls ${full}`);
    }
    else if (schema ? schema !== 'pg_catalog' : !BUILTIN.has(name)) note('function-execution', `calls ${full}`);
  }
}

/** Settings whose change through set_config() matters: who the session is, what gets logged, what is enforced. */
const SENSITIVE_SETTING = /^(role|session_authorization|session_replication_role|row_security|log_|pgaudit\.|default_transaction_read_only)/;

/** set_config('search_path', …) is routine (pg_dump does it); a sensitive name, or one not written out, is not. */
function changesSensitiveSetting(call: Ast, statement: Ast): boolean {
  const names = settingNames(call.args?.[0], statement);
  return names === undefined || names.some((name) => SENSITIVE_SETTING.test(name.toLowerCase()));
}

/**
 * The settings a set_config() call can change: its literal first argument, or, for pg_dump's
 * `SELECT set_config(name, …) FROM pg_settings WHERE name IN ('…')`, the names the WHERE clause allows. undefined:
 * not known from the text.
 */
function settingNames(argument: Ast | undefined, statement: Ast): string[] | undefined {
  const literal = argument?.A_Const?.sval?.sval;
  if (typeof literal === 'string') return [literal];
  const column = argument?.ColumnRef?.fields?.at(-1)?.String?.sval;
  const fromPgSettings = (statement.fromClause ?? []).length === 1 && /^pg_settings$/i.test(statement.fromClause[0]?.RangeVar?.relname ?? '');
  const where = statement.whereClause?.A_Expr;
  if (column !== 'name' || !fromPgSettings || where?.lexpr?.ColumnRef?.fields?.at(-1)?.String?.sval !== 'name') return undefined;
  const compared: Ast[] = where.kind === 'AEXPR_IN' ? (where.rexpr?.List?.items ?? []) : where.kind === 'AEXPR_OP' && where.name?.[0]?.String?.sval === '=' ? [where.rexpr] : [];
  const names = compared.map((item) => item?.A_Const?.sval?.sval);
  return names.length > 0 && names.every((name): name is string => typeof name === 'string') ? names : undefined;
}

/** Aggregates that return a figure, not the values they read (string_agg, array_agg, min and max return values). */
const SUMMARY_AGGREGATES = new Set(['count', 'sum', 'avg', 'stddev', 'stddev_pop', 'stddev_samp', 'variance', 'var_pop', 'var_samp', 'bool_and', 'bool_or', 'every']);

/** SELECT count(*) FROM t: one row of figures, whatever the table holds. A GROUP BY would return its keys. */
function onlySummaries(node: Ast): boolean {
  const targets: Ast[] = node.targetList ?? [];
  return !node.groupClause && targets.length > 0 && targets.every((t) => SUMMARY_AGGREGATES.has(String(t.ResTarget?.val?.FuncCall?.funcname?.at(-1)?.String?.sval ?? '').toLowerCase()));
}

/** A read of a sensitive table without a WHERE clause reads all of it, unless it returns only figures. */
/** Notes reads of sensitive tables, and of large ones without a LIMIT; returns the large tables read whole. */
function inspectSensitiveReads(node: Ast, options: ClassifyOptions, note: (u: UseCase, ...n: string[]) => void): string[] {
  const wholeTables: string[] = [];
  const large = options.largeTables;
  if ((options.sensitiveTables.length === 0 && !large?.size) || node.whereClause || onlySummaries(node)) return wholeTables;
  for (const relation of collect(node.fromClause ?? [], 'RangeVar')) {
    const name = relationName(relation);
    if (matchesAny(name, options.sensitiveTables) || matchesAny(relation.relname, options.sensitiveTables)) note('data-exfiltration', `bulk read of sensitive table ${name}`, `calls ${name}`);
    else if (large && !node.limitCount) {
      const rows = large.get(name.toLowerCase()) ?? large.get(String(relation.relname).toLowerCase());
      if (rows !== undefined) {
        note('data-exfiltration', `${UNBOUNDED_READ} ${name} (about ${rows} rows)`, `calls ${name}`);
        wholeTables.push(name);
      }
    }
  }
  return wholeTables;
}

/** Bodies in languages not allowed, and PL/pgSQL that EXECUTEs SQL decoded from encoded text. */
function inspectBody(language: string, text: string, isDo: boolean, options: ClassifyOptions, note: (u: UseCase, ...n: string[]) => void, depth: number, secretPayloads: string[]): void {
  const lang = language.toLowerCase();
  if (!options.allowedLanguages.map((l) => l.toLowerCase()).includes(lang)) {
    note('obfuscated-code', `LANGUAGE ${language} is not allow-listed`);
    return;
  }
  if (lang !== 'plpgsql') return;
  let tree: Ast;
  try {
    tree = parsePlPgSQLSync(isDo ? `CREATE FUNCTION dbsec_do_block() RETURNS void LANGUAGE plpgsql AS $dbsec_body$${text}$dbsec_body$` : text) as Ast;
  } catch {
    return;
  }
  const dynamic = [...collect(tree, 'PLpgSQL_stmt_dynexecute'), ...collect(tree, 'PLpgSQL_stmt_dynfors')].map((s) => s.query?.PLpgSQL_expr?.query);
  const queries = [...dynamic, ...[...collect(tree, 'PLpgSQL_stmt_return_query'), ...collect(tree, 'PLpgSQL_stmt_open')].map((s) => s.dynquery?.PLpgSQL_expr?.query)].filter(
    (q): q is string => typeof q === 'string',
  );
  for (const query of queries) {
    let expression: Ast;
    try {
      expression = parseSync(`SELECT ${query}`) as Ast;
    } catch {
      continue;
    }
    const decoders = collect(expression, 'FuncCall')
      .map((c) => String(c.funcname?.[c.funcname.length - 1]?.String?.sval ?? '').toLowerCase())
      .filter((n) => DECODING_FUNCTIONS.has(n));
    if (decoders.length > 0) note('obfuscated-code', `EXECUTE of text built with ${[...new Set(decoders)].join(', ')}`);
    for (const { encoded, payload } of decodedPayloads(expression)) {
      if (redactSecrets(payload) !== payload) secretPayloads.push(encoded);
      note('obfuscated-code', `decodes to: ${payload.length > DECODED_SHOWN ? `${payload.slice(0, DECODED_SHOWN - 1)}…` : payload}`);
      // What the payload would run is classified too: a hidden DROP TABLE is drop-table as well.
      if (depth < MAX_DECODE_DEPTH) {
        for (const hidden of classifySql(payload, options, depth + 1)) if (hidden.useCase && hidden.useCase !== 'unparsed') note(hidden.useCase, `in the decoded text: ${hidden.command}`);
      }
    }
  }
}

/** Encoded text dbsec decodes to show what obfuscated code runs; a longer payload is left encoded. */
const MAX_ENCODED_CHARS = 64 * 1024;
const DECODED_SHOWN = 300;
/** A payload that decodes to another encoded payload is opened this many times. */
const MAX_DECODE_DEPTH = 2;

/** The literal payloads of decode(…, 'base64' | 'hex' | 'escape') in an expression, decoded as UTF-8. */
function decodedPayloads(expression: Ast): Array<{ encoded: string; payload: string }> {
  const payloads: Array<{ encoded: string; payload: string }> = [];
  for (const call of collect(expression, 'FuncCall')) {
    if (String(call.funcname?.at(-1)?.String?.sval ?? '').toLowerCase() !== 'decode') continue;
    const [data, format] = (call.args ?? []).map((a: Ast) => a?.A_Const?.sval?.sval);
    if (typeof data !== 'string' || data.length > MAX_ENCODED_CHARS) continue;
    const encoding = String(format ?? '').toLowerCase();
    if (encoding === 'base64' || encoding === 'hex') payloads.push({ encoded: data, payload: Buffer.from(data, encoding).toString('utf8') });
  }
  return payloads;
}

/** Every node of a kind anywhere below `root`, e.g. every FuncCall. */
function collect(root: unknown, kind: string): Ast[] {
  const out: Ast[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) stack.push(...value);
    else if (value && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (key === kind && child && typeof child === 'object') out.push(child as Ast);
        stack.push(child);
      }
    }
  }
  return out;
}

function relationName(relation: Ast | undefined): string {
  if (!relation) return '?';
  return [relation.catalogname, relation.schemaname, relation.relname].filter(Boolean).join('.');
}

function qualified(parts: Ast[] | undefined): string {
  return (parts ?? []).map((p) => p.String?.sval ?? '?').join('.');
}

function objectName(object: Ast): string {
  if (object.List) return qualified(object.List.items);
  if (object.ObjectWithArgs) return qualified(object.ObjectWithArgs.objname);
  if (object.RangeVar) return relationName(object.RangeVar);
  if (object.String) return object.String.sval;
  if (object.TypeName) return qualified(object.TypeName.names);
  return '?';
}

function isView(relation: string, views: ReadonlySet<string>): boolean {
  const lower = relation.toLowerCase();
  return views.has(lower) || views.has(lower.split('.').pop()!);
}

function persistence(relation: Ast | undefined): string[] {
  return relation?.relpersistence === 'u' ? ['UNLOGGED'] : relation?.relpersistence === 't' ? ['TEMPORARY'] : [];
}

function optionString(options: Ast[] | undefined, name: string): string | undefined {
  const arg = (options ?? []).map((o) => o.DefElem).find((d) => d?.defname === name)?.arg;
  if (!arg) return undefined;
  if (arg.String) return arg.String.sval;
  if (arg.List) return arg.List.items.map((i: Ast) => i.String?.sval ?? '').join('');
  return undefined;
}

function optionBoolean(options: Ast[] | undefined, name: string): boolean {
  return (options ?? []).some((o) => o.DefElem?.defname === name && o.DefElem.arg?.Boolean?.boolval === true);
}

function functionAction(action: Ast): string {
  if (action.defname === 'security') return action.arg?.Boolean?.boolval === true ? 'SECURITY DEFINER' : 'SECURITY INVOKER';
  if (action.defname === 'set') return `SET ${action.arg?.VariableSetStmt?.name ?? ''}`.trim();
  return String(action.defname ?? '?').toUpperCase();
}

const ALTER_LABELS: Record<string, string> = {
  AT_DisableRowSecurity: 'DISABLE ROW LEVEL SECURITY',
  AT_NoForceRowSecurity: 'NO FORCE ROW LEVEL SECURITY',
  AT_DisableTrig: 'DISABLE TRIGGER',
  AT_DisableTrigAll: 'DISABLE TRIGGER ALL',
  AT_DisableTrigUser: 'DISABLE TRIGGER USER',
  AT_DropConstraint: 'DROP CONSTRAINT',
  AT_ChangeOwner: 'OWNER TO',
  AT_AddColumn: 'ADD COLUMN',
  AT_DropColumn: 'DROP COLUMN',
  AT_AlterColumnType: 'ALTER COLUMN TYPE',
  AT_AddConstraint: 'ADD CONSTRAINT',
  AT_EnableRowSecurity: 'ENABLE ROW LEVEL SECURITY',
  AT_SetLogged: 'SET LOGGED',
  AT_SetUnLogged: 'SET UNLOGGED',
};

function alterLabel(subtype: string): string {
  return ALTER_LABELS[subtype] ?? subtype.replace(/^AT_/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
}

const OBJECT_WORDS: Record<string, string> = { OBJECT_MATVIEW: 'MATERIALIZED VIEW', OBJECT_EVENT_TRIGGER: 'EVENT TRIGGER', OBJECT_FOREIGN_TABLE: 'FOREIGN TABLE' };

/** The command tag PostgreSQL would log for the node, e.g. DROP TABLE, CREATE ROLE, SELECT. */
function commandOf(type: string, node: Ast): string {
  const word = (object: string | undefined) => (object ? OBJECT_WORDS[object] ?? object.replace(/^OBJECT_/, '').replace(/_/g, ' ') : '');
  switch (type) {
    case 'DropStmt':
      return `DROP ${word(node.removeType)}`;
    case 'CreateStmt':
      return 'CREATE TABLE';
    case 'CreateTableAsStmt':
      return node.objtype === 'OBJECT_MATVIEW' ? 'CREATE MATERIALIZED VIEW' : 'CREATE TABLE AS';
    case 'AlterTableStmt':
      return `ALTER ${word(node.objtype ?? 'OBJECT_TABLE')}`;
    case 'CreateRoleStmt':
      return node.stmt_type === 'ROLESTMT_USER' ? 'CREATE USER' : node.stmt_type === 'ROLESTMT_GROUP' ? 'CREATE GROUP' : 'CREATE ROLE';
    case 'DropRoleStmt':
      return 'DROP ROLE';
    case 'ViewStmt':
      return `CREATE ${node.replace ? 'OR REPLACE ' : ''}VIEW`;
    case 'GrantStmt':
    case 'GrantRoleStmt':
      return node.is_grant ? 'GRANT' : 'REVOKE';
    case 'VariableSetStmt':
      return node.name === 'role' ? 'SET ROLE' : node.name === 'session_authorization' ? 'SET SESSION AUTHORIZATION' : 'SET';
    case 'CreateFunctionStmt':
      return `CREATE ${node.replace ? 'OR REPLACE ' : ''}${node.is_procedure ? 'PROCEDURE' : 'FUNCTION'}`;
    case 'DoStmt':
      return 'DO';
    case 'CreateTrigStmt':
      return 'CREATE TRIGGER';
    case 'CreateEventTrigStmt':
      return 'CREATE EVENT TRIGGER';
    case 'AlterEventTrigStmt':
      return 'ALTER EVENT TRIGGER';
    case 'AlterFunctionStmt':
      return `ALTER ${word(node.objtype ?? 'OBJECT_FUNCTION')}`;
    case 'AlterOwnerStmt':
      return `ALTER ${word(node.objectType)}`;
    case 'RenameStmt':
      return `ALTER ${word(node.renameType)}`;
    case 'SelectStmt':
      return node.intoClause ? 'SELECT INTO' : 'SELECT';
    case 'TruncateStmt':
      return 'TRUNCATE TABLE';
    case 'InsertStmt':
      return 'INSERT';
    case 'UpdateStmt':
      return 'UPDATE';
    case 'DeleteStmt':
      return 'DELETE';
    case 'CallStmt':
      return 'CALL';
    case 'CopyStmt':
      return 'COPY';
    case 'AlterSystemStmt':
      return 'ALTER SYSTEM';
    case 'CreateExtensionStmt':
      return 'CREATE EXTENSION';
    case 'AlterRoleStmt':
      return 'ALTER ROLE';
    case 'TransactionStmt':
      return String(node.kind ?? 'TRANS').replace(/^TRANS_STMT_/, '');
    default:
      return type.replace(/Stmt$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
  }
}
