import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the fake server received. */
export interface RecordedRequest {
  method: string;
  /** The path and query, e.g. `/bucket/key?x-id=PutObject`. */
  url: string;
  headers: IncomingMessage['headers'];
}

/** What the fake server answers: a reply, or `'hang'` to never answer (for timeouts and aborts). */
export type FakeReply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/** An HTTP server on 127.0.0.1 that answers like S3 as each test scripts it, and records what it got. */
export interface FakeS3Server {
  /** `http://127.0.0.1:PORT`. */
  endpoint: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Replaces how the server answers. */
  reply(handler: (request: RecordedRequest) => FakeReply): void;
  /** Closes the server and every connection (hung ones included). */
  close(): Promise<void>;
}

/** The XML body S3 sends with an error status. */
export function s3ErrorBody(code: string, message = code): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>fake</RequestId></Error>`;
}

/** A reply of `status` with the S3 error `code`. */
export function s3Error(status: number, code: string): FakeReply {
  return { status, headers: { 'content-type': 'application/xml' }, body: s3ErrorBody(code) };
}

/**
 * Starts a scripted fake S3 endpoint. It exists because the failures worth testing (a 503 storm,
 * a 500 after a conditional write, a reply that never comes) cannot be made to happen on demand
 * on a real store.
 */
export async function startFakeS3Server(): Promise<FakeS3Server> {
  const requests: RecordedRequest[] = [];
  let handler: (request: RecordedRequest) => FakeReply = () => s3Error(500, 'InternalError');
  const hung = new Set<ServerResponse>();

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
    });
    request.on('end', () => {
      const recorded: RecordedRequest = { method: request.method ?? '', url: request.url ?? '', headers: request.headers };
      requests.push(recorded);
      const reply = handler(recorded);
      if (reply === 'hang') {
        hung.add(response);
        return;
      }
      response.writeHead(reply.status, { 'x-amz-request-id': 'fake', ...reply.headers });
      response.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    reply(next) {
      handler = next;
    },
    async close() {
      for (const response of hung) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}
