import type { RefreshToken } from '../model.ts';
import type { RefreshTokenStore } from '../ports.ts';
import type { IdentityTable } from './table.ts';

export function dynamoRefreshTokenStore(table: IdentityTable): RefreshTokenStore {
  const pk = (tokenHash: string) => `refresh#${tokenHash}`;
  return {
    putRefresh: (token) => table.put({ pk: pk(token.tokenHash), sk: 'refresh', ...token }),
    refresh: (tokenHash) => table.get<RefreshToken>(pk(tokenHash), 'refresh', true),
    async consumeRefresh(tokenHash) {
      const found = await table.consumeOnce<RefreshToken>(pk(tokenHash), 'refresh');
      return found && { token: found.item, reused: found.again };
    },
  };
}
