import { defineEngineCases } from '../../lakehouse/test/engine-cases.js';
import { postgresEngine } from './support.js';

defineEngineCases('PostgreSQL', postgresEngine('case'));
