export type { CoordinatedPlugin, CoordinationMode, LeadershipChange, LeadershipSource } from './leadership';
