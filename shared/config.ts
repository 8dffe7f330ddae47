import * as z from 'zod/mini';
import { ENV } from './env-names.ts';

/** Variables the Lambda runtime (or the local runtime) always provides. */
export const runtimeEnvSchema = z.object({
  AWS_REGION: z.string().check(z.minLength(1)),
});

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parses the environment once, at module load of the function that calls it.
 * A missing or malformed variable stops the cold start with a message naming it,
 * rather than failing later on the first request that happens to need it.
 */
export function loadConfig<S extends z.ZodMiniObject>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> & { region: string } {
  const merged = z.extend(schema, runtimeEnvSchema.shape);
  const parsed = merged.safeParse(env);
  if (!parsed.success) {
    const names = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
    throw new ConfigError(`invalid or missing environment variables: ${names}`);
  }
  return { ...(parsed.data as z.infer<S>), region: (parsed.data as { AWS_REGION: string }).AWS_REGION };
}

export const required = () => z.string().check(z.minLength(1));
export { ENV };
