/** The metadata.name a CustomResourceDefinition must have: "<plural>.<group>". */
export function crdName(plural: string, group: string): string {
  if (!/^[a-z0-9]+$/.test(plural))
    throw new Error(`crdName: plural ${JSON.stringify(plural)} must be lowercase alphanumeric`);
  if (!group.includes('.'))
    throw new Error(`crdName: group ${JSON.stringify(group)} must contain a dot`);
  return `${plural}.${group}`;
}
