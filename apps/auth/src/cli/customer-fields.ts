import { z } from 'zod';

/** What an operator may type for a customer (CLI arguments and CSV columns alike). */
export const customerId = z
  .string()
  .trim()
  .regex(/^[\w.@:+-]{1,128}$/, 'must be 1-128 letters, digits or . _ - @ : +');
export const customerEmail = z.email().max(320);
export const customerName = z.string().trim().min(1).max(200);
export const MIN_PASSWORD = 8;
