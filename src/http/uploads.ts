/**
 * Files of a multipart record body, streamed to a temporary folder as they arrive (never held in
 * memory): their size counted against the body limit, their first bytes kept to detect the content
 * type, and their stored name made as PocketBase makes it. The folder is removed by `dispose`,
 * and in any case after a delay longer than any request may last.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { tooLarge } from '../kernel/errors.ts';
import { detectMimeType, mimeTypeAliases, SNIFF_BYTES } from '../domain/files/mime.ts';
import { uploadName } from '../domain/files/names.ts';
import type { UploadedFile } from '../domain/records/input.ts';

/** Past the longest a request may last (5 min), so a folder never outlives its request for long. */
const ABANDONED_AFTER_MS = 15 * 60_000;

export class UploadFolder {
  private dir: Promise<string> | undefined;
  private count = 0;
  private disposed = false;

  private folder(): Promise<string> {
    if (!this.dir) {
      this.dir = mkdtemp(path.join(tmpdir(), 'baton-upload-'));
      const timer = setTimeout(() => void this.dispose(), ABANDONED_AFTER_MS);
      timer.unref();
    }
    return this.dir;
  }

  /**
   * Saves one file part; `budget` is how many bytes the body may still bring, and `spent` is told
   * of every byte as it arrives (past the budget the body is refused with a 413).
   */
  async save(key: string, originalName: string, body: Readable, budget: number, spent: (n: number) => void): Promise<UploadedFile> {
    const file = path.join(await this.folder(), String(this.count++));
    let size = 0;
    const head: Buffer[] = [];
    let headBytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        spent(chunk.length);
        if (size > budget) return callback(tooLarge());
        if (headBytes < SNIFF_BYTES) {
          const part = chunk.subarray(0, SNIFF_BYTES - headBytes);
          head.push(part);
          headBytes += part.length;
        }
        callback(null, chunk);
      },
    });
    await pipeline(body, meter, createWriteStream(file));
    const mimeType = detectMimeType(Buffer.concat(head));
    return {
      key,
      name: uploadName(originalName, mimeType),
      originalName,
      size,
      mimeType,
      mimeTypeAliases: mimeTypeAliases(mimeType),
      open: () => createReadStream(file),
    };
  }

  async dispose(): Promise<void> {
    if (this.disposed || !this.dir) return;
    this.disposed = true;
    const dir = await this.dir.catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
