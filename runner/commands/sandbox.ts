import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { ConfigError } from '../errors.ts';
import { checkedOptions } from './checked.ts';
import type { FaultConfig } from '../sandbox/faults.ts';

interface SandboxCommandOptions {
  host: string;
  faults?: string;
  persist?: string;
}

const checkSandboxOptions = checkedOptions<{
  port: number;
  jobDelay: number;
  rateLimits: 'klaviyo' | 'fast' | 'off';
}>('sandbox', {
  port: { flag: '--port', must: '0 to 65535', schema: { type: 'integer', minimum: 0, maximum: 65535 } },
  jobDelay: {
    flag: '--job-delay',
    must: 'a whole number of milliseconds',
    schema: { type: 'integer', minimum: 0 },
  },
  rateLimits: {
    flag: '--rate-limits',
    must: 'klaviyo, fast or off',
    schema: { enum: ['klaviyo', 'fast', 'off'] },
  },
});

export function sandboxCommand(): Command {
  return new Command('sandbox')
    .description('run a local Klaviyo-compatible server to point KLAVIYO_BASE_URL at')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '8787')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .addOption(
      new Option('--rate-limits <mode>', "Klaviyo's published limits, scaled-down ones, or none")
        .choices(['klaviyo', 'fast', 'off'])
        .default('klaviyo'),
    )
    .option('--job-delay <ms>', 'how long import jobs stay queued, then processing', '1000')
    .option(
      '--faults <file>',
      'JSON file of seeded faults, e.g. {"seed":1,"throttle":0.1,"serverError":0.05,"reset":0.02,"lostAnswer":0.02,"stallJob":0.1,"perOperation":{"create_list":{"lostAnswer":1}}} (README lists them all)',
    )
    .option('--persist <file>', 'keep the sandbox state in this JSON file across restarts')
    .action(async (options: SandboxCommandOptions) => {
      // Loaded when the command runs, so `--help` and the other commands do not pay for it.
      const [{ parseFaultConfig }, { startSandbox }] = await Promise.all([
        import('../sandbox/faults.ts'),
        import('../sandbox/server.ts'),
      ]);
      const { port, jobDelay: jobDelayMs, rateLimits } = await checkSandboxOptions(options);
      let faults: FaultConfig | undefined;
      if (options.faults !== undefined) {
        let raw: unknown;
        try {
          raw = JSON.parse(await readFile(options.faults, 'utf8'));
        } catch (error) {
          throw new ConfigError(`--faults ${options.faults}: ${(error as Error).message}`);
        }
        const parsed = parseFaultConfig(raw);
        if (!parsed.ok)
          throw new ConfigError(
            `--faults ${options.faults}:\n${parsed.problems.map((p) => `  - ${p}`).join('\n')}`,
          );
        faults = parsed.config;
      }
      if (!isLoopback(options.host))
        console.error(
          `WARNING: the sandbox listens on ${options.host}, beyond this machine's loopback: anyone who can reach it can read every profile and request it holds at /__sandbox/state and /__sandbox/requests. Use --host 127.0.0.1 unless you mean it.`,
        );
      let sandbox;
      try {
        sandbox = await startSandbox({
          port,
          host: options.host,
          rateLimits,
          jobDelayMs,
          faults,
          persistPath: options.persist,
        });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE')
          throw new ConfigError(
            `--port ${port}: the port is in use on ${options.host}; pick another, or --port 0 for a free one.`,
          );
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES')
          throw new ConfigError(`--host ${options.host} --port ${port}: cannot listen there (${code}).`);
        throw error;
      }
      console.log(`Klaviyo sandbox listening on ${sandbox.url}`);
      console.log(
        `Point the runner at it:\n  export KLAVIYO_BASE_URL=${sandbox.url}\n  export KLAVIYO_API_KEY=pk_sandbox`,
      );
      console.log(
        `Inspect it: ${sandbox.url}/__sandbox/state and ${sandbox.url}/__sandbox/requests. Ctrl-C stops it.`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await sandbox.close();
    });
}

/** Loopback addresses and names: 127.0.0.0/8, ::1, localhost. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
