import { defineCapability } from '../../shared/capability.ts';
import { apiConfigSchema, routerConfigSchema, sweeperConfigSchema } from './config.ts';
import { departmentTicketsRoute, fileTicketRoute, getTicketRoute, ticketActionRoute } from './contract.ts';
import { HOTLINE_ENV } from './env.ts';
import {
  getRequestRoute,
  getRequestsRoute,
  postRequestRoute,
  serviceDefinitionRoute,
  servicesRoute,
} from './open311.ts';
import { workQueueRoutes } from './pages.ts';

export const hotlineManifest = defineCapability({
  name: 'hotline',
  summary: '12345 hotline: tickets routed to the responsible department and tracked to closure',
  env: HOTLINE_ENV,
  functions: [
    {
      service: 'hotline',
      entry: 'functions/hotline/handler.ts',
      description: '12345 hotline API: intake, reads, department actions, Open311 facade, work-queue page',
      kind: 'http',
      config: apiConfigSchema,
      routes: [
        fileTicketRoute,
        getTicketRoute,
        ticketActionRoute,
        departmentTicketsRoute,
        servicesRoute,
        serviceDefinitionRoute,
        postRequestRoute,
        getRequestsRoute,
        getRequestRoute,
        ...workQueueRoutes,
      ],
    },
    {
      service: 'hotline-router',
      entry: 'functions/hotline/router.ts',
      description: 'Routes received tickets to their lead department (routing queue consumer)',
      kind: 'queue',
      config: routerConfigSchema,
    },
    {
      service: 'hotline-sweeper',
      entry: 'functions/hotline/sweeper.ts',
      description: 'SLA reminders at 50% and 75%, breach escalation to the supervisor',
      kind: 'schedule',
      config: sweeperConfigSchema,
      publishesSlaBreaches: true,
    },
  ],
});
