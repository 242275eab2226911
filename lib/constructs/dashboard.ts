import { DASHBOARD_CSP } from '../../dashboard/csp';
import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';

export { DASHBOARD_CSP };

/** Path pattern of the read API on the distribution. */
export const API_PATH_PATTERN = '/v1/*';

export interface DashboardProps {
  /** The REST API whose `/v1/*` routes the page calls on the same origin (stage from its deployment stage). */
  readonly api: apigw.RestApi;
  /** The built dashboard (dashboard/build.ts): index.html, app.js, styles.css. */
  readonly distDir: string;
  /**
   * Written as `config.json` next to the page, over the defaults `{ apiBase: '/v1', stage }`:
   * title, timeZone, refreshSeconds. Nothing secret: every visitor can read it.
   */
  readonly config: Readonly<Record<string, string | number>>;
  /** DESTROY also empties the buckets on stack deletion. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Retention of the deployment function's log group. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Receives the S3 server access logs of the site bucket (`dashboard-bucket/`) and CloudFront's
   * standard logs (`cloudfront/`); CloudFront's standard logging needs ACLs enabled on it
   * (object ownership `OBJECT_WRITER` or `BUCKET_OWNER_PREFERRED`).
   * @default - a bucket of its own
   */
  readonly logBucket?: s3.IBucket;
  /** Days the logs are kept in the bucket made here. @default Duration.days(90) */
  readonly logExpiration?: Duration;
  /** ARN of an AWS WAF web ACL (scope CLOUDFRONT, in us-east-1) to attach. @default - none */
  readonly webAclArn?: string;
  /** @default cloudfront.PriceClass.PRICE_CLASS_100 */
  readonly priceClass?: cloudfront.PriceClass;
}

/**
 * The dashboard on AWS: a private, encrypted, TLS-only S3 bucket served only through a
 * CloudFront distribution (origin access control, HTTPS only, security response headers), with
 * the read API on the same origin under `/v1/*` (no caching; query strings and `x-api-key`
 * forwarded), standard access logs, and a deployment of the built page plus its `config.json`
 * (which never contains an API key) that invalidates the distribution.
 */
export class Dashboard extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly logBucket: s3.IBucket;
  public readonly distribution: cloudfront.Distribution;
  public readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  public readonly apiOriginRequestPolicy: cloudfront.OriginRequestPolicy;
  public readonly deployment: s3deploy.BucketDeployment;
  /** `https://<distribution domain>`: the dashboard's address. */
  public readonly url: string;
  /** What `config.json` holds. */
  public readonly config: Readonly<Record<string, string | number>>;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const destroy = removalPolicy === RemovalPolicy.DESTROY;
    // The stage's name as written (e.g. `dev`), for a readable origin path and config.json; its Ref otherwise.
    const cfnStage = props.api.deploymentStage.node.defaultChild;
    const stageName =
      cfnStage instanceof apigw.CfnStage && cfnStage.stageName !== undefined && !Token.isUnresolved(cfnStage.stageName)
        ? cfnStage.stageName
        : props.api.deploymentStage.stageName;
    if ('apiKey' in props.config) throw new Error('Dashboard: config.json is public; it must not carry an apiKey');

    if (props.logBucket) {
      this.logBucket = props.logBucket;
    } else {
      const logBucket = new s3.Bucket(this, 'Logs', {
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        minimumTLSVersion: 1.2,
        // CloudFront's standard (legacy) logging writes with an ACL grant to its log-delivery account.
        objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
        lifecycleRules: [{ id: 'expire-logs', expiration: props.logExpiration ?? Duration.days(90) }],
        removalPolicy,
        autoDeleteObjects: destroy,
      });
      Validations.of(logBucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason: 'This is the access-log bucket of the dashboard (S3 server access logs and CloudFront logs); logging it into itself would loop.',
      });
      this.logBucket = logBucket;
    }

    this.bucket = new s3.Bucket(this, 'Site', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 'dashboard-bucket/',
      removalPolicy,
      autoDeleteObjects: destroy,
    });

    this.responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Dashboard: CSP self only, HSTS, nosniff, frame DENY, referrer policy',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: DASHBOARD_CSP, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override: true },
      },
    });

    // The read API: API Gateway wants its own Host, so only the key header and the query go through.
    this.apiOriginRequestPolicy = new cloudfront.OriginRequestPolicy(this, 'ApiOriginRequest', {
      comment: 'Dashboard to read API: query strings and x-api-key',
      headerBehavior: cloudfront.OriginRequestHeaderBehavior.allowList('x-api-key'),
      queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.all(),
      cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
    });
    const apiOrigin = new origins.HttpOrigin(`${props.api.restApiId}.execute-api.${Stack.of(props.api).region}.${Stack.of(props.api).urlSuffix}`, {
      originPath: `/${stageName}`,
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `User-behaviour analytics dashboard (${stageName})`,
      defaultRootObject: 'index.html',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: props.priceClass ?? cloudfront.PriceClass.PRICE_CLASS_100,
      webAclId: props.webAclArn,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.responseHeadersPolicy,
        compress: true,
      },
      additionalBehaviors: {
        [API_PATH_PATTERN]: {
          origin: apiOrigin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: this.apiOriginRequestPolicy,
          responseHeadersPolicy: this.responseHeadersPolicy,
          compress: true,
        },
      },
    });
    this.url = `https://${this.distribution.distributionDomainName}`;

    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR4',
      reason:
        'The distribution uses the default *.cloudfront.net certificate, with which CloudFront accepts TLSv1 whatever minimumProtocolVersion says; TLSv1.2_2021 needs a custom domain and ACM certificate, which a deployment adds when it has a domain.',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason: 'The dashboard is read by the team wherever it works; reads need the API key, so a country allow-list adds nothing a deployment could not add for its own policy.',
    });
    if (!props.webAclArn) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR2',
        reason:
          'Static files are public by design and every API read needs the API key and is throttled by the usage plan; a WAF web ACL (webAclArn) is attached per deployment, not part of the base cost.',
      });
    }

    this.config = { apiBase: '/v1', stage: stageName, ...props.config };
    const deploymentLogs = new logs.LogGroup(this, 'DeploymentLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });
    this.deployment = new s3deploy.BucketDeployment(this, 'Deployment', {
      sources: [s3deploy.Source.asset(props.distDir), s3deploy.Source.jsonData('config.json', this.config)],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      prune: true,
      memoryLimit: 256,
      logGroup: deploymentLogs,
    });
    this.acknowledgeDeploymentFindings();
  }

  /**
   * Acknowledges, on the role and policy of CDK's BucketDeployment function (a singleton at
   * stack level), exactly the findings that CDK's own grants produce; anything else added to
   * that policy later is still reported.
   */
  private acknowledgeDeploymentFindings(): void {
    const role = this.deployment.handlerRole;
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: "CDK's BucketDeployment function writes its logs with the AWS-managed basic execution policy; it runs only while the stack deploys.",
    });
    const deploymentFunction = role.node.scope;
    if (deploymentFunction) {
      Validations.of(deploymentFunction).acknowledge({
        id: 'AwsSolutions-L1',
        reason: "The runtime of CDK's BucketDeployment function (Python, with the AWS CLI layer) is chosen by aws-cdk-lib and moves with its upgrades; it runs only while the stack deploys.",
      });
    }
    const policy = role.node.tryFindChild('DefaultPolicy');
    if (!(policy instanceof iam.Policy)) return;
    const stack = Stack.of(this);
    const siteObjects = `Resource::<${stack.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*`;
    for (const finding of wildcardFindings(stack.resolve(policy.document))) {
      let reason: string | undefined;
      if (finding.id.startsWith('Action::s3:')) {
        reason = "CDK's grantRead/grantReadWrite action groups: the function reads the asset zip and syncs (puts, lists, deletes) the objects of the site bucket.";
      } else if (finding.id === siteObjects) {
        reason = 'The deployment replaces and prunes every object of the site bucket (the page, its bundle and config.json), so it writes to the whole bucket.';
      } else if (/^Resource::arn:(?:aws[a-z-]*|<AWS::Partition>):s3:::cdk-[^/]*-assets-[^/]*\/\*$/.test(finding.id)) {
        reason = 'The asset objects in the CDK bootstrap bucket are named by content hash at synth time; CDK grants read on the bucket\'s objects.';
      } else if (finding.id === 'Resource::*' && finding.actions.every((a) => a.startsWith('cloudfront:'))) {
        reason = "CDK's BucketDeployment invalidates the distribution after a deploy; it grants cloudfront:CreateInvalidation and GetInvalidation on all distributions.";
      }
      if (reason) Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[${finding.id}]`, reason });
    }
  }
}

/** A wildcard finding of cdk-nag's IAM5 rule (`Action::…` or `Resource::…`) and the actions of its statement. */
interface WildcardFinding {
  readonly id: string;
  readonly actions: readonly string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

/** A resolved CloudFormation value written the way cdk-nag names findings (`<Logical.Arn>`, `<AWS::Region>`). */
function flattenReference(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (isRecord(value)) {
    const join = value['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) return join[1].map(flattenReference).join(join[0]);
    if ('Fn::Sub' in value) return flattenReference(value['Fn::Sub']);
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${flattenReference(getAtt[0])}.${flattenReference(getAtt[1])}>`;
    if ('Fn::ImportValue' in value) return flattenReference(value['Fn::ImportValue']);
    if ('Ref' in value) return `<${flattenReference(value.Ref)}>`;
  }
  return JSON.stringify(value);
}

/** The wildcard actions and resources of a resolved policy document's Allow statements. */
function wildcardFindings(document: unknown): WildcardFinding[] {
  const out = new Map<string, WildcardFinding>();
  const statements = isRecord(document) ? asArray(document.Statement) : [];
  for (const statement of statements) {
    if (!isRecord(statement) || statement.Effect !== 'Allow') continue;
    const actions = asArray(statement.Action).filter((a): a is string => typeof a === 'string');
    for (const action of actions) if (action.includes('*')) out.set(`Action::${action}`, { id: `Action::${action}`, actions });
    for (const resource of asArray(statement.Resource).map(flattenReference)) {
      if (resource.includes('*')) out.set(`Resource::${resource}`, { id: `Resource::${resource}`, actions });
    }
  }
  return [...out.values()];
}

