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
});
