import type { ChildProcess } from 'node:child_process';

const children = new Set<ChildProcess>();
let registered = false;

/**
 * Makes sure a service process never outlives the process that started it: whatever is
 * still running when this process exits (even after an uncaught error) gets SIGKILL.
 */
export function killOnExit(child: ChildProcess): void {
  if (!registered) {
    registered = true;
    process.once('exit', killAll);
  }
  children.add(child);
  child.once('exit', () => children.delete(child));
}

function killAll(): void {
  for (const child of children) child.kill('SIGKILL');
}
