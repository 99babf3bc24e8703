import type { Logger } from '../kernel/logger.ts';
import { htmlToText } from './html-to-text.ts';
import { formatAddress, type Mailer, type MailMessage } from './mailer.ts';

/**
 * Writes each mail (recipients, subject, plain-text body) to the log at info instead of sending
 * it: what a server without SMTP does. The body carries the link and its token, so an operator
 * (or a developer) can complete a flow from the log. That is the trade-off PocketBase makes in
 * dev mode; whoever reads the log can already read the database.
 */
export class LogMailer implements Mailer {
  constructor(private readonly logger: Logger) {}

  async send(message: MailMessage): Promise<void> {
    this.logger.info(
      {
        from: message.from ? formatAddress(message.from) : undefined,
        to: message.to.map(formatAddress),
        subject: message.subject,
        // The plain-text part carries every link as [label](href) without the HTML layout's noise.
        text: message.text ?? htmlToText(message.html),
      },
      'mail not sent (SMTP is not enabled in the settings)',
    );
  }
}
