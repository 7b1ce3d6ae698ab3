import { findUnknownOption } from '@baton/plugin';
import { InvalidTTLOptionsError } from './errors';

/**
 * Every option name of an options type, listed once: `satisfies` makes the compiler reject a list
 * that misses a name of `T` or holds one `T` does not have.
 */
export type OptionNames<T> = Record<keyof Required<T>, true>;

/**
 * Rejects option names that are not in `known`: a misspelt option (`stratgy`) would otherwise be
 * silently ignored and its default used.
 *
 * @throws {InvalidTTLOptionsError} naming the first unknown option.
 */
export function assertKnownOptionNames(options: object, known: Readonly<Record<string, true>>): void {
  const unknown = findUnknownOption(options, Object.keys(known));
  if (unknown !== undefined) throw new InvalidTTLOptionsError(unknown.name, unknown.value, `unknown option; the options are ${Object.keys(known).join(', ')}`);
}
