import type * as z from 'zod/mini';
import type { RouteContract } from './route-contract.ts';

/**
 * How a function is invoked. It decides the function's cdk-nag treatment (a synchronous HTTP
 * function has no event to dead-letter) and its alarms (a queue or schedule failure is seen by
 * nobody unless an alarm says so).
 */
export type InvocationKind = 'http' | 'queue' | 'schedule';

/** One Lambda function of a capability. */
export interface FunctionManifest {
  /** Powertools service name, unique in the suite; also the function's key in its manifest. */
  service: string;
  /** Source of the bundle, from the project root. */
  entry: string;
  description: string;
  kind: InvocationKind;
  /** The environment it needs to start: the infra tests check the template gives it exactly this. */
  config: z.ZodMiniObject;
  /** HTTP functions: the routes it serves (each becomes an API route and an OpenAPI operation). */
  routes?: readonly RouteContract[];
  /** Serves the API's `$default` route (unknown paths and methods). */
  servesDefaultRoute?: boolean;
  /** Publishes the `slaBreached` metric, which gets an alarm. */
  publishesSlaBreaches?: boolean;
}

/**
 * What a capability is, as data: no runtime code, so the OpenAPI function, the fallback, the
 * CDK app and the tests can all import it. Its cloud resources live in infra/capabilities/<name>/.
 */
export interface CapabilityManifest {
  name: string;
  summary: string;
  functions: readonly FunctionManifest[];
  /** Environment variable names this capability introduces (beyond shared/env-names.ts). */
  env: Readonly<Record<string, string>>;
}

export const defineCapability = <M extends CapabilityManifest>(manifest: M): M => manifest;
