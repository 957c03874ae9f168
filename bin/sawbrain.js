#!/usr/bin/env node
// `npx sawbrain …`: runs the TypeScript CLI through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../services/app/cli.ts');
