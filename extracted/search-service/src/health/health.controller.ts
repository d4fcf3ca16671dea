import { Controller, Get } from '@nestjs/common';

@Controller('health')
export class HealthController {
  /** Liveness: `200 {"status":"ok"}`. */
  @Get()
  check(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
