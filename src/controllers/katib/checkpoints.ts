// pbt checkpoints as Katib lays them out: one PersistentVolumeClaim per experiment (`<experiment>-<algorithm>`), a folder
// per trial in it (`<experiment>/<trial>`), mounted into the trial's primary container at `suggestion_trial_dir` by
// subPath, so each trial sees only its own folder there; a new member's folder starts as a copy of its parent's.
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PodSpec } from '../../api/core-v1.js';
import type { Experiment, Suggestion, SuggestionItem } from './types.js';
import { PbtLabels } from './algorithms/index.js';
import { controllerReference } from '../../controller/index.js';
import type { KubeObject } from '../../api/meta.js';

/** The algorithm setting that asks for per-trial checkpoint storage (Katib's SuggestionVolumeMountKey). */
export const TrialDirSetting = 'suggestion_trial_dir';
/** The volume name Katib's Pod webhook gives the suggestion's claim in a trial Pod. */
export const SuggestionVolume = 'suggestion-volume';

export const ClaimRef = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' } as const;

/** Katib's GetSuggestionPersistentVolumeClaimName: `<suggestion>-<algorithm>`. */
export const claimName = (suggestion: { metadata: { name?: string }; spec: { algorithm?: { algorithmName?: string } } }): string =>
  `${suggestion.metadata.name ?? ''}-${suggestion.spec.algorithm?.algorithmName ?? ''}`;

/** Where trials mount their checkpoint folder, when the suggestion's algorithm asks for one. */
export function trialDirOf(suggestion: Suggestion): string | undefined {
  const value = suggestion.spec.algorithm?.algorithmSettings?.find((s) => s.name === TrialDirSetting)?.value;
  return value ? value : undefined;
}

/** The claim Katib creates from its suggestion config (1Gi, ReadWriteOnce), owned by the Suggestion. */
export function desiredClaim(suggestion: Suggestion): KubeObject {
  return {
    apiVersion: ClaimRef.apiVersion,
    kind: ClaimRef.kind,
    metadata: { name: claimName(suggestion), namespace: suggestion.metadata.namespace ?? '', ownerReferences: [controllerReference(suggestion)] },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  };
}

/** A trial's folder inside the claim (the mount's subPath). */
export const trialFolder = (experiment: string, trial: string): string => `${experiment}/${trial}`;

/** Adds the claim and the subPath mount to the primary container of a trial Pod template (Katib's mutateSuggestionVolume). */
export function mountCheckpoint(spec: PodSpec, primaryContainer: string, mount: { claim: string; mountPath: string; subPath: string }): void {
  const primary = spec.containers.find((c) => c.name === primaryContainer);
  if (!primary) return;
  spec.volumes = [...(spec.volumes ?? []).filter((v) => v.name !== SuggestionVolume), { name: SuggestionVolume, persistentVolumeClaim: { claimName: mount.claim } }];
  primary.volumeMounts = [...(primary.volumeMounts ?? []).filter((m) => m.name !== SuggestionVolume), { name: SuggestionVolume, mountPath: mount.mountPath, subPath: mount.subPath }];
}

const isName = (name: string): boolean => /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) && !name.includes('..');

/**
 * Prepares the folders of newly suggested trials in the claim's host folder: a fresh folder for a first-generation
 * member, a copy of the parent's folder for a member with a parent (as Katib's pbt service does in its PVC).
 */
export function prepareFolders(claimDir: string, experiment: Experiment, added: readonly SuggestionItem[]): void {
  const name = experiment.metadata.name ?? '';
  if (!isName(name)) return;
  for (const item of added) {
    // Both are trial names (one path segment); a label value with "/" or ".." must not copy folders from elsewhere.
    if (!isName(item.name)) continue;
    const target = join(claimDir, name, item.name);
    rmSync(target, { recursive: true, force: true });
    const parent = item.labels?.[PbtLabels.parent];
    const source = parent && isName(parent) ? join(claimDir, name, parent) : undefined;
    if (source && existsSync(source)) cpSync(source, target, { recursive: true });
    else mkdirSync(target, { recursive: true });
  }
}
