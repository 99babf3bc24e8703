/** SQLite's LIKE with ESCAPE '\', linear for `%literal%` patterns, checking the budget as it works (sqlite-like.js). */
export declare function likeFunction(check: () => void): (text: unknown, pattern: unknown) => 0 | 1 | null;
