import { defineEngineCases } from '../../lakehouse/test/engine-cases.js';
import { openDuckDbWarehouse } from '../src/index.js';

// Loads of 7 rows a part: every case goes through several CSV parts, each COPY overlapping the next part.
defineEngineCases('DuckDB', { open: () => openDuckDbWarehouse({ loadPartRows: 7 }) });
