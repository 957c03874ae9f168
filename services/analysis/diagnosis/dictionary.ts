import type { FaultCause, FaultDictionaryFile } from '../../seeds/index.js';

export interface IndexedCause {
  cause: FaultCause;
  /** symptom → P(symptom | cause) */
  p: ReadonlyMap<string, number>;
  /** symptom → likelihood when the symptom is absent */
  absent: ReadonlyMap<string, number>;
}

/** The fault dictionary (seeds/fault-dictionary.json) indexed for diagnosis. */
export interface Dictionary {
  readonly causes: readonly IndexedCause[];
  readonly byId: ReadonlyMap<string, IndexedCause>;
  readonly settings: FaultDictionaryFile['settings'];
  readonly eventSymptoms: ReadonlySet<string>;
  /** P(symptom | no fault): how often the detector fires on a healthy machine */
  readonly falseRate: ReadonlyMap<string, number>;
}

export function indexDictionary(file: FaultDictionaryFile): Dictionary {
  const causes = file.items.map((cause) => {
    const p = new Map<string, number>();
    const absent = new Map<string, number>();
    for (const e of cause.signature) {
      p.set(e.symptom, e.p);
      absent.set(e.symptom, e.absent ?? Math.max(0.05, 1 - e.p));
    }
    return { cause, p, absent };
  });
  return {
    causes,
    byId: new Map(causes.map((c) => [c.cause.id, c])),
    settings: file.settings,
    eventSymptoms: new Set(file.symptoms.filter((s) => s.event).map((s) => s.id)),
    falseRate: new Map(file.symptoms.map((s) => [s.id, s.falseRate])),
  };
}
