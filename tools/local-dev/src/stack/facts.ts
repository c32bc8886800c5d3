/**
 * The raw facts the stack model is projected from, exactly as ./gather.ts collects them from git,
 * disk and Docker. No judgement here: ./model.ts decides what they mean.
 */
import type { RepoModel, ServiceModel } from '../config/model';
import type { TunnelReading } from '../tunnel/state';
import type { RunProgress } from '../core/run-record';
import type { LiveState } from '../live/state';
import type { ContainerFacts } from './docker-facts';

/** How one file inject-config recorded stands on disk now. */
export type InjectedFileDrift = 'none' | 'edited' | 'missing';

export interface InjectionFacts {
  /** The namespace whose files are in the clone (from inject-config's manifest). */
  namespace: string;
  injectedAt: string;
  files: { dest: string; kind: string; drift: InjectedFileDrift }[];
}

export type CloneFacts =
  | { state: 'missing' }
  | { state: 'not-a-clone'; why: string }
  | {
      state: 'clone';
      /** undefined when HEAD is detached. */
      branch: string | undefined;
      head: string | undefined;
      upstream: string | undefined;
      aheadBehind: { ahead: number; behind: number } | undefined;
      /** Changed and untracked files, as `git status` lists them. */
      changed: string[];
      /** undefined: nothing was injected (no manifest). */
      injection: InjectionFacts | undefined;
    }
  /** git itself failed on the folder (permissions, a corrupt repository): the message says why. */
  | { state: 'unreadable'; error: string };

export interface ImageFacts {
  /** The image the service's current inputs call for; undefined when it cannot be computed. */
  wanted: string | undefined;
  /** Why `wanted` could not be computed (no clone, no Dockerfile …). */
  wantedError: string | undefined;
  /** Whether `wanted` exists in the engine (false when unknown). */
  wantedExists: boolean;
  /** The image build-image last settled on (logs/images/<service>.json). */
  recorded: string | undefined;
}

export interface ServiceFacts {
  service: ServiceModel;
  repo: RepoModel;
  clone: CloneFacts;
  image: ImageFacts;
  /** This workspace's containers labelled with the service (normally zero or one). */
  containers: ContainerFacts[];
  /** The io.local-dev.definition docker-compose.yml gives the service for the namespace. */
  definition: string;
  /** A local-dev command working on the service's container right now (it holds the service's lock). */
  lock: LockFacts | undefined;
  /** What the dev target did to the service's main container (logs/live/<service>.json, src/live/state.ts). */
  live: LiveState;
}

/** The live holder of a service's lock (logs/locks/<service>.lock, src/docker/service-lock.ts). */
export interface LockFacts {
  /** What it does: "restart svc-1", "up svc-1", "down svc-1" … */
  purpose: string;
  /** The command the user ran: "nx run stack:restart --services=svc-1". */
  command: string;
  since: string;
}

export type EngineFacts = { reachable: true } | { reachable: false; error: string };

export interface StackFacts {
  at: Date;
  workspace: { root: string; id: string; composeProject: string };
  /** The namespace things are compared against, and whether the user named it. */
  namespace: { name: string; requested: boolean };
  network: { name: string; exists: boolean | undefined };
  engine: EngineFacts;
  services: ServiceFacts[];
  /** Containers labelled with this workspace whose service is not in config.yaml any more. */
  orphans: ContainerFacts[];
  tunnel: TunnelReading;
  /** logs/progress.json: the current or last run. */
  run: RunProgress | undefined;
}
