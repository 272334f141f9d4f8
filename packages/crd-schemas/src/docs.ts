import type { CustomResource } from './resource.ts';
import type { SchemaNode } from './structural.ts';

function typeName(s: SchemaNode, sections: Map<SchemaNode, string>): string {
  if (s['x-kubernetes-int-or-string']) return 'int or string';
  if (s.enum) return `enum: ${s.enum.map((e) => `\`${String(e)}\``).join(', ')}`;
  if (s.type === 'array') return `[]${s.items ? typeName(s.items, sections) : 'any'}`;
  if (s.type === 'object') {
    const section = sections.get(s);
    if (section) return `[${section}](#${anchor(section)})`;
    if (typeof s.additionalProperties === 'object')
      return `map[string]${typeName(s.additionalProperties, sections)}`;
    return 'object';
  }
  return s.format ? `${s.type} (${s.format})` : (s.type ?? 'any');
}

const anchor = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n+/g, ' ');

/** Objects with properties get their own section; a titled sub-schema is rendered once however often used. */
function collectSections(root: SchemaNode, rootName: string): Map<SchemaNode, string> {
  const sections = new Map<SchemaNode, string>();
  const used = new Set<string>();
  const visit = (s: SchemaNode, name: string) => {
    if (s.type === 'array' && s.items) return visit(s.items, name);
    if (typeof s.additionalProperties === 'object') return visit(s.additionalProperties, name);
    if (s.type !== 'object' || !s.properties || sections.has(s)) return;
    let title = s.title ?? name;
    for (let i = 2; used.has(title); i++) title = `${s.title ?? name}${i}`;
    used.add(title);
    sections.set(s, title);
    for (const [k, sub] of Object.entries(s.properties)) visit(sub, `${title}.${k}`);
  };
  visit(root, rootName);
  return sections;
}

/** The Markdown API reference of a resource: one section per object type, every version. */
export function renderApiReference(res: CustomResource): string {
  const d = res.def;
  const lines: string[] = [
    `<!-- Generated from TypeScript by packages/crd-schemas: do not edit. -->`,
    `# ${d.kind}`,
    '',
    d.description ?? '',
    '',
    `- Group: \`${d.group}\`, plural \`${d.plural}\`, scope ${d.scope}`,
    `- Versions: ${d.versions.map((v) => `\`${v.name}\`${v.name === d.storageVersion ? ' (storage)' : ''}${v.deprecated ? ' (deprecated)' : ''}`).join(', ')}`,
  ];
  if (d.shortNames?.length)
    lines.push(`- Short names: ${d.shortNames.map((s) => `\`${s}\``).join(', ')}`);
  if (d.categories?.length)
    lines.push(`- Categories: ${d.categories.map((s) => `\`${s}\``).join(', ')}`);
  for (const v of d.versions) {
    const root = res.schema(v.name);
    lines.push('', `## ${d.kind} ${v.name}`, '');
    if (v.printerColumns?.length)
      lines.push(`\`kubectl get\` columns: ${v.printerColumns.map((c) => c.name).join(', ')}`, '');
    const sections = collectSections(root, `${d.kind}.${v.name}`);
    for (const [s, title] of sections) {
      if (s !== root) lines.push(`### ${title}`, '');
      if (s.description && s !== root) lines.push(s.description, '');
      lines.push(
        '| Field | Type | Required | Default | Description |',
        '| --- | --- | --- | --- | --- |',
      );
      for (const [name, sub] of Object.entries(s.properties ?? {})) {
        const rules =
          (sub['x-kubernetes-validations'] as { rule: string; message?: string }[] | undefined) ??
          [];
        const desc = [
          sub.description ?? '',
          ...rules.map((r) => `Rule: \`${r.rule}\`${r.message ? ` (${r.message})` : ''}`),
        ]
          .filter(Boolean)
          .join(' ');
        lines.push(
          `| \`${name}\` | ${cell(typeName(sub, sections))} | ${s.required?.includes(name) ? 'yes' : ''} | ${sub.default !== undefined ? `\`${cell(JSON.stringify(sub.default))}\`` : ''} | ${cell(desc)} |`,
        );
      }
      lines.push('');
    }
  }
  return `${lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}
