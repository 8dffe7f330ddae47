import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { NotFoundError, UnauthorizedError } from '../../shared/errors.ts';
import { httpHandler, json, type HttpRequest, type HttpResult, type RouteHandler } from '../../shared/http.ts';
import type { IsRevoked } from '../../shared/auth/revoked-tokens.ts';
import { routeKey, type RouteContract } from '../../shared/route-contract.ts';
import { LICENCE_TYPES, publishedCatalogue } from './catalogue.ts';
import * as routes from './contract.ts';
import { licenceCredential, sealProof } from './domain/credential.ts';
import { isValidLicenceId } from './domain/licence-id.ts';
import { canonicalBytes } from './domain/seal.ts';
import { statusListCredential } from './domain/status-list.ts';
import { verifyLicence, type Verdict } from './domain/verification.ts';
import type { LicenceRecord } from './model.ts';
import type { HolderOf } from './ports.ts';
import { licenceFor, revokeLicence, summaryOf } from './use-cases/access.ts';
import { type Caller, keyRing, type LicencesDeps } from './use-cases/deps.ts';
import { issueLicence } from './use-cases/issue.ts';

export interface LicencesHandlerOptions {
  deps: LicencesDeps;
  holderOf: HolderOf;
  qrPng(text: string): Promise<Buffer>;
  isRevoked?: IsRevoked;
}

type AnyRequest = HttpRequest<unknown, unknown, unknown>;

/** The verified claims the HTTP API's JWT authorizer put on the event (all strings). */
function callerOf(request: AnyRequest): Caller {
  const context = request.raw.requestContext as { authorizer?: { jwt?: { claims?: Record<string, string> } } };
  const claims = context.authorizer?.jwt?.claims;
  if (!claims?.sub) throw new UnauthorizedError('the request carries no verified access token');
  return {
    sub: claims.sub,
    clientId: claims.client_id ?? '',
    scopes: (claims.scope ?? '').split(' ').filter(Boolean),
    department: claims.department || undefined,
    requestId: request.requestId,
    sourceIp: request.sourceIp,
  };
}
const claimsOf = (request: AnyRequest) =>
  (request.raw.requestContext as { authorizer?: { jwt?: { claims?: Record<string, string> } } }).authorizer?.jwt
    ?.claims ?? {};
const tokenOf = (request: AnyRequest) => /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';

const licenceBody = (record: LicenceRecord) => ({
  licenceId: record.licenceId,
  status: record.status,
  document: record.document,
  seal: record.seal,
  ...(record.revokedAt ? { revokedAt: record.revokedAt, revokeReason: record.revokeReason } : {}),
});

/** The licences routes over the ports; handler.ts gives them the real adapters. */
export function licencesHandler(options: LicencesHandlerOptions) {
  const { deps, holderOf } = options;
  const holder = (request: AnyRequest) => () => holderOf(tokenOf(request), claimsOf(request));
  const keysUrl = `${deps.publicUrl}/licences/seal-keys`;

  const verdictOf = async (document: unknown, seal: unknown): Promise<Verdict> =>
    verifyLicence(document, seal, {
      keys: await keyRing(deps),
      ourIssuer: deps.ourIssuer,
      catalogue: deps.catalogue,
      now: deps.now(),
      statusOf: async (licenceId, signature) => {
        if (!isValidLicenceId(licenceId)) return undefined;
        const record = await deps.store.get(licenceId);
        // Only the licence on record: a second document sealed under the same id would be a forgery.
        return record && record.seal.signature === signature ? record.status : undefined;
      },
    });
  const verdictOfRecord = async (licenceId: string): Promise<Verdict> => {
    const record = isValidLicenceId(licenceId) ? await deps.store.get(licenceId) : undefined;
    if (!record) throw new NotFoundError(`no licence ${licenceId}`);
    return verdictOf(record.document, record.seal);
  };

  const issue: RouteHandler<typeof routes.issueRoute> = async (request) => {
    const { created, record } = await issueLicence(request.body, callerOf(request), deps);
    return json(created ? 201 : 200, licenceBody(record), created ? { location: `/licences/${record.licenceId}` } : {});
  };
  const list: RouteHandler<typeof routes.listRoute> = async (request) => {
    const caller = callerOf(request);
    const me = caller.department ? undefined : await holder(request)();
    const licences = me ? await deps.store.byHolder(me, 100) : [];
    return json(200, { licences: licences.map(summaryOf) });
  };
  const get: RouteHandler<typeof routes.getRoute> = async (request) =>
    json(
      200,
      licenceBody(await licenceFor(request.params.licenceId, callerOf(request), holder(request), 'licence.read', deps)),
    );
  const verify: RouteHandler<typeof routes.verifyRoute> = async (request) => {
    const body = request.body;
    return json(
      200,
      'licenceId' in body ? await verdictOfRecord(body.licenceId) : await verdictOf(body.document, body.seal),
    );
  };
  const verifyLink: RouteHandler<typeof routes.verifyLinkRoute> = async (request) =>
    json(200, await verdictOfRecord(request.query.id));
  const revoke: RouteHandler<typeof routes.revokeRoute> = async (request) =>
    json(200, licenceBody(await revokeLicence(request.params.licenceId, request.body.reason, callerOf(request), deps)));
  const catalogue = publishedCatalogue(LICENCE_TYPES.filter((entry) => deps.catalogue.has(entry.type)));
  const types: RouteHandler<typeof routes.typesRoute> = async () =>
    json(200, catalogue, { 'cache-control': 'public, max-age=300' });
  const credential: RouteHandler<typeof routes.credentialRoute> = async (request) => {
    const record = await licenceFor(request.params.licenceId, callerOf(request), holder(request), 'licence.read', deps);
    const unsigned = licenceCredential(record, deps.publicUrl);
    const signer = deps.signers.get(record.seal.alg) ?? deps.signers.get(deps.defaultAlg)!;
    const jwk = await signer.publicJwk();
    const signature = (await signer.sign(canonicalBytes(unsigned)!)).toString('base64url');
    const proof = sealProof(
      { alg: signer.alg, kid: jwk.kid, issuer: deps.ourIssuer, signature },
      keysUrl,
      deps.now().toISOString(),
    );
    return json(200, { ...unsigned, proof }, { 'content-type': 'application/vc+ld+json' });
  };
  const statusList: RouteHandler<typeof routes.statusListRoute> = async (request) => {
    const listId = request.params.listId;
    const listUrl = `${deps.publicUrl}/licences/status/${listId}`;
    const unsigned = statusListCredential(listUrl, deps.publicUrl, await deps.store.revokedIndexes(listId), deps.now());
    const signer = deps.signers.get(deps.defaultAlg)!;
    const jwk = await signer.publicJwk();
    const signature = (await signer.sign(canonicalBytes(unsigned)!)).toString('base64url');
    const proof = sealProof(
      { alg: signer.alg, kid: jwk.kid, issuer: deps.ourIssuer, signature },
      keysUrl,
      unsigned.validFrom,
    );
    // Offline verifiers and CDNs may keep it for five minutes: revocation shows within that.
    return json(
      200,
      { ...unsigned, proof },
      { 'content-type': 'application/vc+ld+json', 'cache-control': 'public, max-age=300' },
    );
  };
  const qr: RouteHandler<typeof routes.qrRoute> = async (request) => {
    const record = await licenceFor(request.params.licenceId, callerOf(request), holder(request), 'licence.read', deps);
    const png = await options.qrPng(record.document.verifyUrl);
    return {
      statusCode: 200,
      headers: { 'content-type': 'image/png' },
      body: png.toString('base64'),
      isBase64Encoded: true,
    };
  };
  const sealKeys: RouteHandler<typeof routes.sealKeysRoute> = async () =>
    json(200, { keys: [...(await keyRing(deps)).values()] }, { 'cache-control': 'public, max-age=300' });

  const served: [RouteContract, RouteHandler<never>][] = [
    [routes.issueRoute, issue],
    [routes.listRoute, list],
    [routes.getRoute, get],
    [routes.verifyRoute, verify],
    [routes.verifyLinkRoute, verifyLink],
    [routes.revokeRoute, revoke],
    [routes.typesRoute, types],
    [routes.credentialRoute, credential],
    [routes.statusListRoute, statusList],
    [routes.qrRoute, qr],
    [routes.sealKeysRoute, sealKeys],
  ];
  const byRouteKey = new Map(
    served.map(([contract, run]) => [routeKey(contract), httpHandler(contract, run, { isRevoked: options.isRevoked })]),
  );
  const unknownRoute = httpHandler(routes.typesRoute, async (request) => {
    throw new NotFoundError(`no licences route ${request.raw.routeKey}`);
  });
  return async (event: APIGatewayProxyEventV2, context: Context): Promise<HttpResult> =>
    (byRouteKey.get(event.routeKey) ?? unknownRoute)(event, context);
}
