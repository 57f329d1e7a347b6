import { defineMoreEngineCases } from '../../lakehouse/test/engine-cases-more.js';
import { openDuckDbWarehouse } from '../src/index.js';

defineMoreEngineCases('DuckDB', { open: () => openDuckDbWarehouse({ loadPartRows: 7 }) });
