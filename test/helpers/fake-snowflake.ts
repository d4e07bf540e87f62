/**
 * A fake Snowflake REST endpoint on loopback for the Node driver: login, JSON query results
 * (`queryResultFormat: "json"`, `rowset` of strings typed by `rowtype`), session delete and
 * telemetry. Queries are answered from a list of canned results matched on the SQL text; every
 * statement with its binds is recorded so a test can check what the adapter sent.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface Canned {
  match: RegExp;
  columns: { name: string; type: 'fixed' | 'text' | 'boolean' }[];
  rows: (string | null)[][];
}

export interface FakeSnowflake {
  url: string;
  statements: { sqlText: string; bindings: unknown }[];
  close(): Promise<void>;
}

export async function startFakeSnowflake(canned: Canned[]): Promise<FakeSnowflake> {
  const statements: FakeSnowflake['statements'] = [];
  const ok = (data: unknown) => JSON.stringify({ data, code: null, message: null, success: true });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip' && raw.length > 0) raw = gunzipSync(raw);
      const body = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
      const url = req.url ?? '';
      res.setHeader('content-type', 'application/json');
      if (url.startsWith('/session/v1/login-request')) {
        return res.end(
          ok({
            token: 'session-token',
            masterToken: 'master-token',
            validityInSeconds: 3600,
            masterValidityInSeconds: 14400,
            sessionId: 1,
            parameters: [],
            sessionInfo: {
              databaseName: 'ANALYTICS',
              schemaName: 'KLAVIYO',
              warehouseName: 'WH',
              roleName: 'LOADER',
            },
          }),
        );
      }
      if (url.startsWith('/queries/v1/query-request')) {
        const sqlText = String(body.sqlText ?? '');
        statements.push({ sqlText, bindings: body.bindings ?? null });
        const hit = canned.find((c) => c.match.test(sqlText)) ?? {
          columns: [{ name: 'status', type: 'text' as const }],
          rows: [['ok']],
        };
        return res.end(
          ok({
            queryId: `q-${statements.length}`,
            parameters: [],
            rowtype: hit.columns.map((c) => ({
              name: c.name,
              type: c.type,
              nullable: true,
              scale: 0,
              precision: 38,
              length: null,
              byteLength: null,
              database: '',
              schema: '',
              table: '',
              collation: null,
            })),
            rowset: hit.rows,
            total: hit.rows.length,
            returned: hit.rows.length,
            queryResultFormat: 'json',
          }),
        );
      }
      if (url.startsWith('/session')) return res.end(ok(null));
      if (url.startsWith('/telemetry')) return res.end(ok(null));
      res.statusCode = 404;
      res.end(JSON.stringify({ success: false, message: `no fake for ${url}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    statements,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
