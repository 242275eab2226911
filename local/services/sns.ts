import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import type { TemplateResolver } from '../template';
import { closeHttpServer, listen, LOCAL_HOST, type RunningService } from './ports';

/** A message published to a topic, as the stand-in keeps it. */
export interface PublishedMessage {
  readonly messageId: string;
  readonly topicArn: string;
  readonly subject?: string;
  readonly message: string;
  readonly publishedAt: string;
}

export interface SnsOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** ARNs of the topics that exist (from the templates). */
  readonly topicArns: readonly string[];
  /** Messages are appended as JSON lines to `<dir>/<topic name>.jsonl`. */
  readonly dir: string;
}

export interface RunningSns extends RunningService {
  /** Messages published since start, in order. */
  readonly messages: readonly PublishedMessage[];
}

/** ARNs of the `AWS::SNS::Topic` resources of the templates. */
export function snsTopicsFromTemplate(resolver: TemplateResolver): string[] {
  return resolver.resourcesOfType('AWS::SNS::Topic').map((t) => resolver.ref(t.stackName, t.logicalId));
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function errorXml(code: string, message: string, requestId: string): string {
  return `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}

/** SNS limits a message to 256 KB and a subject to 100 printable ASCII characters. */
export const MAX_MESSAGE_BYTES = 262_144;
export const MAX_SUBJECT_LENGTH = 100;

/**
 * Answers one SNS Query-protocol request (`Action=Publish` or `ListTopics`) as AWS documents
 * it: validation errors are 400 with an `ErrorResponse` document; unknown topics `NotFound`.
 */
export function handleSnsRequest(
  params: URLSearchParams,
  topics: ReadonlySet<string>,
  publish: (m: PublishedMessage) => void,
): { status: number; body: string } {
  const requestId = randomUUID();
  const action = params.get('Action');
  if (action === 'ListTopics') {
    const members = [...topics].map((arn) => `<member><TopicArn>${xml(arn)}</TopicArn></member>`).join('');
    return {
      status: 200,
      body: `<ListTopicsResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ListTopicsResult><Topics>${members}</Topics></ListTopicsResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></ListTopicsResponse>`,
    };
  }
  if (action !== 'Publish')
    return { status: 400, body: errorXml('InvalidAction', `The action ${action ?? '(none)'} is not valid for this endpoint.`, requestId) };
  const topicArn = params.get('TopicArn') ?? params.get('TargetArn');
  const message = params.get('Message');
  const subject = params.get('Subject') ?? undefined;
  if (!topicArn)
    return {
      status: 400,
      body: errorXml('InvalidParameter', 'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter', requestId),
    };
  if (message === null || message.length === 0)
    return { status: 400, body: errorXml('InvalidParameter', 'Invalid parameter: Empty message', requestId) };
  if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES)
    return { status: 400, body: errorXml('InvalidParameter', 'Invalid parameter: Message too long', requestId) };
  if (subject !== undefined && (subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH || !/^[\x20-\x7e]+$/.test(subject))) {
    return { status: 400, body: errorXml('InvalidParameter', 'Invalid parameter: Subject', requestId) };
  }
  if (!topics.has(topicArn)) return { status: 404, body: errorXml('NotFound', 'Topic does not exist', requestId) };
  const messageId = randomUUID();
  publish({ messageId, topicArn, subject, message, publishedAt: new Date().toISOString() });
  return {
    status: 200,
    body: `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${messageId}</MessageId></PublishResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`,
  };
}

/**
 * An SNS stand-in for `Publish` on the templates' topics, speaking the Query protocol the SDK
 * uses; every message is kept in memory and appended to `<dir>/<topic>.jsonl` where a person or
 * a test can read what subscribers would have received.
 */
export async function startSns(options: SnsOptions): Promise<RunningSns> {
  const topics = new Set(options.topicArns);
  const messages: PublishedMessage[] = [];
  fs.mkdirSync(options.dir, { recursive: true });
  const publish = (m: PublishedMessage) => {
    messages.push(m);
    const name = m.topicArn.split(':').pop() ?? 'topic';
    fs.appendFileSync(path.join(options.dir, `${name}.jsonl`), `${JSON.stringify(m)}\n`);
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const answer = handleSnsRequest(params, topics, publish);
      res.writeHead(answer.status, { 'content-type': 'text/xml' });
      res.end(answer.body);
    });
  });
  const port = await listen(server, options.port, 'local SNS (--port + 5)');
  return {
    endpoint: `http://${LOCAL_HOST}:${port}`,
    port,
    messages,
    stop: () => closeHttpServer(server),
  };
}
