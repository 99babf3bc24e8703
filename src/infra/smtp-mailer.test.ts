import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpServer, type TestSmtpServer } from '../../test/support/smtp.ts';
import { LogMailer } from './log-mailer.ts';
import { settingsMailer } from './settings-mailer.ts';
import { SmtpMailer } from './smtp-mailer.ts';
import type { MailSettings } from './mailer.ts';
import type { Logger } from '../kernel/logger.ts';

let smtp: TestSmtpServer;
const credentials = { username: 'mailer', password: 's3cret' };

beforeAll(async () => {
  smtp = await startSmtpServer({ credentials });
});
afterAll(async () => {
  await smtp?.close();
});

const message = (to: string) => ({
  from: { name: 'Support "Desk"', address: 'support@example.com' },
  to: [{ address: to }],
  subject: 'Héllo',
  html: '<p>Go <a href="http://x.test/t/abc">here</a></p>',
});

describe('SmtpMailer', () => {
  it.each(['', 'PLAIN', 'LOGIN'])('authenticates with authMethod %j and sends HTML with a text part', async (authMethod) => {
    const to = `plain-${authMethod || 'default'}@example.com`;
    await new SmtpMailer({ enabled: true, host: smtp.host, port: smtp.port, ...credentials, authMethod }).send(message(to));
    const mail = await smtp.take(to);
    expect(mail).toMatchObject({
      from: '"Support \\"Desk\\"" <support@example.com>',
      subject: 'Héllo',
      auth: { method: authMethod || 'PLAIN', username: 'mailer' },
      clientName: 'localhost',
    });
    expect(mail.html).toBe('<p>Go <a href="http://x.test/t/abc">here</a></p>');
    expect(mail.text.trim()).toBe('Go [here](http://x.test/t/abc)');
  });

  it('fails when the server refuses the credentials', async () => {
    const mailer = new SmtpMailer({ enabled: true, host: smtp.host, port: smtp.port, username: 'mailer', password: 'wrong' });
    await expect(mailer.send(message('refused@example.com'))).rejects.toThrow();
  });
});

describe('settingsMailer', () => {
  it('reads the settings for every message: the log while SMTP is off, the server once it is on', async () => {
    const lines: unknown[] = [];
    const logger = { info: (obj: unknown) => void lines.push(obj), warn() {}, error() {}, debug() {}, child: () => logger } as Logger;
    let settings: MailSettings = {
      smtp: { enabled: false, host: smtp.host, port: smtp.port, ...credentials },
      meta: { senderName: 'Acme', senderAddress: 'acme@example.com' },
    };
    const mailer = settingsMailer(() => settings, logger);
    const { from: _from, ...noSender } = message('switch@example.com');
    await mailer.send(noSender);
    expect(lines).toEqual([
      { from: '"Acme" <acme@example.com>', to: ['<switch@example.com>'], subject: 'Héllo', text: 'Go [here](http://x.test/t/abc)' },
    ]);
    settings = { ...settings, smtp: { ...settings.smtp, enabled: true } };
    await mailer.send(noSender);
    expect((await smtp.take('switch@example.com')).from).toBe('"Acme" <acme@example.com>');
    expect(lines).toHaveLength(1);
  });

  it('LogMailer keeps the text part it is given', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = { info: (obj: Record<string, unknown>) => void lines.push(obj), warn() {}, error() {}, debug() {}, child: () => logger } as unknown as Logger;
    await new LogMailer(logger).send({ to: [{ address: 'a@example.com', name: 'A' }], subject: 's', html: '<p>h</p>', text: 't' });
    expect(lines[0]).toMatchObject({ to: ['"A" <a@example.com>'], text: 't' });
  });
});
