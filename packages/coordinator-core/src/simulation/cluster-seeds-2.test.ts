import { defineSweepShard } from './seed-sweep';

defineSweepShard(1, 2);
