import type { Database } from '../db/dialect.ts';
import type { AuthService } from './auth/service.ts';
import type { CollectionService } from './collections/service.ts';
import type { CollectionStore } from './collections/store.ts';
import type { RecordService } from './records/service.ts';
import type { CollectionStatistics } from './records/statistics.ts';

/** Everything the transports (HTTP, CLI) call into; built once by `cli/wire.ts`. */
export interface Services {
  readonly db: Database;
  readonly schema: CollectionStore;
  readonly auth: AuthService;
  readonly collections: CollectionService;
  readonly records: RecordService;
  /** Figures about the data for the client cost estimate, refreshed in the background. */
  readonly statistics: CollectionStatistics;
}
