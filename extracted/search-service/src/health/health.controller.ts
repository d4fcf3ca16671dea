// A deliberate copy of cards-service's health check (services share no code: docs/decisions.md §11).
import { Controller, Get } from '@nestjs/common';

@Controller('health')
export class HealthController {
  /** Liveness: `200 {"status":"ok"}`. */
  @Get()
  check(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
