import { defineCapability } from '../../shared/capability.ts';
import { apiConfigSchema, reconcileConfigSchema, settlementConfigSchema } from './config.ts';
import { callbackRoute, createOrderRoute, getOrderRoute, itemsRoute, refundRoute } from './contract.ts';
import { PAYMENTS_ENV } from './env.ts';

export const paymentsManifest = defineCapability({
  name: 'payments',
  summary: 'Unified collection of non-tax revenue: orders, signed channel callbacks, settlement, reconciliation',
  env: PAYMENTS_ENV,
  functions: [
    {
      service: 'payments',
      entry: 'functions/payments/handler.ts',
      description: 'Payment orders and channel callbacks, each settled exactly once',
      kind: 'http',
      config: apiConfigSchema,
      routes: [itemsRoute, createOrderRoute, getOrderRoute, refundRoute, callbackRoute],
    },
    {
      service: 'payments-settlement',
      entry: 'functions/payments/settlement.ts',
      description: 'Consumes payment.settled (FIFO, by order): issues the electronic payment receipt',
      kind: 'queue',
      config: settlementConfigSchema,
    },
    {
      service: 'payments-reconcile',
      entry: 'functions/payments/reconcile.ts',
      description: 'Reconciles a channel statement put in the statements bucket',
      kind: 'queue',
      config: reconcileConfigSchema,
    },
  ],
});
