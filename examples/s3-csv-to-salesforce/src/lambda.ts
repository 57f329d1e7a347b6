import { createContactsHandler } from './handler.js';

/**
 * The Lambda entry point (`dist/lambda.handler` in template.yaml). Settings come from the environment
 * and are validated here, once per cold start: a missing one fails the cold start with its name.
 */
export const handler = createContactsHandler();
