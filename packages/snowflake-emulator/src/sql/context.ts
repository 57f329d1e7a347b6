// What the translator needs from the session and the statement: the values of the session functions and
// the SQL of each bind.
/** What the translator needs to know about the session and the statement's binds. */
export interface TranslateContext {
  /** SQL text to put where bind `index` (1-based) stands. */
  bind(index: number): string;
  /** Values of the session functions (`CURRENT_USER()` ...). */
  session: {
    user: string;
    role: string;
    warehouse: string;
    account: string;
    sessionId: string;
    region: string;
    version: string;
  };
}
