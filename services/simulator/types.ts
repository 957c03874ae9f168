import type { Alarm, BladeEvent, Cut, Sample, State } from '../contracts/messages.js';

/** A message body without the envelope fields the device adds (`v`, `bootId`, `seq`). */
export type Body<T> = Omit<T, 'v' | 'bootId' | 'seq'>;

/** What a simulated controller produces, in order; the device turns these into messages. */
export type SimEvent =
  | { kind: 'sample'; sample: Sample }
  | { kind: 'cut'; body: Body<Cut> }
  | { kind: 'state'; body: Body<State> }
  | { kind: 'blade'; body: Body<BladeEvent> }
  | { kind: 'alarm'; body: Body<Alarm> };
