/**
 * Sends mail through an SMTP server (nodemailer), configured as PocketBase's `settings.smtp` is
 * (tools/mailer/smtp.go): implicit TLS when `tls` is set, otherwise a plain connection that is
 * upgraded with STARTTLS whenever the server offers it; PLAIN or LOGIN authentication when a
 * username or password is set; `localName` for EHLO.
 */
import { randomBytes } from 'node:crypto';
import { htmlToText } from './html-to-text.ts';
import { formatAddress, type Mailer, type MailMessage, type SmtpSettings } from './mailer.ts';

/**
 * Bounds on one delivery. PocketBase sets none, but a request-email-change waits for its mail, and a
 * server that accepts the connection and then stalls must not hold it for nodemailer's default
 * ten minutes.
 */
const TIMEOUTS = { connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 60_000 } as const;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);

export class SmtpMailer implements Mailer {
  constructor(private readonly settings: SmtpSettings) {}

  async send(message: MailMessage): Promise<void> {
    const s = this.settings;
    const credentials = !!(s.username || s.password);
    // Loaded on the first mail: a server that never sends one never loads nodemailer.
    const { default: nodemailer } = await import('nodemailer');
    const transport = nodemailer.createTransport({
      host: s.host,
      port: s.port,
      secure: !!s.tls,
      // Security: Go's PLAIN and PocketBase's LOGIN refuse to send credentials over an unencrypted
      // connection to anything but loopback; requiring STARTTLS in that case keeps the same promise.
      requireTLS: credentials && !s.tls && !LOOPBACK.has(s.host),
      name: s.localName || 'localhost',
      auth: credentials ? { user: s.username ?? '', pass: s.password ?? '', method: s.authMethod === 'LOGIN' ? 'LOGIN' : 'PLAIN' } : undefined,
      ...TIMEOUTS,
    });
    const domain = message.from?.address.split('@');
    try {
      await transport.sendMail({
        from: message.from ? formatAddress(message.from) : undefined,
        to: message.to.map(formatAddress),
        subject: message.subject,
        html: message.html,
        text: message.text ?? htmlToText(message.html),
        // PocketBase's form of the id: 15 random characters at the sender's domain.
        messageId: domain?.length === 2 ? `<${randomBytes(12).toString('base64url').slice(0, 15)}@${domain[1]}>` : undefined,
      });
    } finally {
      transport.close();
    }
  }
}
