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

  it('cards-reverse carries the cards tables back to legacy, without a copy, and neither echoes', async () => {
    const cards = await loadPipelineDefinition(path.join(folder, 'cards.pipeline.yaml'));
    const reverse = await loadPipelineDefinition(path.join(folder, 'cards-reverse.pipeline.yaml'));
    expect(reverse).toMatchObject({
      name: 'cards-reverse',
      source: { urlEnv: 'CARDS_DATABASE_URL' },
      target: { urlEnv: 'LEGACY_DATABASE_URL' },
      snapshot: { enabled: false },
      skipAppliedBy: ['cards'],
    });
    expect(Object.keys(reverse.tables)).toEqual([
      'cards',
      'tags',
      'card_tags',
      'comments',
      'likes',
    ]);
    expect(Object.values(reverse.tables).every((m) => Object.keys(m).length === 0)).toBe(true);
    // Each skips exactly the other's origin.
    expect(reverse.skipOrigins).toEqual([cards.origin]);
    expect(cards.skipOrigins).toEqual([reverse.origin]);
  });
});
