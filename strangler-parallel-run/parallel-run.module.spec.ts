import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ParallelRun } from './parallel-run.js';
import { ParallelRunModule } from './parallel-run.module.js';

@Injectable()
class CardsService {
  constructor(private readonly parallelRun: ParallelRun) {}

  getById(id: number): Promise<{ id: number; title: string }> {
    return this.parallelRun.execute('cards.getById', {
      old: () => ({ id, title: 'legacy' }),
      new: () => ({ id, title: 'extracted' }),
      input: { id },
    });
  }
}

@Module({
  imports: [ParallelRunModule.forRoot({ maxConcurrent: 4 })],
  providers: [CardsService],
})
class CardsModule {}

describe('ParallelRunModule', () => {
  it('injects a working ParallelRun into a service', async () => {
    const app = await NestFactory.createApplicationContext(CardsModule, { logger: false });
    try {
      const cards = app.get(CardsService);
      await expect(cards.getById(3)).resolves.toEqual({ id: 3, title: 'legacy' });
      const run = app.get(ParallelRun);
      await run.idle();
      expect(run.mismatches('cards.getById')[0]?.result.differences[0]).toMatchObject({
        path: '$.title',
      });
    } finally {
      await app.close();
    }
  });
});
