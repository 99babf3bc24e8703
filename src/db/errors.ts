import { ApiError, fieldError } from '../kernel/errors.ts';
import type { Dialect } from './dialect.ts';

/**
 * Driver errors become the same API errors on every database: the dialect classifies what its
 * driver raised, and this maps the class. Unique violations name their columns as PocketBase does.
 */
export function translateDbError(dialect: Dialect, e: unknown): ApiError | undefined {
  const info = dialect.classifyError(e);
  if (!info) return undefined;
  switch (info.kind) {
    case 'unique': {
      const data: Record<string, ReturnType<typeof fieldError>> = {};
      for (const c of info.columns ?? []) if (c) data[c] = fieldError('validation_not_unique', 'Value must be unique.');
      return new ApiError(400, 'Failed to save record.', data);
    }
    case 'notNull': {
      const data: Record<string, ReturnType<typeof fieldError>> = {};
      for (const c of info.columns ?? []) if (c) data[c] = fieldError('validation_required', 'Cannot be blank.');
      return new ApiError(400, 'Failed to save record.', data);
    }
    case 'foreignKey':
    case 'check':
      return new ApiError(400, 'Failed to save record.');
    case 'deadlock':
    case 'lockTimeout':
    case 'busy':
      return new ApiError(503, 'The database is busy, please try again.');
    case 'timeout':
      // The statement ran past its time budget: what was asked is too costly, not the server busy.
      return new ApiError(400, 'The query was too expensive: it ran past its time budget and was stopped. Narrow the filter, sort or expand.');
    case 'statement':
      return undefined;
  }
}

/** The database refused the statement itself (bad SQL, no such column, bad value for a type). */
export const isStatementError = (dialect: Dialect, e: unknown): boolean => dialect.classifyError(e)?.kind === 'statement';
