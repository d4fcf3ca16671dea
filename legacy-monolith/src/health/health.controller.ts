import { Controller, Get } from '@nestjs/common';

@Controller('health')
export class HealthController {
  /** Liveness for the stack supervisor and the facade. */
  @Get()
  check(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
