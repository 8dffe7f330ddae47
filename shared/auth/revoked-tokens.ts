import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ConfigError } from '../config.ts';
import { ENV } from '../env-names.ts';
import { UnauthorizedError } from '../errors.ts';

/** Tells whether an access token's id was revoked. */
export type IsRevoked = (jti: string) => Promise<boolean>;

const refuse = (why: string) => new UnauthorizedError(why, `Bearer error="invalid_token", error_description="${why}"`);

/**
 * The deny-list of the control table, found when first needed, so functions without a JWT route
 * never load it. infra/stateless-stack.ts grants every function with a JWT route read access to
 * the table and names it in DGOV_CONTROL_TABLE.
 */
function controlTableDenyList(): IsRevoked {
  let denied: Promise<IsRevoked> | undefined;
  return async (jti) => {
    denied ??= (async () => {
      const table = process.env[ENV.controlTable];
      if (!table) throw new ConfigError(`a JWT route needs ${ENV.controlTable} for the token deny-list`);
      const [{ documents }, { controlTableDenyList: denyList }] = await Promise.all([
        import('../aws/dynamodb.ts'),
        import('./deny-list.ts'),
      ]);
      return denyList(documents, table);
    })();
    return (await denied)(jti);
  };
}

/**
 * Every route behind the HTTP API's JWT authorizer: API Gateway has checked the signature, issuer,
 * audience, expiry and scopes, but knows nothing of revocation, so each request's token id is
 * looked up in the deny-list here, once, for every capability's routes alike.
 */
export function revokedTokenGuard(
  isRevoked: IsRevoked = controlTableDenyList(),
): MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    before: async (request) => {
      const context = request.event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } };
      const jti = context.authorizer?.jwt?.claims?.jti;
      // Only the authorizer puts claims there: no claims means the request did not pass it.
      if (typeof jti !== 'string' || jti === '') throw refuse('the request carries no verified access token');
      if (await isRevoked(jti)) throw refuse('the access token was revoked');
    },
  };
}
