import { Duration, Fn } from 'aws-cdk-lib';
import { ApiMapping, DomainName, type HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Certificate, CertificateValidation } from 'aws-cdk-lib/aws-certificatemanager';
import { ARecord, HealthCheck, HealthCheckType, HostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayv2DomainProperties } from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import type { RegionRole } from './regions.ts';

export interface LatencyRoutingProps {
  stage: string;
  role: RegionRole;
  api: HttpApi;
  /** The public name, e.g. api.example.gov.cn (context `domain`). */
  domain: string;
  /** The Route 53 hosted zone that holds it (context `hostedZoneId`, and `hostedZoneName` unless it is the domain's parent). */
  hostedZoneId: string;
  hostedZoneName: string;
}

/**
 * Active-active DNS for one region: the custom domain on this region's HTTP API (certificate
 * validated in the hosted zone), a Route 53 health check on its own `/health`, and a latency
 * record that answers with this region while its health check passes. Each region's stateless
 * stack adds its record; Route 53 answers each caller with the nearest healthy region.
 */
export class LatencyRouting extends Construct {
  readonly healthCheck: HealthCheck;
  readonly record: ARecord;
  readonly domainName: DomainName;

  constructor(scope: Construct, id: string, props: LatencyRoutingProps) {
    super(scope, id);
    const zone = HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: props.hostedZoneId,
      zoneName: props.hostedZoneName,
    });
    const certificate = new Certificate(this, 'Certificate', {
      domainName: props.domain,
      validation: CertificateValidation.fromDns(zone),
    });
    this.domainName = new DomainName(this, 'DomainName', { domainName: props.domain, certificate });
    new ApiMapping(this, 'Mapping', { api: props.api, domainName: this.domainName, stage: props.api.defaultStage });

    // The regional endpoint itself (https://<id>.execute-api.<region>.<suffix>), not the shared
    // name: a check through the latency record would follow whichever region DNS picked.
    this.healthCheck = new HealthCheck(this, 'HealthCheck', {
      type: HealthCheckType.HTTPS,
      fqdn: Fn.select(2, Fn.split('/', props.api.apiEndpoint)),
      port: 443,
      resourcePath: '/health',
      enableSNI: true,
      requestInterval: Duration.seconds(10),
      failureThreshold: 3,
    });

    this.record = new ARecord(this, 'LatencyRecord', {
      zone,
      recordName: props.domain,
      target: RecordTarget.fromAlias(
        new ApiGatewayv2DomainProperties(this.domainName.regionalDomainName, this.domainName.regionalHostedZoneId),
      ),
      region: props.role.home,
      setIdentifier: `dgov-${props.stage}-${props.role.home}`,
      healthCheck: this.healthCheck,
    });
  }
}
