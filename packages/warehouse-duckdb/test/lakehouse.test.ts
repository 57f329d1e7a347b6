import { defineEngineCases } from '../../lakehouse/test/engine-cases.js';
import { openDuckDbWarehouse } from '../src/index.js';

defineEngineCases('DuckDB', { open: () => openDuckDbWarehouse() });
