import { HttpApi, HttpMethod, HttpRoute, HttpRouteKey, type IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Construct, type IConstruct } from 'constructs';
import { API_AUDIENCE, type RouteContract } from '../shared/route-contract.ts';
import type { DgovFunction } from './constructs/dgov-function.ts';

/** Routes anyone may call (cdk-nag's authorizer rule is acknowledged for exactly these). */
const PUBLIC_ROUTES = new WeakSet<IConstruct>();

/**
 * The public HTTP API: each contract becomes one route on its function, and the
 * $default route goes to the fallback function, which answers 404/405 as problem+json.
 * API Gateway's CORS (corsPreflight) stays off: it allows origins fixed at deploy time, while
 * clients, and with them the origins of browser apps, are registered at run time. The functions
 * answer CORS instead (shared/cors.ts); API Gateway passes OPTIONS to a route only when its own
 * CORS is off.
 */
export class DgovHttpApi extends Construct {
  readonly api: HttpApi;
  private authorizer?: IHttpRouteAuthorizer;

  /** The OpenID issuer the JWT authorizer trusts: the API itself, or https://<domain> when one is set. */
  readonly issuer: string;

  constructor(scope: Construct, id: string, domain?: string) {
    super(scope, id);
    this.api = new HttpApi(this, 'Api', { description: 'dgov public HTTP API', createDefaultStage: true });
    this.issuer = domain ? `https://${domain}` : this.api.apiEndpoint;
  }

  /**
   * Unknown paths and methods: the `$default` route, so 404/405 are problem+json in the cloud as
   * locally; and every CORS preflight: `OPTIONS /{proxy+}` to the same function, without authorizer,
   * since a browser's preflight never carries a token (Fetch standard, CORS protocol).
   */
  setDefaultRoute(fn: DgovFunction): void {
    const integration = new HttpLambdaIntegration('DefaultIntegration', fn.fn);
    const route = new HttpRoute(this, 'DefaultRoute', {
      httpApi: this.api,
      routeKey: HttpRouteKey.DEFAULT,
      integration,
    });
    const preflight = new HttpRoute(this, 'PreflightRoute', {
      httpApi: this.api,
      routeKey: HttpRouteKey.with('/{proxy+}', HttpMethod.OPTIONS),
      integration,
    });
    PUBLIC_ROUTES.add(route);
    PUBLIC_ROUTES.add(preflight);
  }

  /** Whether a construct is (the resource of) a route open to anyone: a contract with `auth: 'none'`, or `$default`. */
  static isPublicRoute(construct: IConstruct): boolean {
    return (
      PUBLIC_ROUTES.has(construct) || (construct.node.scope !== undefined && PUBLIC_ROUTES.has(construct.node.scope))
    );
  }

  addRoutes(fn: DgovFunction, routes: readonly RouteContract[]): void {
    const integration = new HttpLambdaIntegration(`${fn.serviceName}Integration`, fn.fn);
    for (const route of routes) {
      const httpRoute = new HttpRoute(this, `${route.operationId}Route`, {
        httpApi: this.api,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration,
        ...(route.auth === 'jwt' ? { authorizer: this.jwtAuthorizer(), authorizationScopes: route.scopes } : {}),
      });
      if (route.auth === 'none') PUBLIC_ROUTES.add(httpRoute);
    }
  }

  /** Created on first use: the issuer is this API itself, where the identity service lives. */
  private jwtAuthorizer(): IHttpRouteAuthorizer {
    this.authorizer ??= new HttpJwtAuthorizer('JwtAuthorizer', this.issuer, {
      jwtAudience: [API_AUDIENCE],
      identitySource: ['$request.header.Authorization'],
    });
    return this.authorizer;
  }
}
