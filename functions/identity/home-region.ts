import { hashSecret } from './passwords.ts';

/**
 * Home regions (README, "Two regions: the DR runbook"). Global tables are multi-active, but a
 * conditional write is consistent only within the region that applies it: the same refresh token
 * could be used up once in each region inside the replication lag. So every one-time or revocable
 * item (SSO session, authorization code, refresh token, token family) has one home region, named
 * in its handle, and is consumed, appended to and revoked only in its home region's table.
 *
 * A handle is `<region>.<secret>` (region names are `[a-z0-9-]`, secrets base64url: no dot), a family
 * id `<region>.<uuid>`. The store key of a handle keeps the tag in front of the hash
 * (`<region>.<sha256>`), so the store can route by the key alone. Everything a sign-in produces is
 * homed where the sign-in happened: its codes, and the families and refresh tokens those codes open.
 *
 * A handle without a tag (issued before tags) is homed in the region that serves the request, as
 * every handle was before; those expire within 30 days (the refresh tokens, the longest-lived).
 */
const TAGGED = /^([a-z]{2}(?:-[a-z]+)+-\d{1,2})\.(.+)$/;

/** The handle of `secret` homed in `region`; untagged without a region (a single-region deployment). */
export const homed = (region: string | undefined, secret: string): string => (region ? `${region}.${secret}` : secret);

/** The home region a handle, a store key or a family id names; undefined when it names none. */
export const homeOf = (handleOrKey: string): string | undefined => TAGGED.exec(handleOrKey)?.[1];

/** The store key of a handle: SHA-256 of the whole handle, behind its region tag. */
export const handleKey = (handle: string): string => {
  const home = homeOf(handle);
  return home ? `${home}.${hashSecret(handle)}` : hashSecret(handle);
};

/** The key without its tag: what is left to show of a session (the `sid` claim), a hash either way. */
export const untagged = (key: string): string => {
  const home = homeOf(key);
  return home ? key.slice(home.length + 1) : key;
};
