import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * RDS checks an IAM auth token with its own PAM module, which no local PostgreSQL has. This listener speaks just enough
 * of PostgreSQL's protocol (v3, https://www.postgresql.org/docs/current/protocol-flow.html) to stand in for it: it
 * asks for a cleartext password (AuthenticationCleartextPassword), keeps what the client sends, and refuses it as RDS
 * does ("PAM authentication failed", SQLSTATE 28000).
 */
export async function passwordCatcher(): Promise<{ port: number; passwords: string[]; stop(): Promise<void> }> {
  const passwords: string[] = [];
  const server: Server = createServer((socket) => {
    let buffered = Buffer.alloc(0);
    let user: string | undefined;
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (user === undefined && buffered.length >= 4 && buffered.length >= buffered.readInt32BE(0)) {
        user = /user\0([^\0]*)/.exec(buffered.subarray(8, buffered.readInt32BE(0)).toString())?.[1] ?? '?';
        buffered = buffered.subarray(buffered.readInt32BE(0));
        socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]));
      }
      if (user !== undefined && buffered.length >= 5 && buffered[0] === 0x70 && buffered.length >= 1 + buffered.readInt32BE(1)) {
        passwords.push(buffered.subarray(5, buffered.readInt32BE(1)).toString().replace(/\0$/, ''));
        const fields = `SFATAL\0C28000\0MPAM authentication failed for user "${user}"\0\0`;
        const body = Buffer.from(fields);
        const header = Buffer.alloc(5);
        header.write('E');
        header.writeInt32BE(body.length + 4, 1);
        socket.end(Buffer.concat([header, body]));
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    passwords,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
