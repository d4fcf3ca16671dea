import { parsePipelineDefinition } from '../pipeline-definition/pipeline-definition.schema.js';

const base = {
  source: { url: 'postgres://s' },
  target: { url: 'postgres://t' },
  tables: { a: null },
};

describe('pipeline definition: transport', () => {
  it('defaults to in-process, so existing definitions stay valid', () => {
    const parsed = parsePipelineDefinition(base, 'cards');
    expect(parsed.success && parsed.data.transport).toEqual({ kind: 'in-process' });
  });

  it('kafka: defaults format json and capture builtin', () => {
    const parsed = parsePipelineDefinition(
      { ...base, transport: { kind: 'kafka', brokersEnv: 'KAFKA_BROKERS', topicPrefix: 'legacy' } },
      'cards',
    );
    expect(parsed.success && parsed.data.transport).toEqual({
      kind: 'kafka',
      brokersEnv: 'KAFKA_BROKERS',
      topicPrefix: 'legacy',
      format: 'json',
      capture: 'builtin',
      foreignKeys: 'auto',
    });
  });

  it('kafka: needs brokers; unwrapped records only come from an external connector', () => {
    const parsed = parsePipelineDefinition(
      { ...base, transport: { kind: 'kafka', topicPrefix: 'legacy', format: 'unwrapped' } },
      'cards',
    );
    expect(parsed.success ? [] : parsed.error.issues.map((i) => i.message)).toEqual([
      'give the Kafka brokers as brokers or brokersEnv',
      'format unwrapped is read-only: use it with capture: external',
    ]);
  });

  it('refuses unknown transports and fields', () => {
    expect(parsePipelineDefinition({ ...base, transport: { kind: 'nats' } }, 'c').success).toBe(
      false,
    );
    expect(
      parsePipelineDefinition(
        { ...base, transport: { kind: 'kafka', brokers: ['b:9092'], topicPrefix: 'p', acks: 1 } },
        'c',
      ).success,
    ).toBe(false);
  });
});
