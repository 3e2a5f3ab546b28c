/**
 * Command-line options of the repository's scripts: `--name value`, `--name=value` and bare
 * `--flag`s. An unknown option, a stray argument or an option without its value is a
 * {@link UsageError} naming it (the script prints its message on one line and exits non-zero).
 */

/** Bad command-line input: the message is all the user needs (no stack). */
export class UsageError extends Error {}

export function parseOptions(
  argv: readonly string[],
  known: { options: readonly string[]; flags: readonly string[] }
): { options: Record<string, string>; flags: Set<string> } {
  const options: Record<string, string> = {}
  const flags = new Set<string>()
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith("--")) throw new UsageError(`unexpected argument ${a} (see --help)`)
    const [name, inline] = a.slice(2).split("=", 2)
    if (known.flags.includes(name)) {
      flags.add(name)
      continue
    }
    if (!known.options.includes(name)) throw new UsageError(`unknown option --${name} (see --help)`)
    const value = inline ?? argv[++i]
    if (value === undefined) throw new UsageError(`--${name} needs a value`)
    options[name] = value
  }
  return { options, flags }
}
