/**
 * A real SMTP server on a random loopback port (npm `smtp-server`) that keeps every message it
 * receives, parsed (npm `mailparser`), for tests to read: recipients, subject, links and tokens.
 */
import type { AddressInfo } from 'node:net';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** The `From` header as written, e.g. `"Support" <support@example.com>`. */
  from: string;
  /** The envelope recipients. */
  to: string[];
  subject: string;
  html: string;
  text: string;
  /** How the client authenticated: method and username, or undefined. */
  auth?: { method: string; username: string };
  /** The name the client gave in EHLO. */
  clientName: string;
}

export interface TestSmtpServer {
  readonly host: string;
  readonly port: number;
  /** Every mail received so far, oldest first. */
  readonly mails: ReceivedMail[];
  /** The first mail to `address` not taken before, waiting up to `timeoutMs` for it. */
  take(address: string, timeoutMs?: number): Promise<ReceivedMail>;
  /** Waits `ms` and returns the mails that arrived meanwhile (to show that nothing was sent). */
  settle(ms?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

export interface SmtpServerOptions {
  /** Accepted credentials; absent: authentication is optional and anything is accepted. */
  credentials?: { username: string; password: string };
}

const addressText = (a: AddressObject | AddressObject[] | undefined): string =>
  (Array.isArray(a) ? a.map((x) => x.text).join(', ') : a?.text) ?? '';

export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const mails: ReceivedMail[] = [];
  const taken = new Set<ReceivedMail>();
  const waiters = new Set<() => void>();
  const server = new SMTPServer({
    // Plain SMTP on loopback: no STARTTLS (the built-in certificate is for tests only anyway).
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: !options.credentials,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      const want = options.credentials;
      if (want && (auth.username !== want.username || auth.password !== want.password)) {
        return callback(new Error('Invalid username or password'));
      }
      callback(null, { user: { method: auth.method, username: auth.username ?? '' } });
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          mails.push({
            from: addressText(parsed.from),
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: parsed.subject ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            text: parsed.text ?? '',
            auth: session.user as ReceivedMail['auth'],
            clientName: session.hostNameAppearsAs,
          });
          for (const wake of waiters) wake();
          callback();
        },
        (e: Error) => callback(e),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    host: '127.0.0.1',
    port,
    mails,
    async take(address, timeoutMs = 10_000) {
      const find = () => mails.find((m) => !taken.has(m) && m.to.includes(address));
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const mail = find();
        if (mail) {
          taken.add(mail);
          return mail;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no mail to ${address} within ${timeoutMs} ms (received: ${mails.map((m) => m.to.join(',')).join('; ') || 'none'})`);
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            waiters.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, left);
          waiters.add(wake);
        });
      }
    },
    async settle(ms = 300) {
      const before = mails.length;
      await new Promise((r) => setTimeout(r, ms));
      return mails.slice(before);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
