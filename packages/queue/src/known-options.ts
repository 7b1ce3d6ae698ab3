import { findUnknownOption } from '@baton/plugin';

/**
 * Rejects option names outside `known`, so that a misspelt option (`concurency`,
 * `visibilityTimeout`) fails loudly instead of being silently ignored.
 *
 * @param invalid builds the package's typed error for the option's kind.
 * @throws whatever `invalid` builds, naming the first unknown option and listing the known ones.
 */
export function assertKnownOptions(options: object, known: ReadonlySet<string>, invalid: (option: string, value: unknown, reason: string) => Error): void {
  const unknown = findUnknownOption(options, known);
  if (unknown !== undefined) throw invalid(unknown.name, unknown.value, `unknown option; known: ${[...known].join(', ')}`);
}
