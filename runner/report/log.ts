/**
 * Run logs: plain lines on stderr for people, or NDJSON (`--log-format json`) for machines, one
 * object per line with a timestamp, a level, an event name and its fields. Progress and summaries
 * go to stdout; logs never do, so `--format json` output stays parseable.
 */

export type LogFormat = 'text' | 'json';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  readonly format: LogFormat;
  log(level: LogLevel, event: string, message: string, fields?: Record<string, unknown>): void;
}

/** Says a warning (the project's, the warehouse's) on `log`, under its event. */
export const warnOn =
  (log: Logger) =>
  (warning: { event: string; message: string }): void =>
    log.log('warn', warning.event, warning.message);

const SECRET = /Klaviyo-API-Key\s+\S+|pk_[A-Za-z0-9]{6,}/g;

/** Defence in depth: whatever reaches a log line, an API key does not. */
export function redact(text: string): string {
  return text.replace(SECRET, '[redacted]');
}

export function createLogger(
  format: LogFormat,
  options: { quiet?: boolean; write?: (line: string) => void } = {},
): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  return {
    format,
    log(level, event, message, fields = {}) {
      if (options.quiet === true && (level === 'debug' || level === 'info')) return;
      if (format === 'json') {
        write(redact(JSON.stringify({ ts: new Date().toISOString(), level, event, message, ...fields })));
      } else if (level !== 'debug') {
        write(redact(level === 'info' ? message : `${level}: ${message}`));
      }
    },
  };
}
