import type { Client } from '../model.ts';
import { clientCredentialsGrant } from './client-credentials.ts';
import { exchangeCode, type CodeExchangeDeps } from './code-exchange.ts';
import { OAuthError } from './oauth-error.ts';
import { refreshGrant, type RefreshDeps } from './refresh.ts';
import type { TokenResponse } from './token-minting.ts';

/** The token endpoint: picks the grant the form names. */
export async function grantTokens(
  form: Record<string, string | undefined>,
  client: Client,
  deps: CodeExchangeDeps & RefreshDeps,
  requestId: string,
): Promise<TokenResponse> {
  switch (form.grant_type) {
    case 'authorization_code':
      return exchangeCode(form, client, deps, requestId);
    case 'client_credentials':
      return clientCredentialsGrant(form, client, deps, requestId);
    case 'refresh_token':
      return refreshGrant(form, client, deps, requestId);
    case undefined:
      throw new OAuthError('invalid_request', 'grant_type is required');
    default:
      throw new OAuthError('unsupported_grant_type', `grant_type ${form.grant_type} is not supported`);
  }
}
