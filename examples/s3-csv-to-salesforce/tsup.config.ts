import { kicksawTsup } from '../../tsup.base.js';

// The Lambda entry (lambda.ts) and the demo; dependencies stay external (a SAM build bundles them).
export default kicksawTsup({ entry: ['src/index.ts', 'src/lambda.ts', 'src/demo.ts'], dts: false });
