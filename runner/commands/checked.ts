/**
 * Commander hands an action its options as strings; the ones that are numbers or one of a few
 * words are checked here against a small JSON Schema right after parsing (Ajv coerces the numbers,
 * https://ajv.js.org/coercion.html), and a bad one is a ConfigError naming the flag, what it must
 * be and what it got. Ajv is loaded and the schema compiled when a command runs, so `--help` and
 * the CLI's start do not pay for them.
 */
import type { ValidateFunction } from 'ajv';
import { ConfigError } from '../errors.ts';

export interface OptionRule {
  flag: string;
  /** What the value must be, as the end of "--flag must be …". */
  must: string;
  schema: object;
}

export function checkedOptions<T extends object>(
  rules: Record<keyof T & string, OptionRule>,
): (options: object) => Promise<T> {
  let validate: ValidateFunction<T> | undefined;
  return async (options) => {
    // Through the default export (Ajv's module.exports), the one export a dynamic import of a
    // CommonJS module has in the bundle as in Node (https://esbuild.github.io/content-types/#es6-and-commonjs).
    const { Ajv } = (await import('ajv')).default;
    validate ??= new Ajv({ coerceTypes: true }).compile<T>({
      type: 'object',
      properties: Object.fromEntries(Object.entries<OptionRule>(rules).map(([k, r]) => [k, r.schema])),
    });
    const picked = Object.fromEntries(
      Object.keys(rules)
        .filter((k) => k in options)
        .map((k) => [k, (options as Record<string, unknown>)[k]]),
    );
    const given = { ...picked };
    const valid = validate(picked);
    // Ajv coerces "Infinity" to a number that no JSON number is; refuse it as the bad value it is.
    const infinite = Object.keys(picked).find((k) => {
      const value = (picked as Record<string, unknown>)[k];
      return typeof value === 'number' && !Number.isFinite(value);
    });
    if (valid && infinite === undefined) return picked;
    const key = valid ? (infinite ?? '') : (validate.errors?.[0]?.instancePath.slice(1) ?? '');
    const rule = (rules as Record<string, OptionRule | undefined>)[key];
    if (rule === undefined) throw new ConfigError(`Invalid options: ${JSON.stringify(validate.errors)}`);
    throw new ConfigError(`${rule.flag} must be ${rule.must}, got ${String(given[key])}.`);
  };
}
