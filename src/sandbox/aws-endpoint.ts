import { systemClock } from '../clock.js';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP endpoint that speaks the AWS wire protocols the SDK v3 clients use (JSON 1.0/1.1 with
 * x-amz-target, the RDS/EC2/STS query protocols with an Action form field, and REST-JSON routed by method and path),
 * so tests and `dbsec demo` drive the
 * real clients. Signatures are not checked. See shared/aws-wire.md for the protocol facts it follows.
 */

export type Protocol = 'json1.0' | 'json1.1' | 'query' | 'ec2' | 'rest-json';

export interface AwsRequest {
  service: string;
  operation: string;
  protocol: Protocol;
  /** Parsed JSON body, or the form fields of a query request. */
  input: Record<string, any>;
  /** The region the request was signed for (SigV4's credential scope): what a real regional endpoint serves. */
  region?: string;
  /** The access key it was signed with: the sandbox's assumed-role keys name their account (ASIA + account id). */
  accessKeyId?: string;
  /** When it arrived (epoch ms, the real clock): tests of client-side rate limits look at the spacing. */
  receivedAt?: number;
}

export interface AwsReply {
  status?: number;
  body: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export type Handler = (request: AwsRequest) => AwsReply | Promise<AwsReply>;

export type FaultKind = 'throttle' | 'access-denied' | 'expired' | 'malformed' | 'server-error';

export interface Fault {
  operation: string;
  kind: FaultKind;
  /** How many requests it hits; Infinity for every one. */
  times: number;
}

const JSON_TARGETS: Record<string, { service: string; protocol: Protocol }> = {
  Logs_20140328: { service: 'logs', protocol: 'json1.1' },
  CloudTrail_20131101: { service: 'cloudtrail', protocol: 'json1.1' },
  'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101': { service: 'cloudtrail', protocol: 'json1.1' },
  TrentService: { service: 'kms', protocol: 'json1.1' },
  secretsmanager: { service: 'secretsmanager', protocol: 'json1.1' },
  GraniteServiceVersion20100801: { service: 'cloudwatch', protocol: 'json1.0' },
  StarlingDoveService: { service: 'config', protocol: 'json1.1' },
  AWSOrganizationsV20161128: { service: 'organizations', protocol: 'json1.1' },
};

const QUERY_VERSIONS: Record<string, { service: string; protocol: Protocol }> = {
  '2014-10-31': { service: 'rds', protocol: 'query' },
  '2016-11-15': { service: 'ec2', protocol: 'ec2' },
  '2011-06-15': { service: 'sts', protocol: 'query' },
};

/** REST-JSON operations by "METHOD /path" (Security Hub's restJson1 protocol). */
const REST_ROUTES: Record<string, { service: string; operation: string }> = {
  'POST /findings/import': { service: 'securityhub', operation: 'BatchImportFindings' },
};

export class AwsEndpoint {
  readonly handlers = new Map<string, Handler>();
  readonly faults: Fault[] = [];
  /** Every request served, for tests that count pages or retries. */
  readonly requests: AwsRequest[] = [];
  private server?: Server;
  /** Added before every reply: the bench uses it to stand in for a real region's round trip. */
  latencyMs = 0;
  /** Bytes of every reply body sent: the bench compares what two ways of counting bring over the wire. */
  bytesSent = 0;
  /** Every this-many-th request is throttled (the service's own throttling error); 20 is the bench's 5 %. 0: none. */
  throttleEvery = 0;

  /** Registers a handler for "service.Operation", e.g. "cloudtrail.LookupEvents". */
  on(key: string, handler: Handler): this {
    this.handlers.set(key, handler);
    return this;
  }

  inject(operation: string, kind: FaultKind, times = 1): void {
    this.faults.push({ operation, kind, times });
  }

  count(operation: string): number {
    return this.requests.filter((r) => r.operation === operation).length;
  }

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req)
        .then((reply) => {
          res.writeHead(reply.status ?? 200, { 'content-type': reply.contentType ?? 'application/json', 'x-amzn-requestid': 'sandbox', ...reply.headers });
          this.bytesSent += Buffer.byteLength(reply.body);
          res.end(reply.body);
        })
        .catch((err) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(err));
        });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async handle(req: IncomingMessage): Promise<AwsReply> {
    const body = await readBody(req);
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const parsed = parseRequest(req, body);
    const scope = /Credential=([^/]+)\/\d{8}\/([^/]+)\//.exec(String(req.headers.authorization ?? ''));
    const request = parsed && scope ? { ...parsed, accessKeyId: scope[1], region: scope[2], receivedAt: systemClock().getTime() } : parsed;
    if (!request) return { status: 400, body: '{"__type":"UnknownOperationException","message":"sandbox cannot route this request"}' };
    this.requests.push(request);
    if (this.throttleEvery > 0 && this.requests.length % this.throttleEvery === 0) return faultReply(request, 'throttle');
    const fault = this.faults.find((f) => f.operation === request.operation && f.times > 0);
    if (fault) {
      fault.times--;
      return faultReply(request, fault.kind);
    }
    const handler = this.handlers.get(`${request.service}.${request.operation}`);
    if (!handler) return errorReply(request, 400, 'UnknownOperationException', `the sandbox does not serve ${request.service}.${request.operation}`);
    return handler(request);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseRequest(req: IncomingMessage, body: string): AwsRequest | undefined {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    const dot = target.lastIndexOf('.');
    const route = JSON_TARGETS[target.slice(0, dot)];
    if (!route) return undefined;
    return { ...route, operation: target.slice(dot + 1), input: body ? JSON.parse(body) : {} };
  }
  const rest = REST_ROUTES[`${req.method} ${(req.url ?? '').split('?')[0]}`];
  if (rest) return { ...rest, protocol: 'rest-json', input: body ? JSON.parse(body) : {} };
  const form = Object.fromEntries(new URLSearchParams(body));
  const route = QUERY_VERSIONS[form.Version ?? ''];
  if (!route || !form.Action) return undefined;
  return { ...route, operation: form.Action, input: form };
}

const FAULTS: Record<FaultKind, { status: number; json: string; query: string; ec2: string; message: string }> = {
  // REST-JSON services answer a throttle with 429 (Security Hub: TooManyRequestsException).
  throttle: { status: 400, json: 'ThrottlingException', query: 'Throttling', ec2: 'RequestLimitExceeded', message: 'Rate exceeded' },
  'access-denied': { status: 400, json: 'AccessDeniedException', query: 'AccessDenied', ec2: 'UnauthorizedOperation', message: 'User: arn:aws:iam::123456789012:user/auditor is not authorized to perform this action' },
  expired: { status: 400, json: 'ExpiredTokenException', query: 'ExpiredToken', ec2: 'RequestExpired', message: 'The security token included in the request is expired' },
  'server-error': { status: 500, json: 'InternalFailure', query: 'InternalFailure', ec2: 'InternalError', message: 'internal failure' },
  malformed: { status: 200, json: '', query: '', ec2: '', message: '' },
};

function faultReply(request: AwsRequest, kind: FaultKind): AwsReply {
  if (kind === 'malformed') {
    const xml = request.protocol === 'query' || request.protocol === 'ec2';
    return { body: xml ? '<DescribeDBInstancesResponse><unclosed' : '{"events": [ {"message": ', contentType: xml ? 'text/xml' : 'application/x-amz-json-1.1' };
  }
  const fault = FAULTS[kind];
  const code = request.protocol === 'query' ? fault.query : request.protocol === 'ec2' ? fault.ec2 : fault.json;
  const status = kind === 'throttle' && request.protocol === 'ec2' ? 503 : kind === 'throttle' && request.protocol === 'rest-json' ? 429 : fault.status;
  return errorReply(request, status, code, fault.message);
}

export function errorReply(request: AwsRequest, status: number, code: string, message: string): AwsReply {
  if (request.protocol === 'query') {
    return {
      status,
      contentType: 'text/xml',
      body: `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>sandbox</RequestId></ErrorResponse>`,
    };
  }
  if (request.protocol === 'ec2') {
    return { status, contentType: 'text/xml', body: `<Response><Errors><Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error></Errors><RequestID>sandbox</RequestID></Response>` };
  }
  if (request.protocol === 'rest-json') return { status, contentType: 'application/json', headers: { 'x-amzn-errortype': code }, body: JSON.stringify({ message }) };
  return {
    status,
    contentType: request.protocol === 'json1.0' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1',
    body: JSON.stringify({ __type: code, message }),
  };
}

export function jsonReply(request: AwsRequest, value: unknown): AwsReply {
  const contentType = request.protocol === 'json1.0' ? 'application/x-amz-json-1.0' : request.protocol === 'rest-json' ? 'application/json' : 'application/x-amz-json-1.1';
  return { contentType, body: JSON.stringify(value) };
}

/** The RDS query protocol's envelope: <OpResponse><OpResult>…</OpResult><ResponseMetadata/></OpResponse>. */
export function queryReply(operation: string, resultXml: string): AwsReply {
  return {
    contentType: 'text/xml',
    body: `<${operation}Response xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><${operation}Result>${resultXml}</${operation}Result><ResponseMetadata><RequestId>sandbox</RequestId></ResponseMetadata></${operation}Response>`,
  };
}

export function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Pagination by an opaque token: the last page carries none (a repeated token would loop the SDK forever). */
export function page<T>(items: readonly T[], token: string | undefined, size: number): { items: T[]; next?: string } {
  const start = token ? Number(token.replace(/^page-/, '')) : 0;
  const end = start + size;
  return { items: items.slice(start, end), ...(end < items.length ? { next: `page-${end}` } : {}) };
}
