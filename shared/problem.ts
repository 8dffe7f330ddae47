import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { dependencyFailure, DomainError } from './errors.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const problemType = (slug: string) => `urn:dgov:problem:${slug}`;

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId?: string;
  errors?: { path: string; message: string }[];
  [extension: string]: unknown;
}

/**
 * RFC 9457 document for a domain error, a 503 for a dependency that could not serve the request
 * (errors.ts, dependencyFailure), or a generic 500 that reveals nothing internal.
 */
export function toProblem(
  thrown: unknown,
  requestId?: string,
): { problem: ProblemDocument; headers: Record<string, string> } {
  const error = dependencyFailure(thrown) ?? thrown;
  if (error instanceof DomainError) {
    return {
      problem: {
        type: problemType(error.slug),
        title: error.title,
        status: error.status,
        detail: error.detail,
        ...error.extensions,
        ...(requestId ? { requestId } : {}),
      },
      headers: error.headers,
    };
  }
  return {
    problem: {
      type: problemType('internal'),
      title: 'Internal server error',
      status: 500,
      detail: 'An unexpected error occurred. Quote the request id when you report it.',
      ...(requestId ? { requestId } : {}),
    },
    headers: {},
  };
}

export function problemResponse(error: unknown, requestId?: string): APIGatewayProxyStructuredResultV2 {
  const { problem, headers } = toProblem(error, requestId);
  return {
    statusCode: problem.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...headers },
    body: JSON.stringify(problem),
  };
}
