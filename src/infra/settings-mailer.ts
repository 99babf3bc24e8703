import type { Logger } from '../kernel/logger.ts';
import { LogMailer } from './log-mailer.ts';
import type { Mailer, MailSettingsSource } from './mailer.ts';
import { SmtpMailer } from './smtp-mailer.ts';

/**
 * The mailer of a running server: SMTP when `settings.smtp.enabled`, the log otherwise. The
 * sender defaults to `meta.senderName <meta.senderAddress>`. The settings are read for every
 * message, as PocketBase's `NewMailClient` does: a change of `settings.smtp` applies to the next
 * mail, with no restart.
 */
export function settingsMailer(settings: MailSettingsSource, logger: Logger): Mailer {
  const log = new LogMailer(logger);
  return {
    async send(message) {
      const current = await settings();
      const from = message.from ?? { name: current.meta.senderName, address: current.meta.senderAddress };
      const mailer = current.smtp.enabled ? new SmtpMailer(current.smtp) : log;
      await mailer.send({ ...message, from });
    },
  };
}
