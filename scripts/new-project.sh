#!/bin/sh
# Scaffolds a workspace project: scripts/new-project.sh <packages|apps|tools|examples> <name> [lib|app|tool|test]
# Writes package.json (with the @opsmith/source export condition), the three tsconfigs, vitest and
# eslint configs and a src/index.ts; then run `npx nx sync` to add the project references.
set -eu
dir="$1"; name="$2"; kind="${3:-lib}"
root="$dir/$name"
[ "$dir" = "." ] && root="$name"
up=$(echo "$root" | sed 's#[^/][^/]*#..#g')
mkdir -p "$root/src"
[ -f "$root/package.json" ] || cat > "$root/package.json" <<JSON
{
  "name": "@opsmith/$name",
  "version": "0.1.0",
  "private": true,
  "type": "module",
  "license": "Apache-2.0",
  "main": "./dist/index.js",
  "types": "./dist/index.d.ts",
  "exports": {
    "./package.json": "./package.json",
    ".": {
      "@opsmith/source": "./src/index.ts",
      "types": "./dist/index.d.ts",
      "import": "./dist/index.js",
      "default": "./dist/index.js"
    }
  },
  "nx": { "tags": ["type:$kind"] },
  "dependencies": {},
  "devDependencies": { "@opsmith/vitest-preset": "*" }
}
JSON
cat > "$root/tsconfig.json" <<JSON
{
  "extends": "$up/tsconfig.base.json",
  "files": [],
  "include": [],
  "references": [{ "path": "./tsconfig.lib.json" }, { "path": "./tsconfig.spec.json" }]
}
JSON
cat > "$root/tsconfig.lib.json" <<JSON
{
  "extends": "$up/tsconfig.base.json",
  "compilerOptions": {
    "rootDir": "src",
    "outDir": "dist",
    "tsBuildInfoFile": "dist/tsconfig.lib.tsbuildinfo",
    "emitDeclarationOnly": false,
    "forceConsistentCasingInFileNames": true,
    "types": ["node"]
  },
  "include": ["src/**/*.ts"],
  "exclude": ["src/**/*.test.ts", "src/**/*.spec.ts"],
  "references": []
}
JSON
cat > "$root/tsconfig.spec.json" <<JSON
{
  "extends": "$up/tsconfig.base.json",
  "compilerOptions": {
    "outDir": "./out-tsc/vitest",
    "types": ["vitest/globals", "vitest/importMeta", "node", "vitest"],
    "forceConsistentCasingInFileNames": true,
    "rewriteRelativeImportExtensions": false
  },
  "include": ["vitest.config.ts", "src/**/*.test.ts", "src/**/*.spec.ts", "test/**/*.ts"],
  "references": [{ "path": "./tsconfig.lib.json" }]
}
JSON
cat > "$root/vitest.config.ts" <<TS
import { defineConfig } from 'vitest/config';
import { opsmithVitest } from '@opsmith/vitest-preset';

export default defineConfig(opsmithVitest(import.meta.dirname));
TS
cat > "$root/eslint.config.mjs" <<JS
import baseConfig from '$up/eslint.config.mjs';

export default [...baseConfig];
JS
[ -f "$root/src/index.ts" ] || echo "export {};" > "$root/src/index.ts"
echo "created $root"
