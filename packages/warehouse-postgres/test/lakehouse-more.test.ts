import { defineMoreEngineCases } from '../../lakehouse/test/engine-cases-more.js';
import { postgresEngine } from './support.js';

defineMoreEngineCases('PostgreSQL', postgresEngine('more'));
