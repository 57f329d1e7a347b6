import { kicksawTsup } from '../../tsup.base.js';

export default kicksawTsup();
