/**
 * Thumbnails as PocketBase makes them (tools/filesystem CreateThumb), with sharp: read the
 * original from storage, resize (first frame only, EXIF orientation applied), write the thumb
 * beside it, once. Concurrent requests for one thumb share one job, and at most a few jobs run at
 * a time (PocketBase: NumCPU + 2, waiting at most 60 s for a turn).
 */
import { availableParallelism } from 'node:os';
import type { FileStorage } from '../../infra/storage.ts';

/** The content types PocketBase makes thumbs of (an exact match on the stored type). */
export const THUMB_SOURCE_TYPES: readonly string[] = ['image/png', 'image/jpg', 'image/jpeg', 'image/gif', 'image/webp'];
/** Allowed for every file field, whatever its `thumbs` option lists. */
export const DEFAULT_THUMB_SIZES: readonly string[] = ['100x100'];

const THUMB_SIZE = /^(\d+)x(\d+)(t|b|f)?$/;
/**
 * Bigger images are not decoded (sharp's own default is 268 megapixels, ~1 GB of pixels per job):
 * a 100 megapixel photo still gets its thumbs.
 */
const MAX_INPUT_PIXELS = 100_000_000;
/**
 * A thumb with one side given follows the original's aspect ratio, and PocketBase enlarges: a
 * 20000x1 image asked for at `0x50` would be 1,000,000x50. Past these bounds the thumb is not
 * made (the original is served, as for any thumb that cannot be made).
 */
const MAX_OUTPUT_PIXELS = 25_000_000;
const MAX_OUTPUT_SIDE = 16_384;

export class ThumbError extends Error {
  override name = 'ThumbError';
}

export interface ThumbOptions {
  /** Jobs at once (default: CPUs + 2, as PocketBase's PB_THUMBS_MAX_WORKERS default). */
  maxWorkers?: number;
  /** How long a job may wait for its turn (default 60 s, PocketBase's PB_THUMBS_MAX_WAIT). */
  maxWaitMs?: number;
}

/** A counting semaphore whose waiters give up after a deadline. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  acquire(timeoutMs: number): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const at = this.waiting.indexOf(grant);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(new ThumbError('timed out waiting to create the thumb'));
      }, timeoutMs);
      this.waiting.push(grant);
    });
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

export class ThumbMaker {
  private readonly pending = new Map<string, Promise<void>>();
  private readonly slots: Slots;
  private readonly maxWaitMs: number;

  constructor(
    private readonly storage: FileStorage,
    options: ThumbOptions = {},
  ) {
    this.slots = new Slots(options.maxWorkers ?? availableParallelism() + 2);
    this.maxWaitMs = options.maxWaitMs ?? 60_000;
  }

  /** Makes the thumb of `originalKey` at `thumbKey` (one job per thumb key at a time). */
  make(originalKey: string, thumbKey: string, size: string, contentType: string): Promise<void> {
    let job = this.pending.get(thumbKey);
    if (!job) {
      job = this.run(originalKey, thumbKey, size, contentType).finally(() => this.pending.delete(thumbKey));
      this.pending.set(thumbKey, job);
    }
    return job;
  }

  private async run(originalKey: string, thumbKey: string, size: string, contentType: string): Promise<void> {
    await this.slots.acquire(this.maxWaitMs);
    try {
      const { body, type } = await renderThumb(this.storage, originalKey, size, contentType);
      await this.storage.write(thumbKey, body, { contentType: type, size: body.length });
    } finally {
      this.slots.release();
    }
  }
}

/** The thumb's bytes and content type: JPEG and GIF keep their format, anything else becomes PNG. */
async function renderThumb(storage: FileStorage, originalKey: string, size: string, contentType: string): Promise<{ body: Buffer; type: string }> {
  const m = THUMB_SIZE.exec(size);
  if (!m) throw new ThumbError('thumb size must be in WxH, WxHt, WxHb or WxHf format');
  const width = Number(m[1]);
  const height = Number(m[2]);
  if (width === 0 && height === 0) throw new ThumbError('thumb width and height cannot be zero at the same time');
  const input = await storage.read(originalKey);
  if (!input) throw new ThumbError('the original file is missing');
  // Loaded on the first thumb: a server that never makes one never loads sharp (~90 ms at start).
  const { default: sharp } = await import('sharp');
  const image = sharp({ limitInputPixels: MAX_INPUT_PIXELS }).autoOrient();
  input.on('error', (e) => image.destroy(e));
  input.pipe(image);
  if (width === 0 || height === 0) {
    // One side given: the other follows the aspect ratio (enlarging too, as PocketBase's Resize),
    // within bounds. The header is read from the piped input, which sharp keeps for the resize.
    const meta = await image.metadata();
    const turned = (meta.orientation ?? 1) >= 5;
    const [w, h] = turned ? [meta.height, meta.width] : [meta.width, meta.height];
    if (!w || !h) throw new ThumbError('the original has no dimensions');
    const outWidth = width || Math.max(1, Math.round((w * height) / h));
    const outHeight = height || Math.max(1, Math.round((h * width) / w));
    if (outWidth > MAX_OUTPUT_SIDE || outHeight > MAX_OUTPUT_SIDE || outWidth * outHeight > MAX_OUTPUT_PIXELS) {
      input.destroy();
      throw new ThumbError(`the thumb would be ${outWidth}x${outHeight}, past the bounds of a thumb`);
    }
    image.resize({ width: width || undefined, height: height || undefined });
  } else if (m[3] === 'f') {
    // Fit inside the box, never enlarged (PocketBase's Fit).
    image.resize({ width, height, fit: 'inside', withoutEnlargement: true });
  } else {
    // Fill the box and crop: from the top, the bottom or the centre.
    image.resize({ width, height, fit: 'cover', position: m[3] === 't' ? 'top' : m[3] === 'b' ? 'bottom' : 'centre' });
  }
  try {
    if (contentType === 'image/jpeg') return { body: await image.jpeg().toBuffer(), type: contentType };
    if (contentType === 'image/gif') return { body: await image.gif().toBuffer(), type: contentType };
    return { body: await image.png().toBuffer(), type: 'image/png' };
  } finally {
    input.destroy();
  }
}
