import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { bodyTooLarge, BODY_FIELD } from '../../lambdas/shared/http';
import type { FieldIssue } from '../../lambdas/shared/issues';

export interface BodySizeFirewallProps {
  /** ARN of what the web ACL guards: a REST API stage or an Application Load Balancer. */
  readonly resourceArn: string;
  /** Largest request body (bytes, by `Content-Length`) let through to the integration. */
  readonly maxBodyBytes: number;
  /** Prefix of the CloudWatch metric names of the web ACL and its rules. */
  readonly metricPrefix: string;
  /**
   * Also refuse (429) requests carrying one value of `header` (a producer key) more than
   * `requestsPerMinute` times in a minute; requests without the header are not counted (they are
   * refused 401 behind). @default - no rate limit
   */
  readonly rateLimit?: {
    readonly header: string;
    readonly requestsPerMinute: number;
    /**
     * Also refuse (429) requests WITHOUT `header` (or with it empty) from one source IP address
     * beyond this many in a minute: those the key rule does not count, each of which would
     * otherwise reach the integration (to be refused 401 there). @default - not limited
     */
    readonly keylessRequestsPerMinutePerIp?: number;
  };
}

/** The field a request without a usable `Content-Length` is refused on. */
const CONTENT_LENGTH_FIELD = 'content-length';

/** The JSON body the API's own error answers carry: `{"error","field","reason"}`. */
const problemBody = (problem: FieldIssue): string =>
  JSON.stringify({ error: `${problem.field}: ${problem.reason}`, field: problem.field, reason: problem.reason });

/**
 * A regular expression (PCRE subset AWS WAF accepts: anchors, classes, bounded repeats,
 * non-capturing groups; no capture) matching exactly the decimal texts, leading zeros allowed,
 * of the whole numbers greater than `limit`. Throws RangeError for a negative or non-integer limit.
 */
export function integerAbove(limit: number): string {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`limit must be a whole number ≥ 0, got ${limit}`);
  const digits = String(limit);
  const branches = [`[1-9][0-9]{${digits.length},}`];
  for (let i = 0; i < digits.length; i += 1) {
    const digit = Number(digits[i]);
    if (digit === 9) continue;
    const rest = digits.length - i - 1;
    const higher = digit === 8 ? '9' : `[${digit + 1}-9]`;
    branches.push(`${digits.slice(0, i)}${higher}${rest > 1 ? `[0-9]{${rest}}` : rest === 1 ? '[0-9]' : ''}`);
  }
  return `^0*(?:${branches.join('|')})$`;
}

/**
 * An AWS WAF web ACL on a REST API stage or a load balancer that refuses, before any Lambda is invoked, a
 * request whose `Content-Length` is larger than `maxBodyBytes` (413, the same JSON error the
 * ingest Lambda gives, naming `body` and the limit) and a POST without a decimal
 * `Content-Length` (411, naming `content-length`), whose size could not be checked. Lambda's
 * synchronous invoke takes at most 6 MB: a larger proxy event is refused by Lambda and API
 * Gateway then answers a bare 500, which this prevents. With `rateLimit`, a producer key sending
 * more than its requests per minute is refused 429 (in place of a usage plan's throttling), and
 * optionally so is one source address sending too many requests without a key.
 * Everything else is allowed.
 */
export class BodySizeFirewall extends Construct {
  public readonly webAcl: wafv2.CfnWebACL;
  /** The web ACL's CloudWatch metric name (dimension `WebACL` of the `AWS/WAFV2` metrics). */
  public readonly metricName: string;
  /** The rate rule's metric name (dimension `Rule`), with `rateLimit` only. */
  public readonly rateRuleMetricName?: string;
  /** The keyless rate rule's metric name (dimension `Rule`), with `rateLimit.keylessRequestsPerMinutePerIp` only. */
  public readonly keylessRuleMetricName?: string;

  constructor(scope: Construct, id: string, props: BodySizeFirewallProps) {
    super(scope, id);
    const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName: `${props.metricPrefix}${name}`,
    });
    this.metricName = visibility('BodySize').metricName;
    if (props.rateLimit) this.rateRuleMetricName = visibility('ProducerKeyRate').metricName;
    const keyless = props.rateLimit?.keylessRequestsPerMinutePerIp;
    if (keyless !== undefined) this.keylessRuleMetricName = visibility('KeylessIpRate').metricName;
    const contentLength = { singleHeader: { Name: CONTENT_LENGTH_FIELD } };
    const asIs = [{ priority: 0, type: 'NONE' }];

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      description: `Refuses bodies over ${props.maxBodyBytes} bytes with 413, and POSTs without Content-Length with 411, before the integration`,
      defaultAction: { allow: {} },
      visibilityConfig: visibility('BodySize'),
      customResponseBodies: {
        bodyTooLarge: { contentType: 'APPLICATION_JSON', content: problemBody(bodyTooLarge(props.maxBodyBytes)) },
        ...(props.rateLimit
          ? {
              tooManyRequests: {
                contentType: 'APPLICATION_JSON',
                content: problemBody({
                  field: props.rateLimit.header,
                  reason: `sent more than ${props.rateLimit.requestsPerMinute} requests in a minute; retry later`,
                }),
              },
            }
          : {}),
        ...(props.rateLimit && keyless !== undefined
          ? {
              tooManyKeyless: {
                contentType: 'APPLICATION_JSON',
                content: problemBody({
                  field: props.rateLimit.header,
                  reason: `is required: more than ${keyless} requests without it came from this address in a minute; retry later with a producer key`,
                }),
              },
            }
          : {}),
        lengthRequired: {
          contentType: 'APPLICATION_JSON',
          content: problemBody({
            field: CONTENT_LENGTH_FIELD,
            reason: `is required: a decimal byte count of the ${BODY_FIELD} (at most ${props.maxBodyBytes})`,
          }),
        },
      },
      rules: [
        {
          name: 'BodyOverLimit',
          priority: 0,
          statement: {
            regexMatchStatement: { fieldToMatch: contentLength, regexString: integerAbove(props.maxBodyBytes), textTransformations: asIs },
          },
          action: { block: { customResponse: { responseCode: 413, customResponseBodyKey: 'bodyTooLarge' } } },
          visibilityConfig: visibility('BodyOverLimit'),
        },
        {
          name: 'PostWithoutLength',
          priority: 1,
          statement: {
            andStatement: {
              statements: [
                {
                  byteMatchStatement: {
                    fieldToMatch: { method: {} },
                    positionalConstraint: 'EXACTLY',
                    searchString: 'POST',
                    textTransformations: asIs,
                  },
                },
                {
                  notStatement: {
                    statement: {
                      regexMatchStatement: { fieldToMatch: contentLength, regexString: '^[0-9]{1,19}$', textTransformations: asIs },
                    },
                  },
                },
              ],
            },
          },
          action: { block: { customResponse: { responseCode: 411, customResponseBodyKey: 'lengthRequired' } } },
          visibilityConfig: visibility('PostWithoutLength'),
        },
        ...(props.rateLimit
          ? [
              {
                name: 'ProducerKeyRate',
                priority: 2,
                statement: {
                  rateBasedStatement: {
                    limit: props.rateLimit.requestsPerMinute,
                    evaluationWindowSec: 60,
                    aggregateKeyType: 'CUSTOM_KEYS',
                    customKeys: [{ header: { name: props.rateLimit.header, textTransformations: asIs } }],
                  },
                },
                action: {
                  block: {
                    customResponse: {
                      responseCode: 429,
                      customResponseBodyKey: 'tooManyRequests',
                      responseHeaders: [{ name: 'retry-after', value: '60' }],
                    },
                  },
                },
                visibilityConfig: visibility('ProducerKeyRate'),
              },
            ]
          : []),
        ...(props.rateLimit && keyless !== undefined
          ? [
              {
                name: 'KeylessIpRate',
                priority: 3,
                statement: {
                  rateBasedStatement: {
                    limit: keyless,
                    evaluationWindowSec: 60,
                    aggregateKeyType: 'IP',
                    // Only requests whose header is missing or empty are counted (a missing header matches no statement on it).
                    scopeDownStatement: {
                      notStatement: {
                        statement: {
                          sizeConstraintStatement: {
                            fieldToMatch: { singleHeader: { Name: props.rateLimit.header } },
                            comparisonOperator: 'GT',
                            size: 0,
                            textTransformations: asIs,
                          },
                        },
                      },
                    },
                  },
                },
                action: {
                  block: {
                    customResponse: {
                      responseCode: 429,
                      customResponseBodyKey: 'tooManyKeyless',
                      responseHeaders: [{ name: 'retry-after', value: '60' }],
                    },
                  },
                },
                visibilityConfig: visibility('KeylessIpRate'),
              },
            ]
          : []),
      ],
    });

    new wafv2.CfnWebACLAssociation(this, 'Association', { resourceArn: props.resourceArn, webAclArn: this.webAcl.attrArn });
  }
}
