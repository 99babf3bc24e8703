import type { Collection } from '../../db/schema.ts';
import type { Principal } from '../context.ts';
import { planOf, type RecordData } from './codec.ts';

export interface ExportOptions {
  viewer: Principal;
  /** The viewer has manage access to this record (manageRule), which reveals its email. */
  canManage?: boolean;
  /** Auth responses always carry the email of the authenticated record. */
  alwaysShowEmail?: boolean;
}

/** Fields an auth record never shows, not even to superusers. */
const AUTH_SECRETS = new Set(['password', 'tokenKey']);

/**
 * The public JSON of a record, as PocketBase returns it: `collectionId`, `collectionName`, every
 * visible field and `expand` when given, keys in alphabetical order (PocketBase marshals a map).
 */
export function exportRecord(
  collection: Collection,
  data: RecordData,
  options: ExportOptions,
  expand?: Record<string, unknown>,
): Record<string, unknown> {
  const plan = planOf(collection);
  const isSuperuser = options.viewer.kind === 'superuser';
  const isAuth = collection.type === 'auth';
  const out: Record<string, unknown> = {};
  const order = expand ? [...plan.exportOrder, 'expand'].sort() : plan.exportOrder;
  for (const key of order) {
    if (key === 'collectionId') out.collectionId = collection.id;
    else if (key === 'collectionName') out.collectionName = collection.name;
    else if (key === 'expand') out.expand = expand;
    else {
      const def = plan.byName.get(key)!;
      if (def.type === 'password') continue;
      if (isAuth && AUTH_SECRETS.has(key)) continue;
      if (def.hidden && !isSuperuser) continue;
      if (isAuth && key === 'email' && !canSeeEmail(collection, data, options)) continue;
      out[key] = data[key];
    }
  }
  return out;
}

function canSeeEmail(collection: Collection, data: RecordData, options: ExportOptions): boolean {
  if (data.emailVisibility === true || options.alwaysShowEmail || options.canManage) return true;
  const viewer = options.viewer;
  if (viewer.kind === 'superuser') return true;
  return viewer.kind === 'record' && viewer.collection.id === collection.id && viewer.record.id === data.id;
}
