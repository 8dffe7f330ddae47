/** What the identity service stores. Secrets, codes and tokens are kept only as SHA-256 hashes. */
export interface Account {
  accountId: string;
  type: 'citizen' | 'enterprise';
  /** idNumber of a citizen, creditCode of an enterprise: the login name. */
  identifier: string;
  name: string;
  phone?: string;
  operatorIdNumber?: string;
  passwordHash: string;
  createdAt: string;
}

export interface Client {
  clientId: string;
  kind: 'confidential' | 'public';
  secretHash?: string;
  scopes: string[];
  redirectUris: string[];
  department?: string;
  /** For Open311 clients: the hash of their api_key. */
  apiKeyHash?: string;
  createdAt: string;
}

export interface SsoSession {
  sessionHash: string;
  accountId: string;
  authTime: number;
  expiresAt: number;
  families: string[];
}

export interface AuthorizationCode {
  codeHash: string;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scope: string;
  accountId: string;
  authTime: number;
  nonce?: string;
  sessionHash: string;
  expiresAt: number;
  used: boolean;
  /** Tokens the code produced: revoked if the code is replayed. */
  familyId?: string;
  accessJti?: string;
  /** The answer the exchange gave, kept on the used code for a retry within the grace. */
  answer?: CodeAnswer;
}

/**
 * The token answer a code exchange gave, sealed (AES-256-GCM) under a key derived from the code and
 * its PKCE verifier together, which the store never holds: a retry of the same exchange within the
 * grace gets it again; the table alone opens nothing.
 */
export interface CodeAnswer {
  /** When the exchange happened (seconds since the epoch): the grace runs from here. */
  at: number;
  familyId: string;
  accessJti: string;
  accessExp: number;
  /** The store key of the refresh token answered. */
  refreshHash: string;
  sealed: string;
}

export interface RefreshToken {
  tokenHash: string;
  familyId: string;
  clientId: string;
  sub: string;
  scope: string;
  expiresAt: number;
  used: boolean;
  /** What the token was rotated into, kept on the used token for a retry within the grace. */
  successor?: RefreshSuccessor;
}

/**
 * The answer a refresh gave, so that a retry with the same token within the grace gets it again.
 * The token pair is stored only sealed (AES-256-GCM) under a key derived from the refresh token that
 * was presented, which the store never holds (it keeps SHA-256 hashes): the table alone opens nothing.
 */
export interface RefreshSuccessor {
  /** When the refresh happened (seconds since the epoch): the grace runs from here. */
  at: number;
  /** The scope of the access token answered. */
  scope: string;
  /** SHA-256 of the successor refresh token. */
  refreshHash: string;
  accessJti: string;
  accessExp: number;
  /** base64url(iv ‖ tag ‖ AES-256-GCM ciphertext) of the JSON pair { access_token, refresh_token }. */
  sealed: string;
}

export interface TokenFamily {
  familyId: string;
  clientId: string;
  sub: string;
  revoked: boolean;
  /** Access tokens issued in this family, denied when the family is revoked. */
  accessJtis: { jti: string; exp: number }[];
  expiresAt: number;
}
