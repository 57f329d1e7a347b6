export { type DemoOptions, type DemoResult, runDemo } from './demo.js';
export { createContactsHandler } from './handler.js';
export { CONTACT_MAPPING } from './mapping.js';
export { ContactsOrchestrator } from './orchestrator.js';
export { type SampleContacts, sampleContactLines, sampleContactsCsv } from './sample.js';
