import type { CopyRunner } from './copy.js';
import { SnowflakeSqlError } from './errors.js';
import type { Session } from './session.js';
import type { Token } from './sql/tokens.js';
import type { TranslateContext } from './sql/translate.js';
import type { Stages } from './stages.js';
import type { Runtime, StatementOutcome } from './statements.js';

/** COPY INTO <table> FROM @stage. */
export class CopyInto implements CopyRunner {
  constructor(
    private readonly stages: Stages,
    private readonly runtime: Runtime,
  ) {}

  async run(_session: Session, _tokens: Token[], _ctx: TranslateContext): Promise<StatementOutcome> {
    void this.stages;
    void this.runtime;
    throw SnowflakeSqlError.unsupported('COPY INTO');
  }
}
