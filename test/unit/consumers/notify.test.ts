import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { SnsNotifier } from '../../../lambdas/consumers/notify';
import { FakeNotifier } from './fake-notifier';

const snsMock = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:us-east-1:000000000000:alerts';

beforeEach(() => snsMock.reset());

describe('SnsNotifier', () => {
  it('publishes the subject and message to the topic', async () => {
    // prepare
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const notifier = new SnsNotifier(new SNSClient({ region: 'us-east-1' }), TOPIC);

    // act
    await notifier.publish({ subject: '[dev] 1 error event: pay 1', message: 'details' });

    // assess
    expect(snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input)).toEqual([
      { TopicArn: TOPIC, Subject: '[dev] 1 error event: pay 1', Message: 'details' },
    ]);
  });

  it('rejects when SNS refuses (the batch is then retried)', async () => {
    // prepare
    snsMock.on(PublishCommand).rejects(new Error('throttled'));
    const notifier = new SnsNotifier(new SNSClient({ region: 'us-east-1' }), TOPIC);

    // act
    const outcome = notifier.publish({ subject: 's', message: 'm' });

    // assess
    await expect(outcome).rejects.toThrow('throttled');
  });
});

describe('FakeNotifier', () => {
  it('keeps what it publishes and fails on demand', async () => {
    // prepare
    const notifier = new FakeNotifier();
    notifier.failNext();

    // act
    const failed = notifier.publish({ subject: 'a', message: 'a' });
    await notifier.publish({ subject: 'b', message: 'b' });

    // assess
    await expect(failed).rejects.toThrow(/injected/);
    expect(notifier.published).toEqual([{ subject: 'b', message: 'b' }]);
  });
});
