import { finding, type Check } from './check';

/**
 * Recovery by hand is unsafe on S3 stores: on Ceph RGW 16 an acknowledged plain PUT of a key
 * raced by a compare-and-swap on the same key was silently lost in 2-5 of 30 raced rounds, so a
 * hand edit of `state.json` (as the guide's recovery recipes do, while workers renew it) can be
 * reverted without a trace. A note on every S3 store: the CLI's recovery commands write only
 * conditionally (If-Match / If-None-Match; deletes by If-Match or a re-read of the version).
 */
export const handEditsCheck: Check = {
  id: 'hand-edits',
  title: 'Hand edits of coordinator records',
  guideSection: 'Recovery Procedures',
  run(evidence) {
    // Only S3 stores (Ceph RGW in particular) have been seen to lose a plain PUT raced by a conditional write.
    if (!evidence.store.startsWith('s3://')) return [];
    return [
      finding(
        'hand-edits',
        'plain-put-may-be-reverted',
        'info',
        'On S3 stores (seen on Ceph RGW 16: 2-5 of 30 raced rounds) an acknowledged plain PUT racing a conditional write on the same key can be silently lost: a hand edit or delete of state.json, epoch.json or a registration, as the guide\'s recovery recipes do, may be reverted by the next renewal',
        { store: evidence.store, keys: [evidence.keys.state, evidence.keys.epochLedger, `${evidence.keys.workersPrefix}*`] },
        'Never edit or delete coordinator records by hand (no `aws s3 cp`/`rm` on them): use `baton reset-leader --yes` (add `--plugin NAME` for a plugin\'s lease), which writes only by compare-and-swap and settles unknown outcomes by re-reading',
      ),
    ];
  },
};
