import { inject } from 'vitest';
import { localClients } from '../../local/aws-clients.ts';

/** Real SDK clients over HTTP against the integration project's embedded AWS. */
export const testClients = (region = 'cn-north-1') => localClients(inject('aws'), region);
