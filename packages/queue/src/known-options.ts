/**
 * Rejects option names outside `known`, so that a misspelt option (`concurency`,
 * `visibilityTimeout`) fails loudly instead of being silently ignored.
 *
 * @param invalid builds the package's typed error for the option's kind.
 * @throws whatever `invalid` builds, naming the first unknown option and listing the known ones.
 */
export function assertKnownOptions(options: object, known: ReadonlySet<string>, invalid: (option: string, value: unknown, reason: string) => Error): void {
  for (const [name, value] of Object.entries(options)) {
    if (!known.has(name)) throw invalid(name, value, `unknown option; known: ${[...known].join(', ')}`);
  }
}
