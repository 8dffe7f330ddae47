import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { sqsJsonBody } from '../../../shared/sqs-json.ts';
import type { DocumentArchive, Notify } from '../ports.ts';

/** `licences/<licenceId>.json` in the versioned, replicated licences bucket. */
export const documentKey = (licenceId: string) => `licences/${licenceId}.json`;

export function s3DocumentArchive(client: Pick<S3Client, 'send'>, bucket: string): DocumentArchive {
  return {
    async put(licenceId, body) {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: documentKey(licenceId),
          Body: body,
          ContentType: 'application/json',
        }),
      );
    },
    async discard(licenceId) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: documentKey(licenceId) }));
    },
  };
}

/** licence.issued / licence.revoked for whoever tells holders (SMS, the app's inbox). */
export const sqsNotifier =
  (client: Pick<SQSClient, 'send'>, queueUrl: string): Notify =>
  async (event) => {
    await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        // A revocation's reason is the caller's text: any character, which SQS may refuse unescaped.
        MessageBody: sqsJsonBody(event),
        MessageAttributes: { type: { DataType: 'String', StringValue: event.type } },
      }),
    );
  };
