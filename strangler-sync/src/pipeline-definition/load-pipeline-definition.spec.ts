import {
  PipelineDefinitionError,
  parsePipelineDefinitionYaml,
} from './load-pipeline-definition.js';

const valid = `
source:
  urlEnv: LEGACY_DATABASE_URL
target:
  url: postgres://localhost/cards
tables:
  cards:
    drop: [search_vector]
    filter: { status: published }
  card_tags:
`;

function problemsOf(text: string) {
  try {
    parsePipelineDefinitionYaml(text, 'migrations/pipelines/cards.pipeline.yaml');
  } catch (error) {
    if (error instanceof PipelineDefinitionError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('pipeline definition', () => {
  it('fills defaults from the file name', () => {
    const definition = parsePipelineDefinitionYaml(valid, 'x/cards.pipeline.yaml');
    expect(definition).toMatchObject({
      name: 'cards',
      slot: 'strangler_cards',
      publication: 'strangler_cards',
      deadLetters: 'stop',
      source: { urlEnv: 'LEGACY_DATABASE_URL', schema: 'public' },
      snapshot: { chunkSize: 1000 },
      tables: {
        cards: { drop: ['search_vector'], filter: { status: 'published' } },
        card_tags: {},
      },
    });
  });

  it('names file, line and field of a bad value', () => {
    const error = problemsOf(valid.replace('drop: [search_vector]', 'drop: [search vector]'));
    expect(error.problems).toEqual([
      expect.objectContaining({ line: 8, field: 'tables.cards.drop[0]' }),
    ]);
    expect(error.message).toContain('migrations/pipelines/cards.pipeline.yaml:8:');
    expect(error.message).toContain('tables.cards.drop[0]');
  });

  it('reports unknown keys, bad enums and missing databases', () => {
    const error = problemsOf(
      `${valid}deadLetters: sometimes\nslotz: x\n`.replace(
        '  url: postgres://localhost/cards\n',
        '  schema: public\n',
      ),
    );
    const fields = error.problems.map((p) => `${p.line}:${p.field}`);
    expect(fields).toEqual(expect.arrayContaining(['4:target', '11:deadLetters', '12:slotz']));
    expect(error.message).toContain('"slotz"');
  });

  it('reports YAML syntax errors with their line', () => {
    const error = problemsOf('source: [\n');
    expect(error.problems[0]?.line).toBeGreaterThan(0);
  });

  describe('replication origin and skipAppliedBy', () => {
    it('names the origin like the default slot and derives the skipped origins by the same rule', () => {
      const definition = parsePipelineDefinitionYaml(
        `${valid}skipAppliedBy: [cards-reverse, search]\n`,
        'x/cards.pipeline.yaml',
      );
      expect(definition).toMatchObject({
        origin: 'strangler_cards',
        skipAppliedBy: ['cards-reverse', 'search'],
        skipOrigins: ['strangler_cards_reverse', 'strangler_search'],
      });
      expect(parsePipelineDefinitionYaml(valid, 'x/cards-reverse.pipeline.yaml')).toMatchObject({
        origin: 'strangler_cards_reverse',
        skipAppliedBy: [],
        skipOrigins: [],
      });
    });

    it('keeps the origin when slot and publication are overridden', () => {
      const definition = parsePipelineDefinitionYaml(
        `${valid}slot: my_slot\npublication: my_pub\n`,
        'x/cards.pipeline.yaml',
      );
      expect(definition.origin).toBe('strangler_cards');
    });

    it('refuses a pipeline name that is not one', () => {
      const error = problemsOf(`${valid}skipAppliedBy: [Cards Reverse]\n`);
      expect(error.problems[0]?.field).toBe('skipAppliedBy[0]');
    });

    it('refuses skipAppliedBy with a Debezium capture, which cannot filter by origin', () => {
      const error = problemsOf(
        `${valid}skipAppliedBy: [cards-reverse]\ntransport:\n  kind: kafka\n  brokers: [k:9092]\n` +
          `  topicPrefix: legacy\n  capture: external\n`,
      );
      expect(error.problems[0]).toMatchObject({ field: 'skipAppliedBy' });
      expect(error.message).toMatch(/cannot filter by replication origin/);
    });
  });
});
