import { Router, type RequestHandler } from 'express';
import { PAGE_CSP, performancePage } from './page.js';
import { performanceReport, type PerformanceReport } from './report.js';
import type { PerformanceStore } from './store.js';

/** The public disclosure: the page, and the same figures as JSON, at the API's origin beside /api/fdx/v6. */
export const PERFORMANCE_PATH = '/performance';
export const PERFORMANCE_JSON_PATH = '/performance.json';

export interface PerformanceRoutesOptions {
  store: PerformanceStore;
  thresholdMs: number;
  institutionName: string;
  now: () => number;
  /** A report is read at most once per this many ms (the counts change once per flush anyway). */
  cacheMs: number;
  /** Public, but limited per caller address like every unauthenticated request. */
  limit?: RequestHandler;
}

/** `GET /performance` (HTML, no script) and `GET /performance.json`: no token, one cached report. */
export function performanceRoutes(options: PerformanceRoutesOptions): Router {
  let cached: { at: number; report: Promise<PerformanceReport> } | undefined;
  const report = (): Promise<PerformanceReport> => {
    const now = options.now();
    if (!cached || now - cached.at >= options.cacheMs || now < cached.at) {
      const fresh = performanceReport(options.store, now, options.thresholdMs);
      cached = { at: now, report: fresh };
      // A failed read is not kept: the next request tries again.
      fresh.catch(() => {
        if (cached?.report === fresh) cached = undefined;
      });
    }
    return cached.report;
  };
  const cacheControl = `public, max-age=${Math.ceil(options.cacheMs / 1000)}`;

  const router = Router();
  if (options.limit) router.use([PERFORMANCE_PATH, PERFORMANCE_JSON_PATH], options.limit);
  router.get(PERFORMANCE_JSON_PATH, async (_req, res) => {
    res.set('Cache-Control', cacheControl).json(await report());
  });
  router.get(PERFORMANCE_PATH, async (_req, res) => {
    const html = performancePage(await report(), options.institutionName, PERFORMANCE_JSON_PATH);
    res.set({ 'Cache-Control': cacheControl, 'Content-Security-Policy': PAGE_CSP }).type('html').send(html);
  });
  return router;
}
