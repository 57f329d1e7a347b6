import type { Session } from './session.js';
import type { Token } from './sql/tokens.js';
import type { TranslateContext } from './sql/translate.js';
import type { StatementOutcome } from './statements/outcome.js';

/** Runs COPY INTO statements. */
export interface CopyRunner {
  run(session: Session, tokens: Token[], ctx: TranslateContext): Promise<StatementOutcome>;
}
