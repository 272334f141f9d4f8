/** The work-queue key of an object: "namespace/name", or just "name" for cluster-scoped objects. */
export function objectKey(meta: { namespace?: string; name?: string }): string {
  if (!meta.name) throw new Error('objectKey: metadata.name is required');
  return meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name;
}

export function parseObjectKey(key: string): { namespace?: string; name: string } {
  const parts = key.split('/');
  if (parts.length === 1 && parts[0]) return { name: parts[0] };
  if (parts.length === 2 && parts[0] && parts[1]) return { namespace: parts[0], name: parts[1] };
  throw new Error(`parseObjectKey: malformed key ${JSON.stringify(key)}`);
}
