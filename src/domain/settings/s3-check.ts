import { randomString } from '../../kernel/ids.ts';
import type { S3Config } from './model.ts';

/** Why an S3 filesystem failed its test; the message is what the API puts after "Raw error:". */
export class S3CheckError extends Error {
  override name = 'S3CheckError';
}

/** How long the whole test may take: a bucket that does not answer is a failure, not a hung request. */
const CHECK_TIMEOUT_MS = 30_000;

/** PocketBase's endpoint rule: with or without a scheme, https when none is given. */
const endpointUrl = (endpoint: string): string => (/^https?:\/\//.test(endpoint) ? endpoint : `https://${endpoint}`).replace(/\/+$/, '');

/** An S3 error in the words of PocketBase's own client: `<status> <Code>: <Message>`. */
function describe(e: unknown): string {
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = err?.$metadata?.httpStatusCode;
  if (status === undefined) return err?.message || String(e);
  const code = err.name && err.name !== 'Error' && err.name !== 'Unknown' ? err.name : 'S3ResponseError';
  return err.message && err.message !== 'UnknownError' ? `${status} ${code}: ${err.message}` : `${status} ${code}`;
}

/**
 * PocketBase's S3 filesystem test (forms/test_s3_filesystem.go): uploads a small file under a
 * random `pb_settings_test_xxxxx/` prefix, then lists and deletes that prefix, so that writing,
 * listing and deleting are all proven. Throws S3CheckError with PocketBase's wording.
 *
 * The endpoint is whatever a superuser configured; reaching any address from the server is the
 * point of this test, which is why only superusers may run it.
 */
export async function checkS3Filesystem(config: S3Config): Promise<void> {
  if (!config.enabled) throw new S3CheckError('S3 storage filesystem is not enabled');
  // Loaded on first use: the SDK is large, and most servers never run this.
  const s3 = await import('@aws-sdk/client-s3');
  let client: InstanceType<typeof s3.S3Client>;
  try {
    client = new s3.S3Client({
      region: config.region,
      endpoint: endpointUrl(config.endpoint),
      forcePathStyle: config.forcePathStyle,
      credentials: { accessKeyId: config.accessKey, secretAccessKey: config.secret },
      // One attempt, as PocketBase's client makes; checksums only where S3 requires them, which
      // every S3-compatible service accepts.
      maxAttempts: 1,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  } catch (e) {
    throw new S3CheckError(`failed to initialize the S3 filesystem: ${describe(e)}`);
  }
  const abortSignal = AbortSignal.timeout(CHECK_TIMEOUT_MS);
  const prefix = `pb_settings_test_${randomString(5)}`;
  try {
    try {
      await client.send(new s3.PutObjectCommand({ Bucket: config.bucket, Key: `${prefix}/test.txt`, Body: 'test' }), { abortSignal });
    } catch (e) {
      throw new S3CheckError(`failed to upload a test file: ${describe(e)}`);
    }
    try {
      let token: string | undefined;
      do {
        const page = await client.send(new s3.ListObjectsV2Command({ Bucket: config.bucket, Prefix: prefix, ContinuationToken: token }), { abortSignal });
        for (const object of page.Contents ?? []) {
          if (object.Key) await client.send(new s3.DeleteObjectCommand({ Bucket: config.bucket, Key: object.Key }), { abortSignal });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (e) {
      throw new S3CheckError(`failed to delete a test file: ${describe(e)}`);
    }
  } finally {
    client.destroy();
  }
}
