import type { Collection, FieldDef } from '../../db/schema.ts';
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
  const isSuperuser = options.viewer.kind === 'superuser';
  const out: Record<string, unknown> = {};
  for (const entry of expand ? exportPlanOf(collection).withExpand : exportPlanOf(collection).keys) {
    switch (entry.kind) {
      case 'collectionId':
        out.collectionId = collection.id;
        break;
      case 'collectionName':
        out.collectionName = collection.name;
        break;
      case 'expand':
        out.expand = expand;
        break;
      case 'hidden':
        if (isSuperuser) out[entry.key] = data[entry.key];
        break;
      case 'email':
        if (canSeeEmail(collection, data, options)) out[entry.key] = data[entry.key];
        break;
      default:
        out[entry.key] = data[entry.key];
    }
  }
  return out;
}

/** What `exportRecord` writes for each key, in order: worked out once per collection. */
interface ExportEntry {
  readonly key: string;
  readonly kind: 'collectionId' | 'collectionName' | 'expand' | 'field' | 'hidden' | 'email';
}

const exportPlans = new WeakMap<Collection, { keys: ExportEntry[]; withExpand: ExportEntry[] }>();

function exportPlanOf(collection: Collection): { keys: ExportEntry[]; withExpand: ExportEntry[] } {
  let plan = exportPlans.get(collection);
  if (plan) return plan;
  const codec = planOf(collection);
  const isAuth = collection.type === 'auth';
  const entry = (key: string): ExportEntry | undefined => {
    if (key === 'collectionId' || key === 'collectionName' || key === 'expand') return { key, kind: key };
    const def = codec.byName.get(key)!;
    if (!isExported(collection, def, true)) return undefined;
    if (def.hidden) return { key, kind: 'hidden' };
    return { key, kind: isAuth && key === 'email' ? 'email' : 'field' };
  };
  const entries = (order: readonly string[]) => order.map(entry).filter((e): e is ExportEntry => e !== undefined);
  plan = { keys: entries(codec.exportOrder), withExpand: entries([...codec.exportOrder, 'expand'].sort()) };
  exportPlans.set(collection, plan);
  return plan;
}

/** Whether `exportRecord` can ever show the field to this viewer (secrets never, hidden fields to superusers). */
export function isExported(collection: Collection, def: FieldDef, superuser: boolean): boolean {
  if (def.type === 'password' || (collection.type === 'auth' && AUTH_SECRETS.has(def.name))) return false;
  return superuser || !def.hidden;
}

function canSeeEmail(collection: Collection, data: RecordData, options: ExportOptions): boolean {
  if (data.emailVisibility === true || options.alwaysShowEmail || options.canManage) return true;
  const viewer = options.viewer;
  if (viewer.kind === 'superuser') return true;
  return viewer.kind === 'record' && viewer.collection.id === collection.id && viewer.record.id === data.id;
}
