import { defineMoreEngineCases } from '../../lakehouse/test/engine-cases-more.js';
import { snowflakeEngine } from './support.js';

defineMoreEngineCases('Snowflake (local, through snowflake-sdk)', snowflakeEngine());
