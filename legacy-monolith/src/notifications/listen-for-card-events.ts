import { INestApplication } from '@nestjs/common';
import { MicroserviceOptions, Transport } from '@nestjs/microservices';

/**
 * Starts the listener for cards-service's events on Nest's built-in TCP transport (no broker to
 * run): cards-service connects to it at CARDS_EVENTS_TCP_URL. Call before `listen()`.
 */
export async function listenForCardEvents(
  app: INestApplication,
  at: { host: string; port: number },
): Promise<void> {
  app.connectMicroservice<MicroserviceOptions>(
    { transport: Transport.TCP, options: { host: at.host, port: at.port } },
    { inheritAppConfig: true },
  );
  await app.startAllMicroservices();
}
