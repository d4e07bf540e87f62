/**
 * The one way the runner checks data against a JSON Schema of its own: `schemaValidator(spec)`,
 * called once per schema when its module loads, with an `id` unique in the runner.
 *
 * Compiling a schema with Ajv costs tens of milliseconds, and loading Ajv itself more; a command
 * that reads a manifest would pay both on every start. So the packaged runner compiles none:
 * `npm run build` (scripts/build.ts) imports every module of runner/, collects the specs
 * registered here, generates each validation function ahead of time with Ajv's standalone code
 * (https://ajv.js.org/standalone.html), and bundles those functions (see `PRECOMPILED` below).
 *
 * From the sources (tests, a checkout), the schema is compiled on its first use, with Ajv loaded
 * then, so a command that never validates never loads Ajv; the package does the same for a spec
 * its build did not see.
 */
import { createRequire } from 'node:module';
import type { ErrorObject, Options } from 'ajv';

export interface SchemaSpec {
  /** Unique in the runner: the name of the precompiled function. */
  id: string;
  /** JSON Schema draft 2020-12 rather than Ajv's default draft-07. */
  draft2020?: boolean;
  /** Ajv options (https://ajv.js.org/options.html) that change what is valid or what errors say. */
  options: Pick<Options, 'allErrors' | 'strict' | 'allowUnionTypes' | 'coerceTypes'>;
  schema: object;
}

/** What Ajv's compiled functions are: a type guard that leaves its errors on itself. */
export interface Validator<T> {
  (data: unknown): data is T;
  errors?: ErrorObject[] | null;
}

/** Every spec registered so far, by id: what the build precompiles. */
export const REGISTERED = new Map<string, SchemaSpec>();

/**
 * Filled by the build with the precompiled functions, by id, each behind a function that creates
 * it when first used (so a command that never validates never evaluates them); empty when
 * running from the sources. (scripts/build.ts replaces this module's `PRECOMPILED` line.)
 */
const PRECOMPILED: Record<string, () => Validator<unknown>> = {};

/** The build's hook: a module that registers a schema supplies its precompiled function too. */
export function providePrecompiled(id: string, create: () => Validator<unknown>): void {
  PRECOMPILED[id] = create;
}

const require = createRequire(import.meta.url);

function compile(spec: SchemaSpec): Validator<unknown> {
  const precompiled = PRECOMPILED[spec.id];
  if (precompiled !== undefined) return precompiled();
  // Required when first used, so only a command that validates loads Ajv.
  const Ajv = spec.draft2020
    ? (require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js')).Ajv2020
    : (require('ajv') as typeof import('ajv')).Ajv;
  return new Ajv(spec.options).compile(spec.schema);
}

export function schemaValidator<T>(spec: SchemaSpec): Validator<T> {
  const known = REGISTERED.get(spec.id);
  if (known !== undefined && known !== spec) throw new Error(`two JSON Schemas are registered as ${spec.id}`);
  REGISTERED.set(spec.id, spec);
  let compiled: Validator<unknown> | undefined;
  const validate: Validator<T> = (data: unknown): data is T => {
    compiled ??= compile(spec);
    const valid = compiled(data);
    validate.errors = compiled.errors;
    return valid;
  };
  return validate;
}
