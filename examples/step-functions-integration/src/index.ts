export {
  createErpContactsTasks,
  type ErpContact,
  type ErpContactsInput,
  type ErpContactsTaskOptions,
} from './tasks.js';
