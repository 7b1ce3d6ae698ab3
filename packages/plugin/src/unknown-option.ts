/** An option name that is not one of the known names, with the known name nearest to it. */
export interface UnknownOption {
  /** The name as given. */
  name: string;
  /** Its value. */
  value: unknown;
  /** The known name with the smallest edit distance: most likely what was meant. */
  nearest: string;
}

/**
 * The first own property of `options` whose name is not in `known`, or `undefined`. Every
 * package checks its options with it, so that a misspelt option (`leaseTimout`, `concurency`,
 * `stratgy`) fails loudly with the package's own typed error instead of being silently ignored.
 */
export function findUnknownOption(options: object, known: Iterable<string>): UnknownOption | undefined {
  const names = [...known];
  for (const [name, value] of Object.entries(options)) {
    if (names.includes(name)) continue;
    const nearest = names.reduce((best, candidate) => (editDistance(name, candidate) < editDistance(name, best) ? candidate : best), names[0] ?? '');
    return { name, value, nearest };
  }
  return undefined;
}

/** Levenshtein distance between two names. */
function editDistance(left: string, right: string): number {
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let row = 1; row <= left.length; row += 1) {
    const current = [row];
    for (let column = 1; column <= right.length; column += 1) {
      const substitution = (previous[column - 1] ?? 0) + (left[row - 1] === right[column - 1] ? 0 : 1);
      current.push(Math.min((previous[column] ?? 0) + 1, (current[column - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[right.length] ?? 0;
}
