import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decodeSecretData,
  encryptionKeyFromSecret,
  s3CredentialsFromSecret,
} from './credentials.ts';

describe('s3CredentialsFromSecret', () => {
  it('accepts AWS-style keys, aliases and an optional session token', () => {
    expect(
      s3CredentialsFromSecret({ AWS_ACCESS_KEY_ID: 'AK', AWS_SECRET_ACCESS_KEY: 'SK\n' }),
    ).toEqual({
      accessKeyId: 'AK',
      secretAccessKey: 'SK',
    });
    expect(
      s3CredentialsFromSecret(
        { accessKey: Buffer.from('a'), secretKey: 'b', AWS_SESSION_TOKEN: 't' },
        'ns/creds',
      ),
    ).toEqual({ accessKeyId: 'a', secretAccessKey: 'b', sessionToken: 't' });
  });

  it('names the Secret and the missing key', () => {
    expect(() =>
      s3CredentialsFromSecret({ AWS_ACCESS_KEY_ID: 'AK', other: 'x' }, 'default/s3-creds'),
    ).toThrow(
      /Secret default\/s3-creds has no key AWS_SECRET_ACCESS_KEY \(or secretKey\); present keys: AWS_ACCESS_KEY_ID, other/,
    );
    expect(() => s3CredentialsFromSecret({}, 'x')).toThrow(
      /AWS_ACCESS_KEY_ID.*and no key AWS_SECRET_ACCESS_KEY.*\(none\)/,
    );
    expect(() =>
      s3CredentialsFromSecret({ AWS_ACCESS_KEY_ID: ' ', AWS_SECRET_ACCESS_KEY: 's' }),
    ).toThrow(/AWS_ACCESS_KEY_ID/);
  });
});

describe('encryptionKeyFromSecret', () => {
  it('reads raw, hex and base64 keys', () => {
    const k = randomBytes(32);
    expect(encryptionKeyFromSecret({ key: k })).toEqual(k);
    expect(encryptionKeyFromSecret({ key: k.toString('hex') })).toEqual(k);
    expect(encryptionKeyFromSecret({ key: `${k.toString('base64')}\n` })).toEqual(k);
    expect(encryptionKeyFromSecret({ other: k.toString('hex') }, 's', 'other')).toEqual(k);
  });

  it('rejects missing and short keys by name', () => {
    expect(() => encryptionKeyFromSecret({}, 'ns/enc')).toThrow(/Secret ns\/enc has no key key/);
    expect(() => encryptionKeyFromSecret({ key: 'short' }, 'ns/enc')).toThrow(/not a 256-bit key/);
  });
});

describe('decodeSecretData', () => {
  it('decodes the base64 values of a Secret as read from the API', () => {
    const data = decodeSecretData({
      AWS_ACCESS_KEY_ID: Buffer.from('AK').toString('base64'),
      AWS_SECRET_ACCESS_KEY: Buffer.from('SK').toString('base64'),
    });
    expect(s3CredentialsFromSecret(data)).toEqual({ accessKeyId: 'AK', secretAccessKey: 'SK' });
    expect(decodeSecretData(undefined)).toEqual({});
  });
});
