// index.ts - the queue policies' public surface: priority from urgency, job order, and one scheduling pass.
export * from './types.ts';
export * from './priority.ts';
export { schedulePass } from './pass.ts';
export { findReservation, backfill, type Reservation } from './easy.ts';
