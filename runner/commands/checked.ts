/**
 * Commander hands an action its options as strings; the ones that are numbers or one of a few
 * words are checked here against a small JSON Schema right after parsing (Ajv coerces the numbers,
 * https://ajv.js.org/coercion.html), and a bad one is a ConfigError naming the flag, what it must
 * be and what it got. The schema is compiled ahead of time in the package and on first use from
 * the sources (runner/json-schema.ts), so `--help` and the CLI's start pay for neither.
 */
import { ConfigError } from '../errors.ts';
import { schemaValidator } from '../json-schema.ts';

export interface OptionRule {
  flag: string;
  /** What the value must be, as the end of "--flag must be …". */
  must: string;
  schema: object;
}

/** The check of one command's options; `command` names its schema (`<command>_options`). */
export function checkedOptions<T extends object>(
  command: string,
  rules: Record<keyof T & string, OptionRule>,
): (options: object) => Promise<T> {
  const validate = schemaValidator<T>({
    id: `${command}_options`,
    options: { coerceTypes: true },
    schema: {
      type: 'object',
      properties: Object.fromEntries(Object.entries<OptionRule>(rules).map(([k, r]) => [k, r.schema])),
    },
  });
  // Kept async, as the commands and the tests await the check.
  // eslint-disable-next-line @typescript-eslint/require-await
  return async (options) => {
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
