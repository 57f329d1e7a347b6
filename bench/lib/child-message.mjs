// The next message of a given `type` from a forked child (the benches' parent/child handshake: 'ready', 'cpu', ...).

/** Resolves with the next message from `child` whose `type` is `type`; other messages are left to other listeners. */
export function nextMessage(child, type) {
  return new Promise((resolve) => {
    const listener = (message) => {
      if (message.type === type) {
        child.off('message', listener);
        resolve(message);
      }
    };
    child.on('message', listener);
  });
}
