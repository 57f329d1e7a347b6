/** Drops `undefined` members so results compare and print cleanly. */
export function compact<T extends object>(value: T): T {
  for (const name of Object.keys(value) as Array<keyof T>) {
    if (value[name] === undefined) delete value[name];
  }
  return value;
}
