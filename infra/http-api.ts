import { HttpApi, HttpMethod, HttpRoute, HttpRouteKey, type IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Construct } from 'constructs';
import { API_AUDIENCE, type RouteContract } from '../shared/route-contract.ts';
import type { DgovFunction } from './constructs/dgov-function.ts';


/**
 * The public HTTP API: each contract becomes one route on its function, and the
 * $default route goes to the fallback function, which answers 404/405 as problem+json.
 */
export class DgovHttpApi extends Construct {
  readonly api: HttpApi;
  private authorizer?: IHttpRouteAuthorizer;

  /** The OpenID issuer the JWT authorizer trusts: the API itself, or https://<domain> when one is set. */
  readonly issuer: string;

  constructor(scope: Construct, id: string, fallback: DgovFunction, domain?: string) {
    super(scope, id);
    this.api = new HttpApi(this, 'Api', {
      description: 'dgov public HTTP API',
      createDefaultStage: true,
      defaultIntegration: new HttpLambdaIntegration('Fallback', fallback.fn),
    });
    this.issuer = domain ? `https://${domain}` : this.api.apiEndpoint;
  }

  addRoutes(fn: DgovFunction, routes: readonly RouteContract[]): void {
    const integration = new HttpLambdaIntegration(`${fn.node.id}Integration`, fn.fn);
    for (const route of routes) {
      new HttpRoute(this, `${route.operationId}Route`, {
        httpApi: this.api,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration,
        ...(route.auth === 'jwt' ? { authorizer: this.jwtAuthorizer(), authorizationScopes: route.scopes } : {}),
      });
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
