import { defineConfig } from 'vitest/config';
import { opsmithVitest } from '@opsmith/vitest-preset';

export default defineConfig(opsmithVitest(import.meta.dirname));
