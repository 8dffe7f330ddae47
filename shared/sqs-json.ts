/**
 * SQS takes #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF in a message body and
 * refuses the whole message for any other character (U+FFFE, U+FFFF; emulators such as fauxqs also
 * refuse every character beyond the BMP). A JSON body can say each of those as a \u escape instead:
 * the same JSON value, in characters every SQS takes. Input reaches queue bodies (a path segment in
 * an audit event's resource, say), so a message must never be refused for what a caller typed.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the set SQS names, tab, LF and CR among it
const NOT_SQS_SAFE = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD]/gu;

const escaped = (character: string) =>
  [...Array(character.length).keys()]
    .map((index) => `\\u${character.charCodeAt(index).toString(16).padStart(4, '0')}`)
    .join('');

/** JSON text with every character SQS (or its emulators) might refuse written as a \u escape. */
export const sqsSafeJson = (json: string): string => json.replace(NOT_SQS_SAFE, escaped);

/** A message body for any value: its JSON, safe for SQS. Every sender's body goes through here or sqsSafeJson. */
export const sqsJsonBody = (value: unknown): string => sqsSafeJson(JSON.stringify(value));
