import fc from 'fast-check';

/**
 * Building blocks for fuzzing the HTTP routes: strings parsers trip on, JSON and form bodies
 * that start from a valid example and break part of it, headers, cookies and path encodings.
 */

/** Runs per route (and per consumer property): DGOV_FUZZ_RUNS, 1,000 unless set. */
export const FUZZ_RUNS = (() => {
  const runs = Number(process.env.DGOV_FUZZ_RUNS ?? '');
  return Number.isInteger(runs) && runs > 0 ? runs : 1_000;
})();

/** A test's time limit: a minute per thousand runs, on a loaded machine. */
export const FUZZ_TIMEOUT = 60_000 * Math.max(1, FUZZ_RUNS / 1_000);

export const tricky = fc.constantFrom(
  '',
  '%',
  '%zz',
  '%E0%A4%A',
  '%00',
  '%2F',
  '%2e%2e',
  '../',
  '%C0%AF',
  '+',
  '=',
  '&',
  ';',
  ':',
  '.',
  '"',
  "'",
  '\\',
  '<script>',
  '\u0000',
  '\r\n',
  '\ud800',
  '\ufeff',
  '证',
  '👍',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e999',
  ' ',
  'x'.repeat(3000),
);

export const text = fc
  .array(fc.oneof({ arbitrary: fc.string({ unit: 'binary', maxLength: 8 }), weight: 2 }, tricky), { maxLength: 4 })
  .map((parts) => parts.join(''));

/** Any JSON value, with the strings mixed with tricky ones. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 3 },
  tricky,
  fc.constantFrom(null, true, 0, -1, 1.5, 2 ** 53, -0, [], {}),
  fc.dictionary(fc.oneof(text, tricky), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);

/**
 * A valid example with part of it broken: a key dropped, a value replaced by anything, a key added,
 * or the same done one level down. Most runs then get past the first checks and reach deeper code.
 */
export function mutated(example: unknown, depth = 2): fc.Arbitrary<unknown> {
  if (depth === 0 || example === null || typeof example !== 'object')
    return fc.oneof({ arbitrary: fc.constant(example), weight: 2 }, anyJson);
  if (Array.isArray(example)) {
    return fc.oneof(
      { arbitrary: fc.constant(example), weight: 2 },
      fc.tuple(...example.map((item) => mutated(item, depth - 1))),
      fc.array(anyJson, { maxLength: 3 }),
      anyJson,
    );
  }
  const entries = Object.entries(example);
  const keys = entries.map(([key]) => key);
  const one = (change: (copy: Record<string, unknown>) => fc.Arbitrary<Record<string, unknown>>) =>
    fc.constant(null).chain(() => change({ ...(example as Record<string, unknown>) }));
  return fc.oneof(
    { arbitrary: fc.constant(example), weight: 3 },
    // One value replaced, or mutated one level down.
    {
      arbitrary: keys.length
        ? fc.constantFrom(...keys).chain((key) =>
            mutated((example as Record<string, unknown>)[key], depth - 1).map((value) => ({
              ...(example as Record<string, unknown>),
              [key]: value,
            })),
          )
        : fc.constant(example),
      weight: 4,
    },
    // Some keys dropped.
    fc.subarray(entries).map((kept) => Object.fromEntries(kept)),
    // A key added (possibly an unknown one, possibly __proto__ as an own key).
    one((copy) =>
      fc
        .tuple(fc.oneof(text, tricky, fc.constantFrom(...(keys.length ? keys : ['x']))), anyJson)
        .map(([key, value]) => {
          Object.defineProperty(copy, key, { value, enumerable: true, configurable: true, writable: true });
          return copy;
        }),
    ),
    anyJson,
  );
}

/** A JSON body text: the example mutated, anything, or text that is no JSON at all. */
export const jsonBody = (example: unknown): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: mutated(example).map((value) => JSON.stringify(value) ?? ''), weight: 6 },
    anyJson.map((value) => JSON.stringify(value) ?? ''),
    fc.constantFrom(
      '{',
      '[',
      '',
      'null',
      '\ufeff{}',
      '{"a":1}{"a":2}',
      `${'['.repeat(5000)}${']'.repeat(5000)}`,
      `{"x":${'1'.repeat(400)}}`,
    ),
    text,
  );

const toForm = (value: unknown, encode: boolean): string => {
  const entries =
    value && typeof value === 'object'
      ? Object.entries(value).map(([key, item]): [string, string] => [
          key,
          typeof item === 'string' ? item : (JSON.stringify(item) ?? ''),
        ])
      : [[String(value), '']];
  return encode
    ? new URLSearchParams(entries as [string, string][]).toString()
    : (entries as [string, string][]).map(([key, item]) => `${key}=${item}`).join('&');
};

/** A form body text: the example mutated, percent-encoded or raw, or anything. */
export const formBody = (example: Record<string, string>): fc.Arbitrary<string> =>
  fc.oneof(
    {
      arbitrary: fc.tuple(mutated(example, 1), fc.boolean()).map(([value, encode]) => toForm(value, encode)),
      weight: 6,
    },
    fc
      .array(fc.tuple(fc.oneof(text, fc.constantFrom(...Object.keys(example))), text), { maxLength: 6 })
      .map((pairs) => pairs.map(([key, value]) => `${key}=${value}`).join('&')),
    text,
  );

/** A query: the example mutated (values stringified), arbitrary pairs, or none. */
export const queryOf = (example: Record<string, string> = {}) =>
  fc
    .oneof(
      { arbitrary: mutated(example, 1), weight: 4 },
      fc.dictionary(fc.oneof(text, fc.constantFrom(...Object.keys(example), 'x')), text, { maxKeys: 4 }),
      fc.constant(undefined),
    )
    .map((value): Record<string, string> | undefined => {
      if (value === undefined || value === null) return undefined;
      if (typeof value !== 'object') return { [String(value)]: '' };
      const out: Record<string, string> = {};
      for (const [key, item] of Object.entries(value))
        Object.defineProperty(out, key, {
          value: typeof item === 'string' ? item : (JSON.stringify(item) ?? ''),
          enumerable: true,
          configurable: true,
          writable: true,
        });
      return out;
    });

/** Percent-encodes what encodeURIComponent can (a lone surrogate it cannot: kept as it is). */
const encoded = (value: string) => {
  try {
    return encodeURIComponent(value);
  } catch {
    return value;
  }
};

/** How a path segment reaches the function: the value as given, or an odd encoding of it. */
export const pathSegment = (value: fc.Arbitrary<string>) =>
  fc.oneof(
    { arbitrary: value, weight: 12 },
    value.map((item) => `${item}/x`),
    value.map(encoded),
    value.map((item) => encoded(encoded(item))),
    value.map((item) => item.toUpperCase()),
    value.map((item) => ` ${item}`),
    text,
    tricky,
  );

export const contentTypes = (usual: string) =>
  fc.oneof(
    { arbitrary: fc.constant(usual), weight: 12 },
    fc.constantFrom(
      'application/json',
      'application/x-www-form-urlencoded',
      `${usual}; charset=utf-8`,
      usual.toUpperCase(),
      'application/problem+json',
      'text/plain',
      'multipart/form-data; boundary=x',
      '',
    ),
    text,
  );

export const REGISTERED_ORIGIN = 'http://127.0.0.1:8080';

/** Headers besides the content type: ids, origins, authorization, anything. */
export const extraHeaders = fc.record(
  {
    'x-request-id': fc.oneof(text, fc.constant('req-fuzz-1')),
    origin: fc.oneof(fc.constantFrom(REGISTERED_ORIGIN, 'https://evil.example', 'null'), text),
    authorization: fc.oneof(
      text.map((token) => `Bearer ${token}`),
      text.map((credentials) => `Basic ${Buffer.from(credentials).toString('base64')}`),
      text,
    ),
    'access-control-request-method': fc.constantFrom('GET', 'POST', 'DELETE', ''),
    cookie: fc.array(fc.tuple(text, text), { maxLength: 3 }).map((pairs) => pairs.map((p) => p.join('=')).join('; ')),
    accept: fc.constantFrom('application/json', 'text/html', '*/*'),
    'x-forwarded-for': text,
  },
  { requiredKeys: [] },
);

export const cookieList = fc.array(
  fc.oneof(
    fc.tuple(text, text).map(([name, value]) => `${name}=${value}`),
    text,
  ),
  { maxLength: 3 },
);

/** Verified claims as the JWT authorizer hands them on: a good caller's, broken ones, or none. */
export const claimsOf = (good: Record<string, string>[]) =>
  fc.oneof(
    { arbitrary: good.length ? fc.constantFrom(...good) : fc.constant(undefined), weight: 6 },
    good.length
      ? fc
          .constantFrom(...good)
          .chain((claims) => mutated(claims, 1))
          .map(stringClaims)
      : fc.constant(undefined),
    fc.dictionary(fc.constantFrom('sub', 'jti', 'scope', 'client_id', 'department'), text, { maxKeys: 5 }),
    fc.constant(undefined),
  );

/** API Gateway hands every claim on as a string. */
const stringClaims = (value: unknown): Record<string, string> | undefined => {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, typeof item === 'string' ? item : (JSON.stringify(item) ?? '')]),
  );
};
