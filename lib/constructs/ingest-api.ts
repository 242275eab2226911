import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { metricsNamespace } from '../../lambdas/shared/metrics';
import type { IngestFrontDoor } from '../config/stage-config';
import { AppFunction } from './app-function';
import { BodySizeFirewall } from './body-size-firewall';
import { IngestLoadBalancer } from './ingest-load-balancer';
import { ProducerKeys } from './producer-keys';

/** The REST API's TLS security policy: TLS 1.3 and TLS 1.2 are accepted, TLS 1.0 and 1.1 refused. */
export const API_SECURITY_POLICY = 'SecurityPolicy_TLS13_1_2_2021_06';

export interface IngestApiProps {
  /** Accepted events are written here. */
  readonly stream: kinesis.IStream;
  /** API Gateway stage name (part of the URL). */
  readonly stageName: string;
  /** IANA zone for event times without an offset. */
  readonly timeZone: string;
  /** One API key per producer (named `<keyNamePrefix>-<producer>`), all on the usage plan. */
  readonly producers: readonly string[];
  /** Prefix of the keys' names, e.g. `uba-dev`. */
  readonly keyNamePrefix: string;
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
  readonly maxEventsPerRequest: number;
  readonly maxBodyBytes: number;
  /** When set, `userId` and `pseudonymizedProps` are replaced by a keyed HMAC with this secret's value. @default - no pseudonymization */
  readonly pseudonymKey?: secretsmanager.ISecret;
  /** @default - none */
  readonly pseudonymizedProps?: readonly string[];
  /** @default 512 */
  readonly memorySize?: number;
  /** Per-method CloudWatch metrics of the stage (billed as custom metrics). @default true */
  readonly detailedMetrics?: boolean;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Of the log groups (and the load balancer's log bucket). @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Where producers send events: the REST API (keys, usage plan) or a load balancer. @default { kind: 'rest' } */
  readonly frontDoor?: IngestFrontDoor;
}

/**
 * The ingest API: the ingest Lambda, which validates, normalises, pseudonymizes and writes to the
 * stream, and the stage's REST API (access-logged, guarded by a web ACL that refuses bodies over
 * `maxBodyBytes` (413) before any Lambda runs), on which the read routes hang. With the `rest`
 * front door, the REST API also has `POST /v1/events` and `POST /v1/paths` behind the producers'
 * API keys (one each) and a usage plan with the stage's throttling; with `alb`, those routes are
 * served by an {@link IngestLoadBalancer} instead, and the Lambda checks the producers' keys
 * ({@link ProducerKeys}) itself.
 */
export class IngestApi extends Construct {
  public readonly api: apigw.RestApi;
  /** The producers' API Gateway keys, by producer name (`rest` front door only). */
  public readonly apiKeys?: Readonly<Record<string, apigw.IApiKey>>;
  public readonly usagePlan?: apigw.UsagePlan;
  /** The producers' keys in Secrets Manager (`alb` front door only). */
  public readonly producerKeys?: ProducerKeys;
  /** The load balancer producers post to (`alb` front door only). */
  public readonly loadBalancer?: IngestLoadBalancer;
  public readonly appFunction: AppFunction;
  /** `/v1` resource, for further routes (the read API) to hang under. */
  public readonly v1: apigw.IResource;
  /** The web ACL that refuses oversized bodies before any Lambda is invoked. */
  public readonly firewall: BodySizeFirewall;
  /** The stage's access log (one JSON line per request, with `status`). */
  public readonly accessLogs: logs.LogGroup;
  /** The stage's execution log (errors), under the name API Gateway writes to, with the stage's retention. */
  public readonly executionLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    this.appFunction = new AppFunction(this, 'Handler', {
      entry: 'lambdas/ingest/handler.ts',
      serviceName: 'ingest',
      memorySize: props.memorySize ?? 512,
      logRetention,
      removalPolicy,
      environment: {
        STREAM_NAME: props.stream.streamName,
        TIME_ZONE: props.timeZone,
        MAX_EVENTS_PER_REQUEST: String(props.maxEventsPerRequest),
        MAX_BODY_BYTES: String(props.maxBodyBytes),
        POWERTOOLS_METRICS_NAMESPACE: metricsNamespace(props.stageName),
        PSEUDONYMIZE: String(props.pseudonymKey !== undefined),
        PSEUDONYMIZED_PROPS: (props.pseudonymizedProps ?? []).join(','),
        ...(props.pseudonymKey ? { PSEUDONYM_SECRET_ARN: props.pseudonymKey.secretArn } : {}),
      },
    });
    // Exactly what the handler calls: PutRecords on the stream, GetSecretValue on the key.
    this.appFunction.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['kinesis:PutRecords'], resources: [props.stream.streamArn] }),
    );
    props.stream.encryptionKey?.grantEncrypt(this.appFunction.role);
    if (props.pseudonymKey) {
      this.appFunction.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [props.pseudonymKey.secretArn] }),
      );
      props.pseudonymKey.encryptionKey?.grantDecrypt(this.appFunction.role);
    }

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logRetention, removalPolicy });
    this.accessLogs = accessLogs;
    this.api = new apigw.RestApi(this, 'Api', {
      description: 'User-behaviour analytics: event ingest',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // One role per account and region, shared by every stage's API: never deleted with a stage.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stageName,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: props.detailedMetrics ?? true,
        throttlingRateLimit: props.throttleRateLimit,
        throttlingBurstLimit: props.throttleBurstLimit,
      },
      defaultMethodOptions: { apiKeyRequired: true },
    });

    // TLS 1.2 or 1.3 only (a regional API's default endpoint otherwise also accepts TLS 1.0).
    // An enhanced policy needs an endpoint access mode: STRICT also rejects requests whose SNI
    // names another host. The CloudFront origin of the dashboard connects with the API's own
    // execute-api host name, so it passes. The L2 RestApi has no prop for either yet.
    // API Gateway writes execution logs (loggingLevel ERROR) to a log group it creates on first use,
    // with no retention and outside the stack: create it here first, under the name it uses.
    this.executionLogs = new logs.LogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${props.stageName}`,
      retention: logRetention,
      removalPolicy,
    });
    this.api.deploymentStage.node.addDependency(this.executionLogs);

    const cfnApi = this.api.node.defaultChild as apigw.CfnRestApi;
    cfnApi.securityPolicy = API_SECURITY_POLICY;
    cfnApi.endpointAccessMode = 'STRICT';

    this.v1 = this.api.root.addResource('v1');
    const frontDoor = props.frontDoor ?? { kind: 'rest' };
    const methods: apigw.Method[] = [];
    if (frontDoor.kind === 'rest') {
      const usagePlan = this.api.addUsagePlan('UsagePlan', {
        description: 'Throttling of producers',
        throttle: { rateLimit: props.throttleRateLimit, burstLimit: props.throttleBurstLimit },
      });
      const apiKeys: Record<string, apigw.IApiKey> = {};
      for (const producer of props.producers) {
        const key = this.api.addApiKey(`ProducerKey-${producer}`, {
          apiKeyName: `${props.keyNamePrefix}-${producer}`,
          description: `Ingest key of the producer ${producer} (POST /v1/events, /v1/paths only)`,
        });
        usagePlan.addApiKey(key);
        apiKeys[producer] = key;
      }
      this.apiKeys = apiKeys;
      this.usagePlan = usagePlan;
      usagePlan.addApiStage({ stage: this.api.deploymentStage });

      const integration = new apigw.LambdaIntegration(this.appFunction.function, { proxy: true });
      methods.push(
        this.v1.addResource('events').addMethod('POST', integration),
        this.v1.addResource('paths').addMethod('POST', integration),
      );
    } else {
      // The Lambda checks the keys itself (lambdas/ingest/producer-keys.ts): it reads exactly these secrets.
      const producerKeys = new ProducerKeys(this, 'ProducerKeys', {
        producers: props.producers,
        prefix: props.keyNamePrefix,
        removalPolicy,
      });
      producerKeys.grantRead(this.appFunction.role);
      this.appFunction.function.addEnvironment('PRODUCER_KEY_SECRETS', producerKeys.environmentValue());
      this.appFunction.function.addEnvironment('PRODUCER_KEY_CACHE_SECONDS', String(frontDoor.keyCacheTtl.toSeconds()));
      this.producerKeys = producerKeys;
      this.loadBalancer = new IngestLoadBalancer(this, 'LoadBalancer', {
        handler: this.appFunction.function,
        certificateArnParameter: frontDoor.certificateArnParameter,
        domainNameParameter: frontDoor.domainNameParameter,
        requestsPerMinutePerProducer: frontDoor.requestsPerMinutePerProducer,
        keylessRequestsPerMinutePerIp: frontDoor.keylessRequestsPerMinutePerIp,
        maxBodyBytes: props.maxBodyBytes,
        metricPrefix: `uba-${props.stageName}-`,
        removalPolicy,
      });
    }

    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'Bodies are validated per event in the ingest Lambda (zod), because the contract answers 207 with a field and reason for each rejected event; an API Gateway model would reject a whole batch with one generic message.',
    });
    // Lambda's synchronous invoke takes at most 6 MB, API Gateway up to 10 MB: bodies the handler
    // would refuse anyway are refused here, so none of them reaches Lambda (which would give a 500).
    this.firewall = new BodySizeFirewall(this, 'Firewall', {
      resourceArn: this.api.deploymentStage.stageArn,
      maxBodyBytes: props.maxBodyBytes,
      metricPrefix: `uba-${props.stageName}-`,
    });
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: 'The account-level role API Gateway uses to write execution logs; AWS maintains this policy for exactly that purpose.',
      });
    }
    for (const method of methods) {
      for (const ruleId of ['AwsSolutions-APIG4', 'AwsSolutions-COG4']) {
        Validations.of(method).acknowledge({
          id: ruleId,
          reason:
            'Ingest callers are servers and apps, not signed-in users: they authenticate with the API key of the usage plan (apiKeyRequired), which also throttles them.',
        });
      }
    }
  }
}
