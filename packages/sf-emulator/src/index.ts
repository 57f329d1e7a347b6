export {
  type DmlError,
  type DmlOperation,
  type DmlOptions,
  type DmlResult,
  type FaultSettings,
  type FieldDefinition,
  type FieldType,
  type ObjectDefinition,
  type Org,
  OrgError,
  type OrgRecord,
  type QueryResult,
  type ValidationRule,
} from './contract.js';
export type { Faults } from './faults.js';
export {
  type ClockInput,
  type CreateOrgOptions,
  createOrg,
  type EmulatedOrg,
  type GeneratedValue,
  type GenerateResult,
  type GenerateSpec,
  type GetDeletedResult,
  type GetUpdatedResult,
  OrgClock,
  type RecycleBinEntry,
} from './org/index.js';
export { type EmulatorOptions, type SalesforceEmulator, startSalesforceEmulator } from './start.js';
