import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface ProducerKeysProps {
  /** One key per producer. */
  readonly producers: readonly string[];
  /** Prefix of the secrets' descriptions, e.g. `uba-prod`. */
  readonly prefix: string;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** Length of a generated producer key (letters and digits: about 238 bits). */
export const PRODUCER_KEY_LENGTH = 40;

/**
 * The producers' ingest keys when no API Gateway checks them (the load-balancer front door): one
 * generated Secrets Manager secret per producer, whose value is the key the producer sends as
 * `x-api-key`. The ingest Lambda reads them (see `grantRead`) and compares digests.
 */
export class ProducerKeys extends Construct {
  /** The secret of each producer, by producer name. */
  public readonly secrets: Readonly<Record<string, secretsmanager.Secret>>;

  constructor(scope: Construct, id: string, props: ProducerKeysProps) {
    super(scope, id);
    const secrets: Record<string, secretsmanager.Secret> = {};
    for (const producer of props.producers) {
      const secret = new secretsmanager.Secret(this, producer, {
        description: `${props.prefix}: ingest key of the producer ${producer} (x-api-key of POST /v1/events, /v1/paths)`,
        generateSecretString: { passwordLength: PRODUCER_KEY_LENGTH, excludePunctuation: true },
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'A producer key is rotated together with its producer, by hand: PutSecretValue makes a new current value while the ingest Lambda keeps accepting the previous one (AWSPREVIOUS) until the producer has switched (docs/security.md); a scheduled rotation Lambda cannot update the producer.',
      });
      secrets[producer] = secret;
    }
    this.secrets = secrets;
  }

  /** `producer=<secret ARN>` pairs, comma-separated: the ingest Lambda's `PRODUCER_KEY_SECRETS`. */
  environmentValue(): string {
    return Object.entries(this.secrets)
      .map(([producer, secret]) => `${producer}=${secret.secretArn}`)
      .join(',');
  }

  /** Lets `grantee` read exactly these secrets (their values, not their list). */
  grantRead(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: Object.values(this.secrets).map((secret) => secret.secretArn),
      }),
    );
  }
}
