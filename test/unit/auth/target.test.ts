import * as fs from 'fs';
import * as path from 'path';
import { identityTarget, regionOfPool, TargetError } from '../../../scripts/auth/target';
import { tempDir } from '../../support/temp-dirs';

describe('identityTarget', () => {
  it('reads a deployed stage from the identity stack outputs, with the region of the pool id', async () => {
    // prepare
    const asked: string[] = [];
    const describe = async (stack: string) => {
      asked.push(stack);
      return { UserPoolId: 'eu-west-1_AbC123', CliClientId: 'client1' };
    };

    // act
    const target = await identityTarget({ stage: 'prod', localDir: '/nowhere' }, describe);

    // assess
    expect(asked).toEqual(['uba-prod-identity']);
    expect(target).toEqual({
      region: 'eu-west-1',
      userPoolId: 'eu-west-1_AbC123',
      cliClientId: 'client1',
      source: 'stack uba-prod-identity',
    });
  });

  it('says what to do when the stack cannot be read or lacks the outputs', async () => {
    await expect(
      identityTarget({ stage: 'uat', localDir: '/nowhere' }, async () => {
        throw new Error('Stack with id uba-uat-identity does not exist');
      }),
    ).rejects.toThrow(/cannot read the outputs of stack uba-uat-identity: Stack with id/);
    await expect(identityTarget({ stage: 'uat', localDir: '/nowhere' }, async () => ({}))).rejects.toThrow(TargetError);
  });

  it('uses the local runtime without a stage, and says to start it when it is not running', async () => {
    // prepare
    const dir = tempDir('auth-target-');
    const cognito = {
      endpoint: 'http://127.0.0.1:8795',
      region: 'us-east-1',
      userPoolId: 'us-east-1_Local',
      issuer: 'x',
      clients: { cli: 'c1' },
      managedLogin: 'x',
    };

    // act / assess
    await expect(identityTarget({ localDir: dir })).rejects.toThrow(/endpoints\.json not found: start the local runtime/);
    fs.writeFileSync(path.join(dir, 'endpoints.json'), JSON.stringify({ stage: 'dev', cognito, users: [] }));
    expect(await identityTarget({ localDir: dir })).toMatchObject({
      region: 'us-east-1',
      userPoolId: 'us-east-1_Local',
      cliClientId: 'c1',
      endpoint: 'http://127.0.0.1:8795',
    });
  });

  it('takes the region from a pool id', () => {
    expect(regionOfPool('ap-southeast-1_x9')).toBe('ap-southeast-1');
  });
});
