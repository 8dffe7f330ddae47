/** Environment variable names of the hotline capability, set by infra/capabilities/hotline/. */
export const HOTLINE_ENV = {
  table: 'DGOV_HOTLINE_TABLE',
  routingQueueUrl: 'DGOV_HOTLINE_ROUTING_QUEUE_URL',
  /** The routing queue's DLQ: the router puts a poison message there at once, with its reason. */
  deadLetterQueueUrl: 'DGOV_HOTLINE_DEAD_LETTER_QUEUE_URL',
  /** The identity table, read only: the Open311 api_key lookup items the identity capability writes. */
  apiKeyTable: 'DGOV_HOTLINE_API_KEY_TABLE',
  /** Optional JSON { urgent, enquiry, complaint, categories? } in working days (functions/hotline/sla.ts). */
  sla: 'DGOV_HOTLINE_SLA',
  /** The OpenID issuer (the API's base URL): the work-queue page signs in there. */
  issuer: 'DGOV_HOTLINE_ISSUER',
} as const;
