export type { CoordinatedPlugin, CoordinationMode, LeadershipChange, LeadershipSource } from './leadership';
export { randomToken, systemEnvironment } from './environment';
export type { Clock, CoordinatorEnvironment, TimerHandle, Timers } from './environment';
export { consoleLogger, silentLogger } from './logger';
export type { Logger, LogMethod } from './logger';
export { LeaderWorkRunner } from './leader-work-runner';
export type { LeaderWorkContext, LeaderWorkRunnerOptions } from './leader-work-runner';
export { findJsonProblem } from './json-value';
export type { JsonProblem, JsonValue } from './json-value';
