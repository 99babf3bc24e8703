/** Text for the "use this query from code" panel: the SDK call and an equivalent curl command. */

/** A POSIX shell word: single-quoted, with each embedded quote closed, escaped and reopened. */
export const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** A single-quoted JavaScript string literal. */
export const jsString = (s: string): string =>
  `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')}'`;

/** `a=1&b=x%20y`, skipping empty values; every part percent-encoded. */
export function queryString(params: Record<string, string | number | undefined>): string {
  return Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
}

export interface ListQuery {
  collection: string;
  page: number;
  perPage: number;
  filter: string;
  sort: string;
}

export function sdkListCode(q: ListQuery): string {
  const options: string[] = [];
  if (q.filter) options.push(`filter: ${jsString(q.filter)}`);
  if (q.sort) options.push(`sort: ${jsString(q.sort)}`);
  const tail = options.length ? `, {\n  ${options.join(',\n  ')},\n}` : '';
  return `const result = await pb.collection(${jsString(q.collection)}).getList(${q.page}, ${q.perPage}${tail});`;
}

/** The token is left as a shell variable: the panel may be on a shared screen. */
export function curlListCommand(origin: string, q: ListQuery): string {
  const qs = queryString({ page: q.page, perPage: q.perPage, sort: q.sort, filter: q.filter });
  const url = `${origin}/api/collections/${encodeURIComponent(q.collection)}/records?${qs}`;
  return `curl -H "Authorization: $PB_TOKEN" \\\n  ${shellQuote(url)}`;
}
