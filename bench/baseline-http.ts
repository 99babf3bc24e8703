// The HTTP shell the hand-written baselines share: node:http, the benchmark's three routes, JSON
// in and out. Each baseline passes its database work; a handler may answer synchronously
// (better-sqlite3) or with a promise (the server drivers), and synchronous answers are sent
// without a promise in between, so the SQLite baseline keeps its bare speed.
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';

export type Row = Record<string, unknown>;
type Answer<T> = T | Promise<T>;

export interface NewPost {
  id: string;
  title: string;
  views: number;
  published: boolean;
  /** created = updated, PocketBase's format. */
  now: string;
}

/** A post from a create request's parsed JSON body: a fresh id and timestamp, no validation. */
export function newPost(input: Record<string, unknown>): NewPost {
  return {
    id: randomBytes(8).toString('hex').slice(0, 15),
    title: String(input.title ?? ''),
    views: Number(input.views ?? 0),
    published: !!input.published,
    now: new Date().toISOString().replace('T', ' '),
  };
}

export interface BaselineHandlers {
  /** The page (30, filter + sort) and the total, already as JSON rows. */
  list(min: number): Answer<{ items: Row[]; total: number }>;
  view(id: string): Answer<Row | undefined>;
  create(post: NewPost): Answer<Row>;
  /** Closes the database; requests still in flight may fail then (the run ending, not an error). */
  close?(): Promise<void>;
}

export function serveBaseline(port: number, h: BaselineHandlers): void {
  let stopping = false;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const fail = (e: unknown) => {
      if (!stopping) console.error(e);
      send(500, { status: 500 });
    };
    const answer = <T>(value: Answer<T>, ok: (v: T) => void) => {
      if (value instanceof Promise) value.then(ok, fail);
      else ok(value);
    };
    if (req.method === 'GET' && url.pathname === '/list') {
      return answer(h.list(Number(url.searchParams.get('min') ?? 0)), ({ items, total }) =>
        send(200, { items, page: 1, perPage: 30, totalItems: total, totalPages: Math.ceil(total / 30) }),
      );
    }
    if (req.method === 'GET' && url.pathname.startsWith('/view/')) {
      return answer(h.view(url.pathname.slice(6)), (row) => (row ? send(200, row) : send(404, { status: 404 })));
    }
    if (req.method === 'POST' && url.pathname === '/create') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        answer(h.create(newPost(JSON.parse(body || '{}'))), (row) => send(200, row));
      });
      return;
    }
    send(404, { status: 404 });
  });
  server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
  const stop = () => {
    stopping = true;
    void (h.close?.() ?? Promise.resolve()).finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
