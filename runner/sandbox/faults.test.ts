import { describe, expect, it } from 'vitest';
import { Faults, parseFaultConfig } from './faults.ts';

describe('faults', () => {
  it('replays the same faults for the same seed', () => {
    const rolls = (seed: number) => {
      const faults = new Faults({ seed, throttle: 0.5 });
      return Array.from({ length: 20 }, () => faults.roll('throttle', 'get_profiles'));
    };
    expect(rolls(3)).toEqual(rolls(3));
    expect(rolls(3)).not.toEqual(rolls(4));
  });

  it('reads a faults file, naming every bad key', () => {
    const good = { seed: 1, throttle: 0.1, slowMs: 2000, perOperation: { create_list: { lostAnswer: 1 } } };
    expect(parseFaultConfig(good)).toEqual({ ok: true, config: good });
    expect(
      parseFaultConfig({ throttel: 0.1, reset: 2, slowMs: -1, perOperation: { create_list: { lost: 1 } } }),
    ).toEqual({
      ok: false,
      problems: [
        'throttel is not a fault setting (known: seed, throttle, serverError, reset, lostAnswer, slow, failJob, stallJob, importRowError, proxyBadRequest, gatewayError, hang, slowBody, slowMs, stallMs, slowBodyMs, proxyBodyLimit, operations, perOperation)',
        'reset must be a probability from 0 to 1, got 2',
        'slowMs must be a whole number of at least 0, got -1',
        'perOperation.create_list.lost is not a fault (known: throttle, serverError, reset, lostAnswer, slow, failJob, stallJob, importRowError, proxyBadRequest, gatewayError, hang, slowBody)',
      ],
    });
    expect(parseFaultConfig([])).toEqual({ ok: false, problems: ['the file must hold a JSON object'] });
  });
});
