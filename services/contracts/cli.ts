import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { jsonSchemaOf } from './json-schema.js';
import { MESSAGE_KINDS, type MessageKind, parseTopic } from './topics.js';
import { validateMessage } from './validate.js';

/** Writes one JSON Schema file per message kind; returns the paths written. */
export function writeJsonSchemas(outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  return MESSAGE_KINDS.map((kind) => {
    const path = join(outDir, `${kind}.schema.json`);
    writeFileSync(path, `${JSON.stringify(jsonSchemaOf(kind), null, 2)}\n`);
    return path;
  });
}

export interface FileReport {
  file: string;
  valid: number;
  invalid: { index: number; kind: string; message: string }[];
}

function kindFromName(file: string): MessageKind | undefined {
  const stem = basename(file).replace(/(\.schema)?\.(json|jsonl|ndjson)$/, '');
  return (MESSAGE_KINDS as string[]).includes(stem) ? (stem as MessageKind) : undefined;
}

/**
 * Validates a message file: one JSON message, a JSON array of messages, or JSON lines. Each
 * entry is a bare payload (kind from --kind, --topic or the file name) or `{ topic, payload }`.
 */
export function validateFile(file: string, opts: { kind?: string; topic?: string } = {}): FileReport {
  const text = readFileSync(file, 'utf8');
  let entries: unknown[];
  try {
    const parsed: unknown = JSON.parse(text);
    entries = Array.isArray(parsed) ? parsed : [parsed];
  } catch {
    entries = text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l, i) => {
        try {
          return JSON.parse(l);
        } catch (err) {
          return { __notJson: `line ${i + 1}: ${(err as Error).message}` };
        }
      });
  }
  const fallbackKind =
    (opts.kind as MessageKind | undefined) ??
    (opts.topic ? parseTopic(opts.topic)?.kind : undefined) ??
    kindFromName(file);
  const report: FileReport = { file, valid: 0, invalid: [] };
  entries.forEach((entry, index) => {
    const e = entry as { topic?: unknown; payload?: unknown; __notJson?: string };
    if (e.__notJson) {
      report.invalid.push({ index, kind: '?', message: `not JSON: ${e.__notJson}` });
      return;
    }
    let kind = fallbackKind;
    let payload: unknown = entry;
    if (typeof e.topic === 'string' && 'payload' in e) {
      const address = parseTopic(e.topic);
      if (!address) {
        report.invalid.push({ index, kind: '?', message: `not a sawbrain/v1 topic: ${e.topic}` });
        return;
      }
      kind = address.kind;
      payload = e.payload;
    }
    if (!kind || !(MESSAGE_KINDS as string[]).includes(kind)) {
      report.invalid.push({
        index,
        kind: String(kind),
        message: `unknown kind; use --kind (${MESSAGE_KINDS.join(', ')})`,
      });
      return;
    }
    const result = validateMessage(kind, payload);
    if (result.ok) report.valid++;
    else report.invalid.push({ index, kind, message: result.message });
  });
  return report;
}

/** `sawbrain validate …` and `sawbrain schemas …`. */
export function registerStandardCommands(program: Command): void {
  program
    .command('validate')
    .description('validate message files against the sawing data standard v1')
    .argument('<files...>', 'JSON, JSON array or JSON-lines files')
    .option('-k, --kind <kind>', `message kind (${MESSAGE_KINDS.join(', ')})`)
    .option('-t, --topic <topic>', 'topic the messages were published on (gives the kind)')
    .option('--json', 'machine-readable report')
    .action((files: string[], opts: { kind?: string; topic?: string; json?: boolean }) => {
      const reports = files.map((f) => validateFile(f, opts));
      if (opts.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
      else {
        for (const r of reports) {
          process.stdout.write(`${r.file}: ${r.valid} valid, ${r.invalid.length} invalid\n`);
          for (const i of r.invalid) process.stdout.write(`  #${i.index} [${i.kind}] ${i.message}\n`);
        }
      }
      if (reports.some((r) => r.invalid.length > 0)) process.exitCode = 1;
    });
  program
    .command('schemas')
    .description('write the JSON Schema files of the standard (generated from the zod source)')
    .option('-o, --out <dir>', 'output directory', 'docs/schemas')
    .action((opts: { out: string }) => {
      for (const path of writeJsonSchemas(opts.out)) process.stdout.write(`wrote ${path}\n`);
    });
}
