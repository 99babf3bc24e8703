import type { Database } from '../db/dialect.ts';
import type { Mailer } from '../infra/mailer.ts';
import type { RateLimiter } from '../infra/rate-limit.ts';
import type { EmailFlowService } from './auth/email-flows.ts';
import type { AuthService } from './auth/service.ts';
import type { CollectionService } from './collections/service.ts';
import type { CollectionStore } from './collections/store.ts';
import type { RecordService } from './records/service.ts';
import type { CollectionStatistics } from './records/statistics.ts';
import type { SettingsService } from './settings/service.ts';

/** Everything the transports (HTTP, CLI) call into; built once by `cli/wire.ts`. */
export interface Services {
  readonly db: Database;
  readonly schema: CollectionStore;
  readonly auth: AuthService;
  /** Verification, password reset and email change by mail. */
  readonly emailFlows: EmailFlowService;
  /** Sends through SMTP when `settings.smtp.enabled`, else writes the mail to the log. */
  readonly mailer: Mailer;
  readonly collections: CollectionService;
  readonly records: RecordService;
  /** Figures about the data for the client cost estimate, refreshed in the background. */
  readonly statistics: CollectionStatistics;
  /** The application settings (PocketBase's `_params` row): `settings.get()` for the current ones. */
  readonly settings: SettingsService;
  /** Request counters for `settings.rateLimits` (in memory; one process). */
  readonly rateLimiter: RateLimiter;
}
