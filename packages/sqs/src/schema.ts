import type { StandardSchemaV1 } from '@standard-schema/spec';

/**
 * A message schema: any [Standard Schema](https://standardschema.dev) (zod 4, valibot, arktype, ...).
 * Messages travel as JSON: what you send is the schema's input, what you receive its output.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * const schema: MessageSchema = z.object({ contactId: z.string(), email: z.email() });
 * ```
 */
export type MessageSchema = StandardSchemaV1;

/**
 * What a schema accepts (what `send` takes).
 *
 * @example
 * ```ts
 * type Outgoing = MessageInput<typeof contact>;
 * ```
 */
export type MessageInput<S extends MessageSchema> = StandardSchemaV1.InferInput<S>;
/**
 * What a schema gives (what `receive` yields).
 *
 * @example
 * ```ts
 * type Incoming = MessageOutput<typeof contact>;
 * ```
 */
export type MessageOutput<S extends MessageSchema> = StandardSchemaV1.InferOutput<S>;

/**
 * One problem with a message: what is wrong and where (`path`, e.g. `['contact', 'email']`).
 *
 * @example
 * ```ts
 * const issue: MessageIssue = { message: 'Invalid email address', path: ['email'] };
 * ```
 */
export interface MessageIssue {
  message: string;
  path?: ReadonlyArray<PropertyKey>;
}

/**
 * Turns a raw message body into the value the schema checks. Default `JSON.parse`.
 *
 * @example
 * ```ts
 * const plainText: MessageDecoder = (body) => body; // with schema z.string()
 * ```
 */
export type MessageDecoder = (body: string) => unknown;
/**
 * Turns a message into the body sent to SQS. Default `JSON.stringify`.
 *
 * @example
 * ```ts
 * const plainText: MessageEncoder = (message) => String(message);
 * ```
 */
export type MessageEncoder = (message: unknown) => string;

export const jsonDecoder: MessageDecoder = (body) => JSON.parse(body);
export const jsonEncoder: MessageEncoder = (message) => {
  const body = JSON.stringify(message);
  if (typeof body !== 'string') throw new TypeError(`JSON.stringify gave no text for a ${typeof message}`);
  return body;
};

/** The outcome of checking one value against a schema. */
export type Checked<T> = { ok: true; value: T } | { ok: false; issues: MessageIssue[] };

function toIssues(issues: ReadonlyArray<StandardSchemaV1.Issue>): MessageIssue[] {
  return issues.map((issue) => {
    const path = issue.path?.map((segment) =>
      typeof segment === 'object' && segment !== null ? segment.key : (segment as PropertyKey),
    );
    return path && path.length > 0 ? { message: issue.message, path } : { message: issue.message };
  });
}

/** Checks a value against a Standard Schema (sync or async validators alike). */
export async function check<S extends MessageSchema>(schema: S, value: unknown): Promise<Checked<MessageOutput<S>>> {
  let result = schema['~standard'].validate(value);
  if (result instanceof Promise) result = await result;
  if (result.issues !== undefined) return { ok: false, issues: toIssues(result.issues) };
  return { ok: true, value: result.value as MessageOutput<S> };
}

/**
 * Decodes a raw body and checks it. A body the decoder refuses (not JSON) is an issue like any other,
 * never an exception.
 */
export async function decodeAndCheck<S extends MessageSchema>(
  schema: S,
  body: string,
  decode: MessageDecoder,
): Promise<Checked<MessageOutput<S>>> {
  let value: unknown;
  try {
    value = decode(body);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, issues: [{ message: `The message body could not be decoded: ${reason}` }] };
  }
  try {
    return await check(schema, value);
  } catch (error) {
    // A validator that throws (a refinement with a bug) is reported on the message, not thrown at the batch.
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, issues: [{ message: `The schema threw while checking the message: ${reason}` }] };
  }
}

/** `email: Invalid email address; name: Required`, for messages and logs. */
export function describeIssues(issues: ReadonlyArray<MessageIssue>): string {
  return issues
    .map(
      (issue) => (issue.path && issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '') + issue.message,
    )
    .join('; ');
}
