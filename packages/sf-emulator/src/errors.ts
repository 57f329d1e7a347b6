/**
 * The emulator's errors, each a `KicksawError` (from `@kicksaw/core`) with a stable `code`, so a caller catches
 * anything kicksaw throws in one place. `OrgError` and `ApiError` carry a Salesforce error code (`errorCode`, also
 * their `code`) and the HTTP status they are answered with; `RawError` carries a body answered as it is.
 * `FormulaSyntaxError` and `UnresolvedReference` never leave the emulator: a formula that does not parse, a composite
 * reference (`@{ref.field}`) that cannot be resolved.
 */
import { KicksawError } from '@kicksaw/core';

/**
 * An error that fails a whole org call, with Salesforce's error code (`errorCode`, also `code`) and HTTP status.
 *
 * @example
 * try {
 *   org.query('SELECT Nope FROM Account');
 * } catch (error) {
 *   if (error instanceof OrgError) console.log(error.errorCode, error.status); // INVALID_FIELD 400
 * }
 */
export class OrgError extends KicksawError {
  /** Salesforce's error code (`INVALID_FIELD`, `MALFORMED_QUERY`, `NOT_FOUND`, ...); the same as `code`. */
  readonly errorCode: string;
  /** The HTTP status the error is answered with. */
  readonly status: number;
  /** The fields the error is about (REST error bodies' `fields`). */
  readonly fields: string[];
  constructor(
    errorCode: string,
    message: string,
    options: { status?: number; fields?: string[]; cause?: unknown } = {},
  ) {
    super(message, { code: errorCode, cause: options.cause });
    this.errorCode = errorCode;
    this.status = options.status ?? 400;
    this.fields = options.fields ?? [];
  }
}

/** An error answered with a Salesforce REST error body `[{message, errorCode, fields?}]`; `code` is the `errorCode`. */
export class ApiError extends KicksawError {
  readonly status: number;
  readonly errorCode: string;
  readonly fields: string[] | undefined;
  constructor(status: number, errorCode: string, message: string, fields?: string[]) {
    super(message, { code: errorCode });
    this.status = status;
    this.errorCode = errorCode;
    this.fields = fields;
  }
}

/** An error answered with a raw body (OAuth errors, Bulk CSV errors, SOAP faults); code `SF_EMULATOR_RAW_RESPONSE`. */
export class RawError extends KicksawError {
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
  constructor(status: number, body: string, contentType = 'application/json;charset=UTF-8') {
    super(body, { code: 'SF_EMULATOR_RAW_RESPONSE' });
    this.status = status;
    this.body = body;
    this.contentType = contentType;
  }
}

/** A formula's text does not parse (the formula field then computes null); code `FORMULA_SYNTAX`. */
export class FormulaSyntaxError extends KicksawError {
  constructor(message: string) {
    super(message, { code: 'FORMULA_SYNTAX' });
  }
}

/**
 * A composite subrequest's reference (`@{ref.field}`) names no earlier result: the dependent subrequest is not run;
 * code `COMPOSITE_REFERENCE_UNRESOLVED`.
 */
export class UnresolvedReference extends KicksawError {
  constructor(reference: string) {
    super(reference, { code: 'COMPOSITE_REFERENCE_UNRESOLVED' });
  }
}
