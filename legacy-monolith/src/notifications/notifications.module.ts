import { Module } from '@nestjs/common';
import { CardEventsListener } from './card-events.listener.js';
import { NotificationsController } from './notifications.controller.js';
import { NotificationsService } from './notifications.service.js';

@Module({
  controllers: [NotificationsController, CardEventsListener],
  providers: [NotificationsService],
})
export class NotificationsModule {}
