import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  DependencyUnavailableError,
  type DomainError,
  ForbiddenError,
  MalformedBodyError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../shared/errors.ts';
import { PROBLEM_CONTENT_TYPE, problemResponse, problemType, toProblem } from '../../shared/problem.ts';

const REQUEST_ID = 'req-42';

const bodyOf = (response: ReturnType<typeof problemResponse>) =>
  JSON.parse(response.body ?? '') as Record<string, unknown>;

describe('problemType', () => {
  it('builds a dgov URN from a slug', () => {
    expect(problemType('not-found')).toBe('urn:dgov:problem:not-found');
  });
});

describe('problemResponse for each domain error', () => {
  const cases: { error: DomainError; status: number; slug: string; headers?: Record<string, string> }[] = [
    { error: new ValidationError('bad input'), status: 400, slug: 'validation' },
    { error: new MalformedBodyError('not JSON'), status: 400, slug: 'malformed-body' },
    {
      error: new UnauthorizedError('no token'),
      status: 401,
      slug: 'unauthorized',
      headers: { 'www-authenticate': 'Bearer' },
    },
    { error: new ForbiddenError('not yours'), status: 403, slug: 'forbidden' },
    { error: new NotFoundError('no such licence'), status: 404, slug: 'not-found' },
    {
      error: new MethodNotAllowedError('use GET', ['GET', 'POST']),
      status: 405,
      slug: 'method-not-allowed',
      headers: { allow: 'GET, POST' },
    },
    { error: new ConflictError('already revoked'), status: 409, slug: 'conflict' },
    { error: new PayloadTooLargeError('too big'), status: 413, slug: 'payload-too-large' },
    { error: new UnsupportedMediaTypeError('send JSON'), status: 415, slug: 'unsupported-media-type' },
    {
      error: new RateLimitedError('slow down', 30),
      status: 429,
      slug: 'rate-limited',
      headers: { 'retry-after': '30' },
    },
    {
      error: new DependencyUnavailableError('dynamodb'),
      status: 503,
      slug: 'dependency-unavailable',
      headers: { 'retry-after': '5' },
    },
  ];

  it.each(cases)('$slug → $status', ({ error, status, slug, headers }) => {
    const response = problemResponse(error, REQUEST_ID);
    expect(response.statusCode).toBe(status);
    expect(response.headers).toEqual({ 'content-type': PROBLEM_CONTENT_TYPE, ...headers });
    const body = bodyOf(response);
    expect(body).toMatchObject({
      type: `urn:dgov:problem:${slug}`,
      title: error.title,
      status,
      detail: error.detail,
      requestId: REQUEST_ID,
    });
    expect(typeof body.title).toBe('string');
    expect(body.title).not.toBe('');
  });

  it('uses application/problem+json as the content type', () => {
    expect(PROBLEM_CONTENT_TYPE).toBe('application/problem+json');
  });
});

describe('toProblem details', () => {
  it('lists field errors of a ValidationError under `errors`', () => {
    const errors = [{ path: 'body.name', message: 'Too small' }];
    const { problem } = toProblem(new ValidationError('the request body is not valid', errors), REQUEST_ID);
    expect(problem.errors).toEqual(errors);
  });

  it('leaves `errors` out of a ValidationError without field errors', () => {
    const { problem } = toProblem(new ValidationError('bad'));
    expect(problem).not.toHaveProperty('errors');
  });

  it('leaves `requestId` out when none is given', () => {
    expect(toProblem(new NotFoundError('x')).problem).not.toHaveProperty('requestId');
    expect(toProblem(new Error('x')).problem).not.toHaveProperty('requestId');
  });

  it('names the dependency of a DependencyUnavailableError', () => {
    const { problem, headers } = toProblem(new DependencyUnavailableError('sqs', 12));
    expect(problem.dependency).toBe('sqs');
    expect(problem.detail).toContain('sqs');
    expect(headers['retry-after']).toBe('12');
  });

  it('uses the given challenge of an UnauthorizedError', () => {
    const { headers } = toProblem(new UnauthorizedError('expired', 'Bearer error="invalid_token"'));
    expect(headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('rounds retry-after up to whole seconds, at least one', () => {
    expect(toProblem(new RateLimitedError('x', 1.2)).headers['retry-after']).toBe('2');
    expect(toProblem(new RateLimitedError('x', 0)).headers['retry-after']).toBe('1');
  });

  it('does not share headers between two errors of the same class', () => {
    const first = new MethodNotAllowedError('x', ['GET']);
    const second = new MethodNotAllowedError('y', ['POST']);
    expect(first.headers.allow).toBe('GET');
    expect(second.headers.allow).toBe('POST');
  });
});

describe('problemResponse for an unexpected error', () => {
  const secret = 'connect ECONNREFUSED 10.0.3.7:5432 password=hunter2';

  it('is a 500 that reveals neither the message nor the stack', () => {
    const error = new Error(secret);
    error.stack = `Error: ${secret}\n    at secretFunction (/var/task/internal/db.js:42:13)`;
    const response = problemResponse(error, REQUEST_ID);
    expect(response.statusCode).toBe(500);
    expect(response.headers).toEqual({ 'content-type': PROBLEM_CONTENT_TYPE });
    expect(response.body).not.toContain('ECONNREFUSED');
    expect(response.body).not.toContain('hunter2');
    expect(response.body).not.toContain('secretFunction');
    expect(response.body).not.toContain('/var/task');
    expect(bodyOf(response)).toMatchObject({ type: 'urn:dgov:problem:internal', status: 500, requestId: REQUEST_ID });
  });

  it('treats thrown non-errors the same way', () => {
    for (const thrown of [secret, { message: secret }, undefined, null, 42]) {
      const response = problemResponse(thrown, REQUEST_ID);
      expect(response.statusCode).toBe(500);
      expect(response.body).not.toContain('hunter2');
      expect(bodyOf(response).requestId).toBe(REQUEST_ID);
    }
  });
});
