/**
 * Where a record's files live in storage, in PocketBase's layout:
 * `<collectionId>/<recordId>/<filename>`, and the thumbs of a file in
 * `<collectionId>/<recordId>/thumbs_<filename>/<size>_<filename>`.
 */

/** The folder of all of a collection's files (ends with `/`). */
export const collectionFilesPrefix = (collectionId: string): string => `${collectionId}/`;

/** The folder of all of a record's files and thumbs (ends with `/`). */
export const recordFilesPrefix = (collectionId: string, recordId: string): string => `${collectionId}/${recordId}/`;

export const recordFileKey = (collectionId: string, recordId: string, filename: string): string =>
  `${collectionId}/${recordId}/${filename}`;

/** The folder of one file's thumbs (ends with `/`). */
export const thumbsPrefix = (collectionId: string, recordId: string, filename: string): string =>
  `${collectionId}/${recordId}/thumbs_${filename}/`;

export const thumbKey = (collectionId: string, recordId: string, filename: string, size: string): string =>
  `${thumbsPrefix(collectionId, recordId, filename)}${size}_${filename}`;
