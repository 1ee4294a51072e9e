import type { Router } from 'express';
import { tokenOf } from '../auth/bearer.js';

/** /customers/current: any valid token; the customer is the token's subject. */
export function customerRoutes(router: Router): void {
  router.get('/customers/current', (_req, res) => {
    res.json({ customerId: tokenOf(res).sub });
  });
}
