import { kicksawTsup } from '../../tsup.base.js';

export default kicksawTsup({ entry: ['src/index.ts', 'src/cli.ts'] });
