import { existsSync, readFileSync } from 'node:fs';

/**
 * The events of a JSON-lines file. A torn last line (a process killed mid-write) is skipped;
 * any other unreadable line is an error.
 */
export function readEventFile<Event>(path: string): Event[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  const events: Event[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      events.push(JSON.parse(line) as Event);
    } catch (error) {
      const isLast = lines.slice(index + 1).every((rest) => rest.trim() === '');
      if (!isLast) throw new Error(`${path}:${index + 1}: not JSON: ${String(error)}`, { cause: error });
    }
  });
  return events;
}
