/**
 * Outgoing mail. `Mailer` is the one interface the domain sees; `SmtpMailer` (smtp-mailer.ts) sends
 * through a server, `LogMailer` (log-mailer.ts) writes the mail to the log, and `settingsMailer`
 * (settings-mailer.ts) picks one of them for every message from the current settings.
 */

export interface MailAddress {
  readonly name?: string;
  readonly address: string;
}

export interface MailMessage {
  /** Absent: the sender in `settings.meta` (settingsMailer fills it in). */
  readonly from?: MailAddress;
  readonly to: readonly MailAddress[];
  readonly subject: string;
  readonly html: string;
  /** Plain-text part; absent: derived from `html`. */
  readonly text?: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/** PocketBase's `settings.smtp`. */
export interface SmtpSettings {
  readonly enabled: boolean;
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  /** 'PLAIN' (also for '') or 'LOGIN'. */
  readonly authMethod?: string;
  /** Implicit TLS from the first byte (port 465 style); false still upgrades with STARTTLS when offered. */
  readonly tls?: boolean;
  /** The name sent with EHLO; '' means 'localhost', as in PocketBase. */
  readonly localName?: string;
}

/** What the mailer reads of PocketBase's settings JSON: `smtp`, and the sender in `meta`. */
export interface MailSettings {
  readonly smtp: SmtpSettings;
  readonly meta: { readonly senderName: string; readonly senderAddress: string };
}

/** The settings as they are now; called once per message. */
export type MailSettingsSource = () => MailSettings | Promise<MailSettings>;

/** `"Name" <address>` or `<address>`, as Go's mail.Address prints it. */
export function formatAddress(a: MailAddress): string {
  return a.name ? `${JSON.stringify(a.name)} <${a.address}>` : `<${a.address}>`;
}
