import { dashboardCsp } from '../../dashboard/csp';
import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { acknowledgeBucketDeploymentFindings } from '../nag';

export { dashboardCsp };

/** Path pattern of the read API on the distribution. */
export const API_PATH_PATTERN = '/v1/*';

/** The OAuth scopes the dashboard asks for: who the user is, nothing else. */
export const DASHBOARD_SCOPES = [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE] as const;

/** How people sign in to the dashboard: a Cognito user pool and its managed login domain. */
export interface DashboardSignInProps {
  /** The user pool whose users (in its groups) read the API. */
  readonly userPool: cognito.IUserPool;
  /** Base URL of the pool's managed login domain, e.g. `https://uba-dev-….auth.eu-west-1.amazoncognito.com` (no trailing slash). */
  readonly loginDomainUrl: string;
  /** Lifetime of the ID and access tokens the dashboard gets. @default Duration.minutes(60) */
  readonly tokenValidity?: Duration;
  /** Lifetime of its refresh tokens. @default Duration.days(1) */
  readonly refreshTokenValidity?: Duration;
}

/** `sign-in` part of config.json: where the page signs in. */
export interface DashboardAuthConfig {
  /** The managed login domain's base URL. */
  readonly domain: string;
  /** The dashboard's app client (public: no secret). */
  readonly clientId: string;
  readonly scopes: readonly string[];
}

/** What config.json holds: no secret, every visitor can read it. */
export interface DashboardConfigJson {
  readonly apiBase: string;
  readonly stage: string;
  readonly auth: DashboardAuthConfig;
  readonly [setting: string]: string | number | DashboardAuthConfig;
}

export interface DashboardProps {
  /** The REST API whose `/v1/*` routes the page calls on the same origin (stage from its deployment stage). */
  readonly api: apigw.RestApi;
  /** The built dashboard (dashboard/build.ts): index.html, app.js, styles.css. */
  readonly distDir: string;
  /** The user pool people sign in with; the dashboard's app client is made here. */
  readonly signIn: DashboardSignInProps;
  /**
   * Written as `config.json` next to the page, over the defaults `{ apiBase: '/v1', stage }` and
   * the sign-in settings (`auth`): title, timeZone, refreshSeconds. Nothing secret: every visitor can read it.
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
 * the read API on the same origin under `/v1/*` (no caching; query strings and the
 * `Authorization` header forwarded), standard access logs, the dashboard's Cognito app client
 * (authorization code flow with PKCE, callback and sign-out URL = the distribution's address), and
 * a deployment of the built page plus its `config.json` (the sign-in settings, never a key) that
 * invalidates the distribution.
 */
export class Dashboard extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly logBucket: s3.IBucket;
  public readonly distribution: cloudfront.Distribution;
  public readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  public readonly apiOriginRequestPolicy: cloudfront.IOriginRequestPolicy;
  public readonly deployment: s3deploy.BucketDeployment;
  /** The dashboard's app client in the user pool. */
  public readonly appClient: cognito.UserPoolClient;
  /** `https://<distribution domain>`: the dashboard's address. */
  public readonly url: string;
  /** What `config.json` holds. */
  public readonly config: DashboardConfigJson;

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
        reason:
          'This is the access-log bucket of the dashboard (S3 server access logs and CloudFront logs); logging it into itself would loop.',
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
        contentSecurityPolicy: { contentSecurityPolicy: dashboardCsp(props.signIn.loginDomainUrl), override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override: true },
      },
    });

    // The read API: API Gateway wants its own Host. The Authorization header (the ID token) cannot
    // be in an origin request policy of our own (CloudFront refuses it); with caching disabled the
    // managed AllViewerExceptHostHeader policy forwards it, with the query strings.
    this.apiOriginRequestPolicy = cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER;
    const apiOrigin = new origins.HttpOrigin(
      `${props.api.restApiId}.execute-api.${Stack.of(props.api).region}.${Stack.of(props.api).urlSuffix}`,
      {
        originPath: `/${stageName}`,
        protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
        originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      },
    );

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
    if (!props.logBucket && destroy) this.closeLogBucketOnDelete();

    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR4',
      reason:
        'The distribution uses the default *.cloudfront.net certificate, with which CloudFront accepts TLSv1 whatever minimumProtocolVersion says; TLSv1.2_2021 needs a custom domain and ACM certificate, which a deployment adds when it has a domain.',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason:
        "The dashboard is read by the team wherever it works; every read needs a signed-in user's token, so a country allow-list adds nothing a deployment could not add for its own policy.",
    });
    if (!props.webAclArn) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR2',
        reason:
          "Static files are public by design and every API read needs a signed-in user's token and is throttled by the API stage; a WAF web ACL (webAclArn) is attached per deployment, not part of the base cost.",
      });
    }

    // Sign-in: a public client (no secret, the page cannot keep one) with the code flow and PKCE only,
    // calling back to the distribution's own address.
    const siteUrl = `${this.url}/`;
    this.appClient = new cognito.UserPoolClient(this, 'AppClient', {
      userPool: props.signIn.userPool,
      generateSecret: false,
      // Managed login signs users in; the client itself allows no password or SRP flow, only refreshing.
      authFlows: { userSrp: false, userPassword: false, custom: false },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [...DASHBOARD_SCOPES],
        callbackUrls: [siteUrl],
        logoutUrls: [siteUrl],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: props.signIn.tokenValidity ?? Duration.minutes(60),
      accessTokenValidity: props.signIn.tokenValidity ?? Duration.minutes(60),
      refreshTokenValidity: props.signIn.refreshTokenValidity ?? Duration.days(1),
    });

    this.config = {
      apiBase: '/v1',
      stage: stageName,
      ...props.config,
      auth: {
        domain: props.signIn.loginDomainUrl,
        clientId: this.appClient.userPoolClientId,
        scopes: DASHBOARD_SCOPES.map((s) => s.scopeName),
      },
    };
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
    acknowledgeBucketDeploymentFindings(
      this.deployment,
      this.bucket,
      'The deployment replaces and prunes every object of the site bucket (the page, its bundle and config.json), so it writes to the whole bucket.',
    );
  }

  /**
   * Makes the deletion of the log bucket made here always finish. CloudFront (through an ACL
   * grant) and S3 server access logging deliver log files late, up to hours after the request.
   * The bucket's auto-delete handler empties it and adds a deny on `s3:PutObject` to its policy;
   * if CloudFormation then deleted the bucket policy, the deny would go with it, a late log file
   * could land before the bucket is deleted, and the delete would fail with BucketNotEmpty. So:
   * the bucket policy is retained (the deny stays until S3 deletes the policy with the bucket),
   * and the handler empties the bucket only after the distribution and the site bucket, the two
   * writers, are deleted.
   */
  private closeLogBucketOnDelete(): void {
    if (!(this.logBucket instanceof s3.Bucket)) return;
    this.logBucket.policy?.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const autoDelete = this.logBucket.node.tryFindChild('AutoDeleteObjectsCustomResource');
    if (!autoDelete) throw new Error('Dashboard: the log bucket has no auto-delete custom resource to order');
    autoDelete.node.addDependency(this.distribution, this.bucket);
  }
}
