// A real S3 protocol server (s3rver) on loopback, over a temp directory, for the S3 code paths.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';

// The AWS SDK warns once per process that its 2027 releases will need Node 22 (recorded in the
// docs); in test output that is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface TestS3Server {
  /** `http://127.0.0.1:<port>`: use with forcePathStyle. */
  endpoint: string;
  /** s3rver's fixed credentials. */
  accessKey: string;
  secret: string;
  /** Names of what a bucket holds on disk (objects and their metadata files). */
  bucketEntries(bucket: string): string[];
  close(): Promise<void>;
}

export async function startS3Server(buckets: string[]): Promise<TestS3Server> {
  const directory = mkdtempSync(path.join(tmpdir(), 'baton-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: buckets.map((name) => ({ name })) });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    accessKey: 'S3RVER',
    secret: 'S3RVER',
    bucketEntries: (bucket) => readdirSync(path.join(directory, bucket), { recursive: true }).map(String),
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
