// The realtime bench's subscribers (bench/realtime-fanout.ts): N raw SSE connections in a process
// of their own, so that reading events does not compete with the server for its core. Each
// connection reads PB_CONNECT, subscribes to the topic (signed in with its token, when given), and
// measures each event's latency from the wall-clock time the writer put in the record's title.
// Driven over IPC: 'ready' once every connection is subscribed; {collect} is answered with the
// figures so far, {exit} ends it.
// Usage: spawned by bench/realtime-fanout.ts as `node --import tsx bench/realtime-subscribers.ts <url> <tokens.json> <topic>`.
import http from 'node:http';
import { readFileSync } from 'node:fs';

const [url, tokensFile, topic] = process.argv.slice(2);
const tokens = JSON.parse(readFileSync(tokensFile, 'utf8')) as string[];
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const wallNow = () => performance.timeOrigin + performance.now();

const latencies: number[] = [];
let lastAt = 0;
let closed = 0;

function subscribe(clientId: string, token: string): Promise<void> {
  const body = JSON.stringify({ clientId, subscriptions: [topic] });
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/api/realtime`, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(token ? { authorization: token } : {}) },
    });
    req.once('response', (res) => {
      res.resume();
      if (res.statusCode === 204) resolve();
      else reject(new Error(`subscribe: ${res.statusCode}`));
    });
    req.once('error', reject);
    req.end(body);
  });
}

/** One SSE connection; resolves once subscribed. */
function connect(token: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${url}/api/realtime`, { agent: false });
    req.once('error', reject);
    req.once('response', (res) => {
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.slice(block.indexOf('\ndata:') + 6);
          if (block.includes('\nevent:PB_CONNECT\n')) {
            subscribe(JSON.parse(data).clientId, token).then(resolve, reject);
          } else {
            const now = wallNow();
            latencies.push(now - Number(JSON.parse(data).record.title));
            lastAt = now;
          }
        }
      });
      res.once('close', () => closed++);
    });
  });
}

// Connections are opened in batches: a thousand SYNs at once overflow the listen backlog.
for (let i = 0; i < tokens.length; i += 100) await Promise.all(tokens.slice(i, i + 100).map(connect));
process.send!({ ready: true });

// {collect}: the figures so far; {exit}: done.
process.on('message', (m: { exit?: boolean }) => {
  if (m.exit) process.exit(0);
  const sorted = Float64Array.from(latencies).sort();
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
  process.send!({ received: sorted.length, lastAt, closed, p50: at(0.5), p99: at(0.99), max: at(1) });
});
