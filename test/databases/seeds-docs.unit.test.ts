import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { SEED_FILES, type SeedKey } from '../../services/seeds/index.js';

/**
 * Every file of seeds/ is documented in seeds/README.md: a section per file that names every
 * field of its items (so meaning and unit are next to each field), and the loader validates it.
 */
const readme = readFileSync('seeds/README.md', 'utf8');

function section(file: string): string {
  const start = readme.indexOf(`## ${file}`);
  if (start < 0) return '';
  const next = readme.indexOf('\n## ', start + 3);
  return readme.slice(start, next < 0 ? undefined : next);
}

function itemKeys(key: SeedKey): string[] {
  const file = SEED_FILES[key].schema as unknown as z.ZodObject<{ items: z.ZodArray<z.ZodObject> }>;
  return Object.keys(file.shape.items.element.shape);
}

describe('seeds/README.md', () => {
  it.each(Object.keys(SEED_FILES) as SeedKey[])('documents %s and every field of its items', (key) => {
    const text = section(SEED_FILES[key].file);
    expect(text, `a "## ${SEED_FILES[key].file}" section`).not.toBe('');
    const missing = itemKeys(key).filter((k) => !text.includes(`\`${k}\``) && !text.includes(`\`${k}[]\``));
    expect(missing, `${SEED_FILES[key].file}: fields not documented`).toEqual([]);
  });
});
