/**
 * decodeURIComponent for what a caller sent (a header, a cookie, a path segment): a malformed
 * escape (`%zz`, a UTF-8 sequence cut short) is an answer, undefined, never a URIError that
 * would surface as a 500.
 */
export function decodePercent(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
