import { defineEngineCases } from '../../lakehouse/test/engine-cases.js';
import { snowflakeEngine } from './support.js';

defineEngineCases('Snowflake (local, through snowflake-sdk)', snowflakeEngine());
