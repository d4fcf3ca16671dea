import { NotFoundException } from '@nestjs/common';

/** 404 for a card that is missing or hidden: hidden cards do not exist for the public API. */
export class CardNotFoundException extends NotFoundException {
  constructor(id: string) {
    super(`Card ${id} not found`);
  }
}
