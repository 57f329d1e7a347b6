import { defineMoreEngineCases } from '../../lakehouse/test/engine-cases-more.js';
import { type LocalSnowflake, startLocalSnowflake } from './support.js';

let local: Promise<LocalSnowflake> | undefined;

defineMoreEngineCases('Snowflake (local, through snowflake-sdk)', {
  open: async () => {
    local ??= startLocalSnowflake();
    return (await local).open();
  },
  stop: async () => {
    await (await local)?.stop();
  },
});
