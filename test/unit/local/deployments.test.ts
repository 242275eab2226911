import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { applyBucketDeployment } from '../../../local/deployments';
import { startS3, type RunningS3 } from '../../../local/services';

describe('bucket deployments on the S3 stand-in', () => {
  let s3: RunningS3;
  let assetDir: string;

  beforeAll(async () => {
    s3 = await startS3({ port: 0, buckets: ['site'] });
    assetDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uba-asset-'));
    fs.mkdirSync(path.join(assetDir, 'sub'));
    fs.writeFileSync(path.join(assetDir, 'commodity.csv'), 'commodityId,commodityName\n1,Water\n');
    fs.writeFileSync(path.join(assetDir, 'sub', 'config.json'), '{"api":"<<marker:0xbaba:0>>"}');
  });
  afterAll(async () => {
    await s3.stop();
    fs.rmSync(assetDir, { recursive: true, force: true });
  });

  const read = async (key: string) => (await s3.client.send(new GetObjectCommand({ Bucket: 'site', Key: key }))).Body?.transformToString();

  it('puts every file under the prefix with markers replaced, and prunes what the sources do not hold', async () => {
    await s3.client.send(new PutObjectCommand({ Bucket: 'site', Key: 'dim/commodity/old.csv', Body: 'stale' }));
    await s3.client.send(new PutObjectCommand({ Bucket: 'site', Key: 'raw/keep.json', Body: 'other prefix' }));

    const written = await applyBucketDeployment(s3.client, {
      logicalId: 'Dim',
      bucket: 'site',
      prefix: 'dim/commodity/',
      prune: true,
      sources: [{ dir: assetDir, markers: { '<<marker:0xbaba:0>>': 'https://api.example' } }],
    });

    expect(written).toEqual(['dim/commodity/commodity.csv', 'dim/commodity/sub/config.json']);
    expect(await read('dim/commodity/commodity.csv')).toBe('commodityId,commodityName\n1,Water\n');
    expect(await read('dim/commodity/sub/config.json')).toBe('{"api":"https://api.example"}');
    await expect(read('dim/commodity/old.csv')).rejects.toThrow();
    expect(await read('raw/keep.json')).toBe('other prefix');
  });
});
