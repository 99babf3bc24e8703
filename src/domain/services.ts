import type { Database } from '../db/dialect.ts';
import type { Mailer } from '../infra/mailer.ts';
import type { RateLimiter } from '../infra/rate-limit.ts';
import type { EmailFlowService } from './auth/email-flows.ts';
import type { AuthService } from './auth/service.ts';
import type { CollectionService } from './collections/service.ts';
import type { CollectionStore } from './collections/store.ts';
import type { FileService } from './files/service.ts';
import type { LogService } from './logs/service.ts';
import type { RequestLogWriter } from './logs/writer.ts';
import type { RecordService } from './records/service.ts';
import type { BatchService } from './records/batch.ts';
import type { CollectionStatistics } from './records/statistics.ts';
import type { OAuth2RedirectService } from './realtime/oauth2-redirect.ts';
import type { RealtimeService } from './realtime/service.ts';
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
  /** Record files: downloads, thumbs, protected files, file tokens. */
  readonly files: FileService;
  /** Figures about the data for the client cost estimate, refreshed in the background. */
  readonly statistics: CollectionStatistics;
  /** The application settings (PocketBase's `_params` row): `settings.get()` for the current ones. */
  readonly settings: SettingsService;
  /** Request counters for `settings.rateLimits` (in memory; one process). */
  readonly rateLimiter: RateLimiter;
  /** `POST /api/batch`: record writes in one transaction (settings.batch). */
  readonly batch: BatchService;
  /** Realtime clients of this node and their subscriptions; record changes reach them through the bus. */
  readonly realtime: RealtimeService;
  /** The popup OAuth2 flow's redirect (`@oauth2` topic), and the names Apple sends with it. */
  readonly oauth2Redirect: OAuth2RedirectService;
  /** `GET /api/logs`: reading `_logs` (in the auxiliary database). */
  readonly logs: LogService;
  /** Request log entries, buffered and written to `_logs` in batches (settings.logs). */
  readonly requestLogs: RequestLogWriter;
}
