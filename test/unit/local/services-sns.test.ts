import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { localClientConfig } from '../../../local/services/clients';
import { isPortOpen } from '../../../local/services/ports';
import { RunningSns, startSns } from '../../../local/services/sns';

const TOPIC = 'arn:aws:sns:us-east-1:000000000000:uba-dev-alerts-Topic-ABC';

describe('SNS stand-in', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uba-sns-'));
  let sns: RunningSns;
  let client: SNSClient;

  beforeAll(async () => {
    sns = await startSns({ port: 0, topicArns: [TOPIC], dir });
    client = new SNSClient(localClientConfig(sns.endpoint));
  });
  afterAll(async () => {
    client.destroy();
    await sns.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('takes a Publish from the real SDK client and keeps the message where it can be read', async () => {
    const out = await client.send(new PublishCommand({ TopicArn: TOPIC, Subject: '3 new alerts', Message: 'hello' }));
    expect(out.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sns.messages).toEqual([
      expect.objectContaining({ topicArn: TOPIC, subject: '3 new alerts', message: 'hello', messageId: out.MessageId }),
    ]);
    const lines = fs.readFileSync(path.join(dir, 'uba-dev-alerts-Topic-ABC.jsonl'), 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0])).toMatchObject({ message: 'hello' });
  });

  it('refuses an unknown topic, an empty message and a subject over 100 characters, as SNS does', async () => {
    await expect(client.send(new PublishCommand({ TopicArn: `${TOPIC}-nope`, Message: 'x' }))).rejects.toMatchObject({
      name: 'NotFoundException',
    });
    await expect(client.send(new PublishCommand({ TopicArn: TOPIC, Message: '' }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
    await expect(client.send(new PublishCommand({ TopicArn: TOPIC, Message: 'x', Subject: 's'.repeat(101) }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
    expect(sns.messages).toHaveLength(1);
  });

  it('leaves nothing listening after stop', async () => {
    const other = await startSns({ port: 0, topicArns: [], dir });
    await other.stop();
    expect(await isPortOpen(other.port)).toBe(false);
  });
});
