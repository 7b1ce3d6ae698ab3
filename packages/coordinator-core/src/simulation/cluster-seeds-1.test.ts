import { defineSweepShard } from './seed-sweep';

defineSweepShard(0, 2);
