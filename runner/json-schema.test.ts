import { describe, expect, it } from 'vitest';
import { REGISTERED, schemaValidator, type SchemaSpec } from './json-schema.ts';

describe('schemaValidator', () => {
  it('validates as Ajv does, leaving the errors on the function', () => {
    const validate = schemaValidator<{ n: number }>({
      id: 'test_number',
      options: { allErrors: true, coerceTypes: true },
      schema: { type: 'object', required: ['n'], properties: { n: { type: 'integer', minimum: 1 } } },
    });
    const coerced: Record<string, unknown> = { n: '3' };
    expect(validate(coerced)).toBe(true);
    expect(coerced).toEqual({ n: 3 });
    expect(validate.errors).toBeNull();
    expect(validate({ n: 0 })).toBe(false);
    expect(validate.errors?.map((e) => [e.instancePath, e.keyword])).toEqual([['/n', 'minimum']]);
    expect(validate({})).toBe(false);
    expect(validate.errors?.map((e) => e.keyword)).toEqual(['required']);
  });

  it('reads JSON Schema 2020-12 when asked', () => {
    const validate = schemaValidator({
      id: 'test_2020',
      draft2020: true,
      options: { allErrors: true },
      schema: { type: 'array', prefixItems: [{ type: 'string' }], items: false, minItems: 1 },
    });
    expect(validate(['a'])).toBe(true);
    expect(validate(['a', 'b'])).toBe(false);
  });

  it('registers every spec for the build, and refuses two schemas under one id', () => {
    const spec: SchemaSpec = { id: 'test_twice', options: {}, schema: { type: 'string' } };
    schemaValidator(spec);
    schemaValidator(spec);
    expect(REGISTERED.get('test_twice')).toBe(spec);
    expect(() => schemaValidator({ ...spec, schema: { type: 'number' } })).toThrow(
      'two JSON Schemas are registered as test_twice',
    );
  });
});
