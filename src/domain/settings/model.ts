/**
 * The application settings: PocketBase's `core.Settings`, stored as JSON in the `_params` row
 * `settings`. One description of the shape (SETTINGS_SHAPE) drives reading, merging, storing and
 * the masked view, so the key order and the secrets are written down once.
 */

export interface S3Config {
  enabled: boolean;
  bucket: string;
  region: string;
  endpoint: string;
  accessKey: string;
  secret: string;
  forcePathStyle: boolean;
}

export interface SmtpConfig {
  enabled: boolean;
  port: number;
  host: string;
  username: string;
  password: string;
  /** '' (PLAIN), 'PLAIN' or 'LOGIN'. */
  authMethod: string;
  /** Implicit TLS; false sends STARTTLS and lets the server decide. */
  tls: boolean;
  /** The EHLO/HELO name ('' means "localhost"). */
  localName: string;
}

export interface BackupsConfig {
  /** A cron expression scheduling automatic backups; '' disables them. */
  cron: string;
  cronMaxKeep: number;
  s3: S3Config;
}

export interface MetaConfig {
  accentColor: string;
  appName: string;
  appURL: string;
  senderName: string;
  senderAddress: string;
  hideControls: boolean;
}

export interface RateLimitRule {
  /** A tag (`users:create`, `*:auth`, `test`), a path (`/api/x`), a path prefix (`/api/`) or `METHOD /path`. */
  label: string;
  /** '' (everyone), '@guest' or '@auth'. */
  audience: string;
  /** Seconds per window. */
  duration: number;
  maxRequests: number;
}

export interface RateLimitsConfig {
  rules: RateLimitRule[];
  excludedIPs: string[];
  enabled: boolean;
}

export interface TrustedProxyConfig {
  headers: string[];
  useLeftmostIP: boolean;
}

export interface BatchConfig {
  enabled: boolean;
  maxRequests: number;
  /** Seconds. */
  timeout: number;
  /** Bytes; 0 means PocketBase's default (~128 MB). */
  maxBodySize: number;
}

export interface LogsConfig {
  maxDays: number;
  minLevel: number;
  logIP: boolean;
  logAuthId: boolean;
}

export interface Settings {
  /** IPs and CIDR subnets superusers may call from; empty: any. */
  superuserIPs: string[];
  smtp: SmtpConfig;
  backups: BackupsConfig;
  s3: S3Config;
  meta: MetaConfig;
  rateLimits: RateLimitsConfig;
  trustedProxy: TrustedProxyConfig;
  batch: BatchConfig;
  logs: LogsConfig;
}

/** A value's type as Go's struct declares it (and so as its JSON decoder reads it). */
export type Kind = 'bool' | 'int' | 'string' | 'strings' | { readonly object: Shape } | { readonly list: Shape };

export interface FieldShape {
  readonly key: string;
  readonly kind: Kind;
  /** Never sent to clients (PocketBase's masked MarshalJSON). */
  readonly secret?: boolean;
  /** Left out of the stored JSON when empty (Go's `omitempty`). */
  readonly omitEmpty?: boolean;
}

/** A struct: its fields in declaration order, which is the JSON key order. */
export type Shape = readonly FieldShape[];

const f = (key: string, kind: Kind, extra: Partial<FieldShape> = {}): FieldShape => Object.freeze({ key, kind, ...extra });

const S3_SHAPE: Shape = [
  f('enabled', 'bool'),
  f('bucket', 'string'),
  f('region', 'string'),
  f('endpoint', 'string'),
  f('accessKey', 'string'),
  f('secret', 'string', { secret: true, omitEmpty: true }),
  f('forcePathStyle', 'bool'),
];

export const RATE_LIMIT_RULE_SHAPE: Shape = [f('label', 'string'), f('audience', 'string'), f('duration', 'int'), f('maxRequests', 'int')];

/** PocketBase v0.39's settings struct, field by field (core/settings_model.go). */
export const SETTINGS_SHAPE: Shape = [
  f('superuserIPs', 'strings'),
  f('smtp', {
    object: [
      f('enabled', 'bool'),
      f('port', 'int'),
      f('host', 'string'),
      f('username', 'string'),
      // Stored even when empty; never sent.
      f('password', 'string', { secret: true }),
      f('authMethod', 'string'),
      f('tls', 'bool'),
      f('localName', 'string'),
    ],
  }),
  f('backups', { object: [f('cron', 'string'), f('cronMaxKeep', 'int'), f('s3', { object: S3_SHAPE })] }),
  f('s3', { object: S3_SHAPE }),
  f('meta', {
    object: [
      f('accentColor', 'string'),
      f('appName', 'string'),
      f('appURL', 'string'),
      f('senderName', 'string'),
      f('senderAddress', 'string'),
      f('hideControls', 'bool'),
    ],
  }),
  f('rateLimits', { object: [f('rules', { list: RATE_LIMIT_RULE_SHAPE }), f('excludedIPs', 'strings'), f('enabled', 'bool')] }),
  f('trustedProxy', { object: [f('headers', 'strings'), f('useLeftmostIP', 'bool')] }),
  f('batch', { object: [f('enabled', 'bool'), f('maxRequests', 'int'), f('timeout', 'int'), f('maxBodySize', 'int')] }),
  f('logs', { object: [f('maxDays', 'int'), f('minLevel', 'int'), f('logIP', 'bool'), f('logAuthId', 'bool')] }),
];

const emptyS3 = (): S3Config => ({ enabled: false, bucket: '', region: '', endpoint: '', accessKey: '', secret: '', forcePathStyle: false });

/** PocketBase's defaults for a new installation (`newDefaultSettings`). */
export function defaultSettings(): Settings {
  return {
    superuserIPs: [],
    smtp: { enabled: false, port: 587, host: 'smtp.example.com', username: '', password: '', authMethod: '', tls: false, localName: '' },
    backups: { cron: '', cronMaxKeep: 3, s3: emptyS3() },
    s3: emptyS3(),
    meta: {
      accentColor: '#1055c9',
      appName: 'Acme',
      appURL: 'http://localhost:8090',
      senderName: 'Support',
      senderAddress: 'support@example.com',
      hideControls: false,
    },
    rateLimits: {
      rules: [
        { label: '*:auth', audience: '', duration: 3, maxRequests: 2 },
        { label: '*:create', audience: '', duration: 5, maxRequests: 20 },
        { label: '/api/batch', audience: '', duration: 1, maxRequests: 3 },
        { label: '/api/', audience: '', duration: 10, maxRequests: 300 },
      ],
      excludedIPs: [],
      // PocketBase leaves rate limiting off by default.
      enabled: false,
    },
    trustedProxy: { headers: [], useLeftmostIP: false },
    batch: { enabled: false, maxRequests: 50, timeout: 3, maxBodySize: 0 },
    logs: { maxDays: 5, minLevel: 0, logIP: true, logAuthId: false },
  };
}

/** The zero value of a kind, as Go gives a new slice element. */
export function zeroOf(kind: Kind): unknown {
  if (kind === 'bool') return false;
  if (kind === 'int') return 0;
  if (kind === 'string') return '';
  if (kind === 'strings' || 'list' in kind) return [];
  return Object.fromEntries(kind.object.map((field) => [field.key, zeroOf(field.kind)]));
}

type Plain = Record<string, unknown>;

/** What the JSON is for: clients (secrets left out), the `_params` row (empty `omitEmpty` fields left out), or a full copy. */
type Encoding = 'masked' | 'stored' | 'copy';

/** The settings as plain JSON values, in PocketBase's key order. */
function encode(shape: Shape, value: Plain, as: Encoding): Plain {
  const out: Plain = {};
  for (const field of shape) {
    const v = value[field.key];
    if (field.secret && as === 'masked') continue;
    if (field.omitEmpty && as === 'stored' && (v === '' || v === 0 || v === false)) continue;
    out[field.key] = encodeValue(field.kind, v, as);
  }
  return out;
}

function encodeValue(kind: Kind, v: unknown, as: Encoding): unknown {
  if (typeof kind === 'string') return kind === 'strings' ? [...(v as string[])] : v;
  if ('list' in kind) return (v as Plain[]).map((item) => encode(kind.list, item, as));
  return encode(kind.object, v as Plain, as);
}

/** The JSON PocketBase stores in `_params.value` (DBExport). */
export const storedSettings = (s: Settings): Plain => encode(SETTINGS_SHAPE, s as unknown as Plain, 'stored');

/** The JSON PocketBase answers GET/PATCH /api/settings with: smtp.password, s3.secret and backups.s3.secret left out. */
export const maskedSettings = (s: Settings): Plain => encode(SETTINGS_SHAPE, s as unknown as Plain, 'masked');

/** A deep, mutable copy. */
export const cloneSettings = (s: Settings): Settings => encode(SETTINGS_SHAPE, s as unknown as Plain, 'copy') as unknown as Settings;

/** Freezes the settings and everything inside: what `SettingsService.get()` hands out is read-only. */
export function freezeSettings<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) freezeSettings(v);
  }
  return o;
}
