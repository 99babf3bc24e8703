/**
 * `POST /api/settings/apple/generate-client-secret`: Apple takes no fixed client secret but a
 * JWT the app signs with its Sign in with Apple key (ES256, at most six months long), which goes
 * into the apple provider's `clientSecret`. Checked as PocketBase's form checks it.
 */
import { importPKCS8, SignJWT } from 'jose';
import { badRequest, fieldError, type ErrorData } from '../../../kernel/errors.ts';

/** Apple's bound on a client secret's lifetime, in seconds (about six months). */
const MAX_DURATION = 15_777_000;
const PRIVATE_KEY_RE = /-----BEGIN PRIVATE KEY----[\s\S]+-----END PRIVATE KEY-----/;

export async function appleClientSecret(body: unknown): Promise<{ secret: string }> {
  const input = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const clientId = text(input.clientId);
  const teamId = text(input.teamId);
  const keyId = text(input.keyId);
  const privateKey = text(input.privateKey);
  const duration = typeof input.duration === 'number' ? input.duration : 0;

  const errors: ErrorData = {};
  const blank = () => fieldError('validation_required', 'Cannot be blank.');
  const tenChars = (v: string) => (v === '' ? blank() : [...v].length !== 10 ? fieldError('validation_length_invalid', 'The length must be exactly 10.') : undefined);
  if (clientId === '') errors.clientId = blank();
  for (const [key, value] of [['teamId', teamId], ['keyId', keyId]] as const) {
    const e = tenChars(value);
    if (e) errors[key] = e;
  }
  if (privateKey === '') errors.privateKey = blank();
  else if (!PRIVATE_KEY_RE.test(privateKey)) errors.privateKey = fieldError('validation_match_invalid', 'Must be in a valid format.');
  if (duration === 0) errors.duration = blank();
  else if (!Number.isInteger(duration) || duration < 1) errors.duration = fieldError('validation_min_greater_equal_than_required', 'Must be no less than 1.');
  else if (duration > MAX_DURATION) errors.duration = fieldError('validation_max_less_equal_than_required', `Must be no greater than ${MAX_DURATION}.`);
  if (Object.keys(errors).length) throw badRequest('Invalid client secret data.', errors);

  let key: Awaited<ReturnType<typeof importPKCS8>>;
  try {
    key = await importPKCS8(privateKey.trim(), 'ES256');
  } catch (e) {
    throw badRequest(`Failed to generate client secret. Raw error: \n${(e as Error).message}`);
  }
  const now = Math.floor(Date.now() / 1000);
  const secret = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: keyId })
    .setIssuer(teamId)
    .setSubject(clientId)
    .setAudience('https://appleid.apple.com')
    .setIssuedAt(now)
    .setExpirationTime(now + duration)
    .sign(key);
  return { secret };
}
