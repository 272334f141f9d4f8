// Dockerfile parser: logical lines (continuations, comments), instructions with their flags,
// exec (JSON) and shell forms, and word splitting that honours quotes. Pure: no file access.

export type CommandForm = { exec: string[] } | { shell: string };

export type Instruction =
  | { kind: 'ARG'; line: number; args: { name: string; value?: string }[] }
  | { kind: 'ENV'; line: number; pairs: [string, string][] }
  | { kind: 'LABEL'; line: number; pairs: [string, string][] }
  | { kind: 'WORKDIR'; line: number; path: string }
  | { kind: 'USER'; line: number; user: string }
  | { kind: 'EXPOSE'; line: number; ports: string[] }
  | {
      kind: 'COPY';
      line: number;
      add: boolean;
      sources: string[];
      dest: string;
      from?: string;
      chown?: string;
      chmod?: string;
    }
  | { kind: 'RUN'; line: number; command: CommandForm }
  | { kind: 'CMD' | 'ENTRYPOINT'; line: number; command: CommandForm }
  | { kind: 'SHELL'; line: number; shell: string[] }
  | { kind: 'VOLUME'; line: number; paths: string[] }
  | { kind: 'STOPSIGNAL'; line: number; signal: string }
  | { kind: 'IGNORED'; line: number; keyword: string; note: string };

export interface Stage {
  index: number;
  /** The `AS name`, lower-cased like Docker does. */
  name?: string;
  /** The base image or earlier stage, with build args not yet expanded. */
  from: string;
  line: number;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM (usable in FROM lines). */
  globalArgs: { name: string; value?: string }[];
  stages: Stage[];
}

export class DockerfileError extends Error {
  constructor(line: number, message: string) {
    super(`Dockerfile line ${String(line)}: ${message}`);
    this.name = 'DockerfileError';
  }
}

/** Joins continuation lines (trailing backslash), drops comments and blank lines. */
export function logicalLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let current: { line: number; text: string } | undefined;
  const physical = text.split(/\r?\n/);
  for (let i = 0; i < physical.length; i++) {
    const raw = physical[i];
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (current && trimmed === '')) continue;
    if (!current && trimmed === '') continue;
    const continues = /\\\s*$/.test(raw);
    const piece = continues ? raw.replace(/\\\s*$/, '') : raw;
    if (current) current.text += piece;
    else current = { line: i + 1, text: piece.trimStart() };
    if (!continues) {
      out.push({ line: current.line, text: current.text.trimEnd() });
      current = undefined;
    }
  }
  if (current) out.push({ line: current.line, text: current.text.trimEnd() });
  return out;
}

/** Splits on whitespace outside quotes; removes the quotes and backslash escapes (like Docker's words). */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) word += text[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}

/** A JSON array of strings (exec form), or undefined when the text is not one (then shell form). */
function execForm(text: string): string[] | undefined {
  const t = text.trim();
  if (!t.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(t) as unknown;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  } catch {
    // Docker treats unparsable brackets as shell form too
  }
  return undefined;
}

function command(text: string): CommandForm {
  const exec = execForm(text);
  return exec ? { exec } : { shell: text.trim() };
}

/** Leading `--name=value` flags of COPY/ADD/RUN/FROM. */
function takeFlags(text: string): { flags: Map<string, string>; rest: string } {
  const flags = new Map<string, string>();
  let rest = text.trimStart();
  for (;;) {
    const m = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest);
    if (!m) break;
    flags.set(m[1], m[2] ?? 'true');
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

function pairs(words: string[], line: number, keyword: string): [string, string][] {
  if (words.length >= 2 && !words[0].includes('=')) {
    // legacy form: ENV KEY value with spaces
    return [[words[0], words.slice(1).join(' ')]];
  }
  return words.map((w) => {
    const i = w.indexOf('=');
    if (i <= 0) throw new DockerfileError(line, `${keyword} expects key=value, got "${w}"`);
    return [w.slice(0, i), w.slice(i + 1)];
  });
}

const IGNORED: Record<string, string> = {
  HEALTHCHECK:
    'HEALTHCHECK is ignored: Kubernetes uses the pod probes instead (the chart defines them)',
  ONBUILD: 'ONBUILD is ignored: it only affects images built FROM this one',
  MAINTAINER: 'MAINTAINER is deprecated and ignored (use LABEL org.opencontainers.image.authors)',
};

function parseInstruction(keyword: string, rest: string, line: number): Instruction {
  const words = () => {
    try {
      return splitWords(rest);
    } catch (err) {
      throw new DockerfileError(line, `${keyword}: ${(err as Error).message}`);
    }
  };
  switch (keyword) {
    case 'ARG':
      return {
        kind: 'ARG',
        line,
        args: words().map((w) => {
          const i = w.indexOf('=');
          return i < 0 ? { name: w } : { name: w.slice(0, i), value: w.slice(i + 1) };
        }),
      };
    case 'ENV':
    case 'LABEL':
      return { kind: keyword, line, pairs: pairs(words(), line, keyword) };
    case 'WORKDIR':
      return { kind: 'WORKDIR', line, path: rest.trim() };
    case 'USER':
      return { kind: 'USER', line, user: rest.trim() };
    case 'EXPOSE':
      return { kind: 'EXPOSE', line, ports: words() };
    case 'COPY':
    case 'ADD': {
      const { flags, rest: args } = takeFlags(rest);
      for (const f of flags.keys()) {
        if (!['from', 'chown', 'chmod', 'link'].includes(f))
          throw new DockerfileError(line, `${keyword} --${f} is not supported`);
      }
      const list = execForm(args) ?? splitWords(args);
      if (list.length < 2)
        throw new DockerfileError(line, `${keyword} needs a source and a destination`);
      return {
        kind: 'COPY',
        line,
        add: keyword === 'ADD',
        sources: list.slice(0, -1),
        dest: list[list.length - 1],
        ...(flags.has('from') ? { from: flags.get('from') } : {}),
        ...(flags.has('chown') ? { chown: flags.get('chown') } : {}),
        ...(flags.has('chmod') ? { chmod: flags.get('chmod') } : {}),
      };
    }
    case 'RUN': {
      const { flags, rest: cmd } = takeFlags(rest);
      if (flags.size > 0)
        throw new DockerfileError(line, `RUN --${[...flags.keys()][0]} is not supported`);
      if (/<<-?\s*["']?\w+/.test(cmd) && !execForm(cmd))
        throw new DockerfileError(line, 'RUN heredocs are not supported');
      return { kind: 'RUN', line, command: command(cmd) };
    }
    case 'CMD':
    case 'ENTRYPOINT':
      return { kind: keyword, line, command: command(rest) };
    case 'SHELL': {
      const shell = execForm(rest);
      if (!shell || shell.length === 0)
        throw new DockerfileError(line, 'SHELL must be a JSON array');
      return { kind: 'SHELL', line, shell };
    }
    case 'VOLUME':
      return { kind: 'VOLUME', line, paths: execForm(rest) ?? words() };
    case 'STOPSIGNAL':
      return { kind: 'STOPSIGNAL', line, signal: rest.trim() };
    default:
      if (IGNORED[keyword]) return { kind: 'IGNORED', line, keyword, note: IGNORED[keyword] };
      throw new DockerfileError(line, `unknown instruction ${keyword}`);
  }
}

export function parseDockerfile(text: string): Dockerfile {
  const result: Dockerfile = { globalArgs: [], stages: [] };
  for (const { line, text: logical } of logicalLines(text)) {
    const m = /^(\S+)\s*([\s\S]*)$/.exec(logical);
    if (!m) continue;
    const keyword = m[1].toUpperCase();
    const rest = m[2];
    if (keyword === 'FROM') {
      const { rest: args } = takeFlags(rest); // --platform is irrelevant on the host
      const w = splitWords(args);
      if (w.length !== 1 && !(w.length === 3 && w[1].toUpperCase() === 'AS'))
        throw new DockerfileError(line, 'FROM expects "image" or "image AS name"');
      result.stages.push({
        index: result.stages.length,
        ...(w.length === 3 ? { name: w[2].toLowerCase() } : {}),
        from: w[0],
        line,
        instructions: [],
      });
      continue;
    }
    const instruction = parseInstruction(keyword, rest, line);
    const stage = result.stages[result.stages.length - 1];
    if (!stage) {
      if (instruction.kind !== 'ARG')
        throw new DockerfileError(
          line,
          `${keyword} before the first FROM (only ARG may come first)`,
        );
      result.globalArgs.push(...instruction.args);
      continue;
    }
    stage.instructions.push(instruction);
  }
  if (result.stages.length === 0) throw new DockerfileError(1, 'no FROM instruction');
  return result;
}

/**
 * Expands $VAR, ${VAR}, ${VAR:-default} and ${VAR:+alternative} like Docker does in ENV, ARG,
 * WORKDIR, COPY, USER, EXPOSE, LABEL and FROM; `\$` stays a literal dollar sign.
 */
export function expandVariables(text: string, vars: Record<string, string | undefined>): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && text[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    if (c !== '$') {
      out += c;
      continue;
    }
    const braced = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}/.exec(text.slice(i));
    if (braced) {
      const value = vars[braced[1]];
      if (braced[2] === '-') out += value ? value : braced[3];
      else if (braced[2] === '+') out += value ? braced[3] : '';
      else out += value ?? '';
      i += braced[0].length - 1;
      continue;
    }
    const plain = /^\$([A-Za-z_][A-Za-z0-9_]*)/.exec(text.slice(i));
    if (plain) {
      out += vars[plain[1]] ?? '';
      i += plain[0].length - 1;
      continue;
    }
    out += c;
  }
  return out;
}
