// OpenAPI `pattern`s are RE2 syntax on a real server. JavaScript's unicode mode rejects escapes RE2
// accepts (`\:`, `\_`), so a pattern that fails in unicode mode is retried in legacy mode.

export function compilePattern(source: string): RegExp | undefined {
  try {
    return new RegExp(source, 'u');
  } catch {
    try {
      return new RegExp(source);
    } catch {
      return undefined;
    }
  }
}
