// What the code blocks of the README and docs/*.md take from their surroundings: each block is compiled on its
// own (test/types.test.mjs, "README and docs code blocks"), with these names declared around it.
import type { ApiError as ApiErrorClass, CsmsClient, CsmsClientOptions } from 'csms-sdk';

declare global {
  /** A client, made as in the quick start. */
  const client: CsmsClient;
  /** Imported by the quick start. */
  const ApiError: typeof ApiErrorClass;
  const projectId: string;
  const credentials: CsmsClientOptions['credentials'];
  /** An IAM token (the browser quick start). */
  const token: string;
  /** A response's parts, as a transport received them. */
  const status: number;
  const headers: Record<string, string>;
  const body: string;
}
export {};
