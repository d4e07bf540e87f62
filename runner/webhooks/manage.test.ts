import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { createSubscription } from './manage.ts';

describe('createSubscription', () => {
  it('names every problem before calling Klaviyo', async () => {
    const attempt = createSubscription(
      { name: ' ', url: 'ftp://hooks.example.com', topics: ['placed order'] },
      { KLAVIYO_WEBHOOK_SECRET: 'short', KLAVIYO_API_KEY: 'pk_unused_here' },
    );
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toMatchObject({
      problems: [
        expect.stringMatching(/KLAVIYO_WEBHOOK_SECRET must be set to a secret of at least 16 characters/),
        '--url ftp://hooks.example.com must be https:// (Klaviyo delivers only to https).',
        '--topic placed order is not a topic id such as event:klaviyo.email_delivered.',
        '--name must not be empty.',
      ],
    });
  });

  it('asks for at least one topic', async () => {
    await expect(
      createSubscription(
        { name: 'n', url: 'https://hooks.example.com', topics: [] },
        { KLAVIYO_WEBHOOK_SECRET: 'long-enough-secret-0001' },
      ),
    ).rejects.toMatchObject({ problems: [expect.stringMatching(/--topic is required/)] });
  });
});
