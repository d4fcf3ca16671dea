import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPipelineDefinition } from './load-pipeline-definition.js';

const folder = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../migrations/pipelines',
);

describe('migrations/pipelines', () => {
  it('every pipeline definition is valid', async () => {
    const files = (await readdir(folder)).filter((f) => f.endsWith('.pipeline.yaml'));
    expect(files).toContain('cards.pipeline.yaml');
    for (const file of files)
      await expect(loadPipelineDefinition(path.join(folder, file))).resolves.toBeTruthy();
  });

  it('the cards pipeline copies users into authors with only the columns the service keeps', async () => {
    const cards = await loadPipelineDefinition(path.join(folder, 'cards.pipeline.yaml'));
    expect(cards.tables.users).toEqual({
      target: 'authors',
      include: ['id', 'handle', 'display_name', 'banned_at'],
    });
    expect(Object.keys(cards.tables)).toEqual([
      'users',
      'cards',
      'tags',
      'card_tags',
      'comments',
      'likes',
    ]);
  });
});
