import { COORDINATOR_ROOT, assertValidNamespace, pluginElectionKeys } from '@baton/coordinator-core';
import { queueStoragePrefix } from '@baton/queue';
import { normalizePrefix } from '@baton/storage';
import { ttlStoragePrefix } from '@baton/ttl';

/** Options for {@link iamPolicy}. */
export interface IamPolicyOptions {
  /** The bucket. */
  bucket: string;
  /** The key prefix of the connection string (`''` for none). */
  prefix?: string;
  /** Limit the policy to these namespaces. Default: every namespace (`plg_coordinator_global/*`). */
  namespaces?: readonly string[];
  /** Plugins that run their own election (per-plugin mode): adds `plg_<plugin>/coordinator/*`. */
  perPluginElections?: readonly string[];
  /** Queues (`@baton/queue`) used through this bucket: adds `queues/<name>/*`. */
  queues?: readonly string[];
  /** TTL collections (`@baton/ttl`): adds `ttl/<collection>/*` (archives included, unless moved by `archivePrefix`). */
  ttlCollections?: readonly string[];
  /** The ARN partition (`aws`, `aws-cn`, `aws-us-gov`). Default `aws`. */
  partition?: string;
}

/** An IAM policy document. */
export interface IamPolicyDocument {
  Version: '2012-10-17';
  Statement: {
    Sid: string;
    Effect: 'Allow';
    Action: string[];
    Resource: string[];
    Condition?: { StringLike: { 's3:prefix': string[] } };
  }[];
}

/**
 * The least-privilege IAM policy for the keys baton uses: get, put and delete on the coordinator's
 * namespaces' folders and the start-up probe's scratch folder (`.probe/`), on the folders of the
 * queues and TTL collections named, and listing only under those prefixes. Nothing else in the
 * bucket is reachable.
 */
export function iamPolicy(options: IamPolicyOptions): IamPolicyDocument {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) throw new TypeError(`Invalid bucket name ${JSON.stringify(options.bucket)}`);
  const prefix = normalizePrefix(options.prefix ?? '');
  const partition = options.partition ?? 'aws';
  const folders: string[] = [];
  if (options.namespaces === undefined || options.namespaces.length === 0) {
    folders.push(`${COORDINATOR_ROOT}/`);
  } else {
    for (const namespace of options.namespaces) {
      assertValidNamespace(namespace);
      folders.push(`${COORDINATOR_ROOT}/${namespace}/`);
    }
    // The hub's start-up probe writes scratch objects here before the first election.
    folders.push(`${COORDINATOR_ROOT}/.probe/`);
  }
  for (const plugin of options.perPluginElections ?? []) {
    const state = pluginElectionKeys(plugin).state;
    const root = state.slice(0, state.indexOf('/') + 1);
    folders.push(state.slice(0, state.lastIndexOf('/') + 1), `${root}.probe/`);
  }
  for (const queue of options.queues ?? []) folders.push(queueStoragePrefix(queue));
  for (const collection of options.ttlCollections ?? []) folders.push(ttlStoragePrefix(collection));
  const unique = [...new Set(folders)].map((folder) => `${prefix}${folder}*`);
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'BatonCoordinatorObjects',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        Resource: unique.map((pattern) => `arn:${partition}:s3:::${options.bucket}/${pattern}`),
      },
      {
        Sid: 'BatonCoordinatorList',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: [`arn:${partition}:s3:::${options.bucket}`],
        Condition: { StringLike: { 's3:prefix': unique } },
      },
    ],
  };
}
