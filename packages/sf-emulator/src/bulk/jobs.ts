export { newId as makeId } from '../ids.js';

/** Salesforce's date format in Bulk job info: `2024-05-01T12:00:00.000+0000`. */
export function sfDate(time: number): string {
  return new Date(time).toISOString().replace('Z', '+0000');
}
