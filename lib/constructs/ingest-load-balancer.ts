import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as targets from 'aws-cdk-lib/aws-elasticloadbalancingv2-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { FactName } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import { PRODUCER_KEY_HEADER } from '../../lambdas/shared/http';
import { BodySizeFirewall } from './body-size-firewall';
import { privateBucketProps } from './raw-event-lake';

/** The paths the load balancer forwards to the ingest Lambda; everything else is answered 404 by the listener. */
export const INGEST_PATHS = ['/v1/events', '/v1/paths'] as const;

/** The listener's answer (404) to any other path, in the API's error shape. */
const NO_ROUTE = `no route for this path; producers POST to ${INGEST_PATHS.join(' or ')}`;

/** An Application Load Balancer needs subnets in at least two Availability Zones; each holds one public IPv4 address. */
const AVAILABILITY_ZONES = 2;

export interface IngestLoadBalancerProps {
  /** The ingest Lambda (it must understand the ALB event format and check producer keys itself). */
  readonly handler: lambda.IFunction;
  /** SSM parameter holding the ARN of the ACM certificate (resolved at deploy). */
  readonly certificateArnParameter: string;
  /** SSM parameter holding the producers' domain name (resolved at deploy; for the output URL). */
  readonly domainNameParameter: string;
  /** Requests one producer key may send per minute before the web ACL answers 429. */
  readonly requestsPerMinutePerProducer: number;
  /** Requests without a producer key one source IP address may send per minute before the web ACL answers 429. */
  readonly keylessRequestsPerMinutePerIp: number;
  /** Largest body let through (bytes, by `Content-Length`). */
  readonly maxBodyBytes: number;
  /** Prefix of the web ACL's metric names, e.g. `uba-prod-`. */
  readonly metricPrefix: string;
  /** Of the access-log bucket. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Access logs are deleted after this long. @default Duration.days(90) */
  readonly logExpiration?: Duration;
}

/**
 * The cheap front door of ingest: an internet-facing Application Load Balancer in a VPC of public
 * subnets only (no NAT gateway: nothing in the VPC needs egress; the Lambda is not in the VPC),
 * an HTTPS listener only (TLS 1.2+, the certificate's ARN read from SSM at deploy; no port 80),
 * forwarding `POST /v1/events` and `/v1/paths` to the ingest Lambda, access-logged to its own
 * bucket, and guarded by a web ACL with the API's body-size rules plus a rate limit per producer key
 * and one per source address on requests without a key.
 */
export class IngestLoadBalancer extends Construct {
  public readonly vpc: ec2.Vpc;
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  public readonly listener: elbv2.ApplicationListener;
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  public readonly firewall: BodySizeFirewall;
  public readonly logBucket: s3.Bucket;
  /** `https://<domain>` of the producers (a deploy-time value from SSM). */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: IngestLoadBalancerProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: AVAILABILITY_ZONES,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
      // The default security group is used by nothing here; restricting it needs a custom-resource Lambda.
      restrictDefaultSecurityGroup: false,
    });
    Validations.of(this.vpc).acknowledge({
      id: 'AwsSolutions-VPC7',
      reason:
        'The VPC holds only the load balancer, whose access logs record every request (client, path, status, bytes); flow logs would add cost without information.',
    });

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: this.vpc,
      description: 'Ingest load balancer: HTTPS from producers',
      allowAllOutbound: false,
    });
    securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS from producers anywhere');
    Validations.of(securityGroup).acknowledge({
      id: 'AwsSolutions-EC23',
      reason:
        'The public ingest endpoint: producers (servers, apps, browsers) connect from anywhere on 443 only; each request is authenticated by its producer key and rate-limited by the web ACL.',
    });

    this.logBucket = new s3.Bucket(this, 'AccessLogs', {
      ...privateBucketProps(removalPolicy),
      lifecycleRules: [{ id: 'expire-access-logs', expiration: props.logExpiration ?? Duration.days(90) }],
    });
    Validations.of(this.logBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket of the ingest load balancer; logging it into itself would loop.',
    });

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing: true,
      securityGroup,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      dropInvalidHeaderFields: true,
    });
    // Access logs: CDK's logAccessLogs needs the stack's region at synth; these stacks are region-agnostic,
    // so the bucket policy names both writers AWS documents, the Region's ELB account (Regions before
    // August 2022, from CDK's region table at deploy) and the log-delivery service principal (later Regions).
    const logPrefix = 'ingest';
    const elbAccount = Stack.of(this).regionalFact(FactName.ELBV2_ACCOUNT);
    const policy = this.logBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        principals: [new iam.AccountPrincipal(elbAccount), new iam.ServicePrincipal('logdelivery.elasticloadbalancing.amazonaws.com')],
        resources: [this.logBucket.arnForObjects(`${logPrefix}/AWSLogs/${Aws.ACCOUNT_ID}/*`)],
      }),
    );
    this.loadBalancer.setAttribute('access_logs.s3.enabled', 'true');
    this.loadBalancer.setAttribute('access_logs.s3.bucket', this.logBucket.bucketName);
    this.loadBalancer.setAttribute('access_logs.s3.prefix', logPrefix);
    if (policy.policyDependable) this.loadBalancer.node.addDependency(policy.policyDependable);

    const certificateArn = ssm.StringParameter.valueForStringParameter(this, props.certificateArnParameter);
    this.listener = this.loadBalancer.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [elbv2.ListenerCertificate.fromArn(certificateArn)],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      open: false,
      defaultAction: elbv2.ListenerAction.fixedResponse(404, {
        contentType: 'application/json',
        messageBody: JSON.stringify({ error: NO_ROUTE, field: '', reason: NO_ROUTE }),
      }),
    });

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'Ingest', {
      targetType: elbv2.TargetType.LAMBDA,
      targets: [new targets.LambdaTarget(props.handler)],
    });
    this.listener.addAction('IngestRoutes', {
      priority: 10,
      conditions: [elbv2.ListenerCondition.pathPatterns([...INGEST_PATHS])],
      action: elbv2.ListenerAction.forward([this.targetGroup]),
    });

    this.firewall = new BodySizeFirewall(this, 'Firewall', {
      resourceArn: this.loadBalancer.loadBalancerArn,
      maxBodyBytes: props.maxBodyBytes,
      metricPrefix: `${props.metricPrefix}alb-`,
      rateLimit: {
        header: PRODUCER_KEY_HEADER,
        requestsPerMinute: props.requestsPerMinutePerProducer,
        keylessRequestsPerMinutePerIp: props.keylessRequestsPerMinutePerIp,
      },
    });

    const domainName = ssm.StringParameter.valueForStringParameter(this, props.domainNameParameter);
    this.url = `https://${domainName}`;
    new CfnOutput(this, 'LoadBalancerDnsName', {
      value: this.loadBalancer.loadBalancerDnsName,
      description: `DNS name of the ingest load balancer: point the producers' domain (SSM ${props.domainNameParameter}) at it (CNAME or alias)`,
    });
  }
}
