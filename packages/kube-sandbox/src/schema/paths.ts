// Field paths rendered the way k8s.io/apimachinery's field.Path prints them: `spec.members[2].name`,
// map keys in brackets (`spec.labels[app]`).

export function childPath(parent: string, name: string): string {
  return parent ? `${parent}.${name}` : name;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

export function keyPath(parent: string, key: string): string {
  return `${parent}[${key}]`;
}

/** What go-openapi prints as the subject of a value error ("spec.size in body ..."). */
export function bodyName(path: string): string {
  return path || 'body';
}
